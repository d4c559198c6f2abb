// The build loop: stages in dependency order, each instruction applied to the stage's state
// (image config + layers + cache key). Metadata instructions only edit the config
// (config_steps.cpp); COPY, ADD and RUN make a layer on an overlay of the layers below, or
// take it from the cache.
#include "berth/build/builder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "berth/build/dockerfile.hpp"
#include "berth/build/dockerignore.hpp"
#include "berth/build/shell_words.hpp"
#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/image/registry.hpp"
#include "berth/image/transports.hpp"
#include "berth/image/users.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"
#include "copy.hpp"
#include "overlay.hpp"
#include "progress.hpp"
#include "step_root.hpp"
#include "run_mounts.hpp"
#include "run_step.hpp"
#include "stage_state.hpp"

namespace berth::build {

using nlohmann::json;
using image::Layer;
using image::Store;

namespace {

struct Stage {
  std::string name;  // lower case; "" when unnamed
  size_t from;       // index of its FROM
  size_t end;        // one past its last instruction
};

class Builder {
 public:
  Builder(Store& store, const BuildOptions& o, std::ostream& out)
      : store_(store), o_(o), progress_(o.quiet ? quiet_progress() : o.tty_progress ? tty_progress(2) : plain_progress(out)) {}

  BuildResult run() {
    try {
      BuildResult r = build();
      progress_->finish();
      return r;
    } catch (...) {
      progress_->failed(step_no_);
      throw;
    }
  }

 private:
  BuildResult build() {
    std::string dfpath = o_.dockerfile.empty() ? o_.context + "/Dockerfile" : o_.dockerfile;
    std::string text;
    try {
      text = o_.dockerfile == "-" ? image::read_file("/dev/stdin") : image::read_file(dfpath);
    } catch (const Error& e) {
      throw Error(std::string("cannot read the Dockerfile: ") + e.what(), e.code());
    }
    std::string shown = o_.dockerfile.empty() || o_.dockerfile == "-" ? "Dockerfile" : o_.dockerfile;
    df_ = parse_dockerfile(text, shown);
    for (const auto& w : df_.warnings) progress_->warning(w);
    struct stat st {};
    if (::stat(o_.context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error("build context " + o_.context + ": not a directory");
    if (::stat((o_.context + "/.dockerignore").c_str(), &st) == 0) {
      ignore_ = DockerIgnore(image::read_file(o_.context + "/.dockerignore"));
    }
    plan();
    size_t target = stages_.size() - 1;
    if (!o_.target.empty()) {
      auto t = stage_index(lower(o_.target));
      if (!t) throw Error("target stage \"" + o_.target + "\" could not be found");
      target = *t;
    }
    done_.resize(stages_.size());
    const State& st_final = build_stage(target);
    for (const auto& [k, v] : o_.build_args) {
      if (!used_args_.count(k)) progress_->warning("build-arg " + k + " was not consumed by any ARG");
    }
    return finish(st_final);
  }


  Lookup meta_lookup() {
    return [this](const std::string& k) -> std::optional<std::string> {
      auto it = meta_.find(k);
      if (it == meta_.end()) return std::nullopt;
      return it->second;
    };
  }

  // Global ARGs and the stage boundaries.
  void plan() {
    // BuildKit's automatic platform args: usable in FROM, and in a stage after `ARG NAME`.
    for (const char* p : {"BUILDPLATFORM", "TARGETPLATFORM"}) meta_[p] = "linux/amd64";
    for (const char* p : {"BUILDOS", "TARGETOS"}) meta_[p] = "linux";
    for (const char* p : {"BUILDARCH", "TARGETARCH"}) meta_[p] = "amd64";
    meta_["BUILDVARIANT"] = meta_["TARGETVARIANT"] = "";
    const auto& ins = df_.instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      if (ins[i].keyword == "FROM") {
        if (!stages_.empty()) stages_.back().end = i;
        auto w = split_words_raw(ins[i].args, df_.escape);
        Stage s{w.size() == 3 ? lower(w[2]) : "", i, ins.size()};
        if (!s.name.empty() && stage_index(s.name)) fail_at(df_, ins[i], "duplicate stage name \"" + s.name + "\"");
        stages_.push_back(s);
      } else if (stages_.empty()) {  // ARG before the first FROM
        for (const auto& [name, def] : arg_decls(ins[i])) {
          auto it = o_.build_args.find(name);
          if (it != o_.build_args.end()) {
            meta_[name] = it->second;
            used_args_.insert(name);
          } else if (def) {
            meta_[name] = expand(ins[i], *def, meta_lookup());
          }
        }
      }
    }
  }

  std::optional<size_t> stage_index(const std::string& name) const {
    for (size_t i = 0; i < stages_.size(); ++i) {
      if (stages_[i].name == name) return i;
    }
    return std::nullopt;
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> arg_decls(const Instruction& in) {
    std::vector<std::pair<std::string, std::optional<std::string>>> out;
    for (const auto& w : split_words_raw(in.args, df_.escape)) {
      size_t eq = w.find('=');
      std::string name = w.substr(0, eq);
      if (name.empty()) fail_at(df_, in, "ARG names can not be blank");
      if (eq == std::string::npos) {
        out.emplace_back(name, std::nullopt);
      } else {
        out.emplace_back(name, w.substr(eq + 1));
      }
    }
    return out;
  }

  std::string expand(const Instruction& in, const std::string& word, const Lookup& env) {
    return expand_at(df_, in, word, env);
  }

  json fresh_config() {
    return {{"architecture", "amd64"},
            {"os", "linux"},
            {"config", {{"Env", json::array({kDefaultPath})}}},
            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
            {"history", json::array()}};
  }

  std::string created() const { return image::rfc3339(o_.epoch.value_or(0)); }

  void history(State& st, const std::string& by, bool empty) {
    json h = {{"created", created()}, {"created_by", by}, {"comment", "berth-build"}};
    if (empty) h["empty_layer"] = true;
    if (!st.config.contains("history") || !st.config["history"].is_array()) st.config["history"] = json::array();
    st.config["history"].push_back(h);
  }

  // An image named by FROM or COPY --from: a store image or an archive transport.
  image::Image resolve_image(const Instruction& in, const std::string& ref) {
    try {
      if (image::is_transport_ref(ref)) return store_.load(image::pull(store_, ref, "").manifest_desc);
      if (image::is_registry_ref(ref)) return image::registry_pull(store_, image::parse_reference(ref.substr(9)), o_.registry);
      auto d = store_.find(ref);
      if (!d) {
        // Not in the store: the registry it names (docker.io for a short name), as docker does.
        image::Reference r = image::parse_reference(ref);
        if (auto f = store_.find(r.familiar())) return store_.load(*f);
        try {
          return image::registry_pull(store_, r, o_.registry);
        } catch (const Error& e) {
          throw Error("image \"" + ref + "\" is not in the local store, and " + e.what());
        }
      }
      return store_.load(*d);
    } catch (const Error& e) {
      fail_at(df_, in, e.what());
    }
  }

  const State& build_stage(size_t idx) {
    if (done_[idx]) return *done_[idx];
    if (building_.count(idx)) throw Error("stage " + std::to_string(idx) + " depends on itself");
    building_.insert(idx);
    const Stage& sg = stages_[idx];
    const auto& ins = df_.instructions;
    // Stages this one copies from are built first, so that its steps print in order.
    for (size_t i = sg.from + 1; i < sg.end; ++i) {
      const Flag* f = ins[i].keyword == "COPY" ? ins[i].flag("from") : nullptr;
      if (!f || !f->value) continue;
      std::string n;
      try {
        n = lower(expand_word(*f->value, meta_lookup(), df_.escape));
      } catch (const Error&) {
        continue;  // reported with its line when the step runs
      }
      auto dep = stage_index(n);
      if (!dep && !n.empty() && n.size() < 6 && n.find_first_not_of("0123456789") == std::string::npos) dep = std::stoul(n);
      if (dep && *dep < idx) build_stage(*dep);
    }
    State st;
    const Instruction& from = ins[sg.from];
    std::string label = sg.name.empty() ? "stage-" + std::to_string(idx) : sg.name;
    size_t nsteps = sg.end - sg.from;
    auto w = split_words_raw(from.args, df_.escape);
    std::string base = expand(from, w[0], meta_lookup());
    if (const Flag* p = from.flag("platform")) {
      std::string plat = expand(from, p->value.value_or(""), meta_lookup());
      if (plat != "linux/amd64" && plat != "linux/x86_64") fail_at(df_, from, "platform \"" + plat + "\" is not supported: berth-build builds linux/amd64 only");
    }
    if (auto dep = stage_index(lower(base)); dep && *dep < idx) build_stage(*dep);
    step_header(label, 1, nsteps, "FROM " + base);
    if (lower(base) == "scratch") {
      st.config = fresh_config();
      st.key = chain("", "scratch");
    } else if (auto dep = stage_index(lower(base)); dep && *dep < idx) {
      const State& parent = build_stage(*dep);
      st.config = parent.config;
      st.layers = parent.layers;
      st.key = parent.key;
      st.shell = parent.shell;
    } else {
      auto img = resolve_image(from, base);
      st.config = img.config;
      st.layers = img.layers;
      st.key = chain("", "image " + img.manifest_desc.digest);
      if (st.config.contains("config") && st.config["config"].contains("Shell") && st.config["config"]["Shell"].is_array()) {
        st.shell = st.config["config"]["Shell"].get<std::vector<std::string>>();
      }
    }
    if (!st.config.contains("config") || !st.config["config"].is_object()) st.config["config"] = json::object();
    run_onbuild_triggers(st, from, label, idx);
    for (size_t i = sg.from + 1; i < sg.end; ++i) {
      step_header(label, i - sg.from + 1, nsteps, ins[i].text);
      apply(st, ins[i], idx);
    }
    building_.erase(idx);
    done_[idx] = std::move(st);
    return *done_[idx];
  }

  // The base's ONBUILD triggers run right after FROM, as if written there; the new image
  // does not inherit them (Docker's rule).
  void run_onbuild_triggers(State& st, const Instruction& from, const std::string& label, size_t idx) {
    auto& c = st.config["config"];
    if (!c.contains("OnBuild") || !c["OnBuild"].is_array()) {
      c.erase("OnBuild");
      return;
    }
    json triggers = c["OnBuild"];
    c.erase("OnBuild");
    for (const auto& t : triggers) {
      if (!t.is_string()) continue;
      std::string text = t.get<std::string>();
      Instruction ti;
      try {
        ti = parse_dockerfile("FROM scratch\n" + text, "ONBUILD").instructions.at(1);
      } catch (const std::exception& e) {
        fail_at(df_, from, "ONBUILD trigger \"" + text + "\" of the base image: " + e.what());
      }
      ti.line = from.line;
      ++step_no_;
      progress_->step(step_no_, "[" + label + " 1/1] ONBUILD " + ti.text);
      apply(st, ti, idx);
    }
  }

  void step_header(const std::string& label, size_t n, size_t total, const std::string& text) {
    ++step_no_;
    std::string t = text.size() > 200 ? text.substr(0, 200) + "..." : text;
    progress_->step(step_no_, "[" + label + " " + std::to_string(n) + "/" + std::to_string(total) + "] " + t);
  }

  void apply(State& st, const Instruction& in, size_t stage_idx) {
    const std::string& k = in.keyword;
    auto env = stage_lookup(st);
    if (k == "ARG") {
      for (const auto& [name, def] : arg_decls(in)) {
        std::optional<std::string> v;
        auto it = o_.build_args.find(name);
        if (it != o_.build_args.end()) {
          v = it->second;
          used_args_.insert(name);
        } else if (def) {
          v = expand(in, *def, env);
        } else if (meta_.count(name)) {
          v = meta_[name];
        }
        if (v) st.args[name] = *v;
        st.key = chain(st.key, "ARG " + name + (v ? "=" + *v : ""));
      }
      return;
    }
    if (k == "RUN" || k == "COPY" || k == "ADD") {
      layer_step(st, in, stage_idx);
      return;
    }
    std::string by = apply_config_step(df_, st, in);
    if (k == "WORKDIR" && workdir_step(st, in, by)) return;  // it made (or reused) a layer
    const auto& c = st.config["config"];
    st.key = chain(st.key, by + (k == "CMD" || k == "ENTRYPOINT" || k == "SHELL" || k == "HEALTHCHECK" ? c.dump() : ""));
    history(st, by, true);
  }

  std::string temp_mkdir(const std::string& base, const std::string& name, mode_t mode) {
    std::string p = base + "/" + name;
    if (::mkdir(p.c_str(), mode) != 0) throw_errno("mkdir " + p);
    return p;
  }

  // overlayfs, or the native copy where overlayfs cannot be used: decided at the first step
  // that needs a root file system (a build of cache hits mounts nothing).
  Snapshotter snapshotter() {
    if (snapshotter_ == Snapshotter::Auto) {
      std::string why;
      snapshotter_ = resolve_snapshotter(parse_snapshotter(o_.snapshotter), store_, &why);
      if (!why.empty()) progress_->warning("overlayfs cannot be used (" + why + "): steps work on copies of the layers (native snapshotter, slower)");
    }
    return snapshotter_;
  }

  std::unique_ptr<StepRoot> step_root(const std::vector<Layer>& layers, const std::string& upper, const std::string& work,
                                      const std::string& merged) {
    return std::make_unique<StepRoot>(snapshotter(), store_, layers, upper, work, merged);
  }

  // RAII for a step's scratch directory.
  struct TempTree {
    std::string path;
    ~TempTree() {
      if (!path.empty()) {
        try {
          image::remove_tree(path);
        } catch (const Error&) {
        }
      }
    }
  };

  // The layers a --from names: an earlier stage (by name or index) or an image; key_out gets
  // what the cache key must see of it.
  std::vector<Layer> from_layers(const Instruction& in, const std::string& name, size_t stage_idx, std::string& key_out) {
    std::optional<size_t> dep = stage_index(lower(name));
    if (!dep && !name.empty() && name.size() < 6 && name.find_first_not_of("0123456789") == std::string::npos &&
        std::stoul(name) < stages_.size()) {
      dep = std::stoul(name);
    }
    if (dep) {
      if (*dep >= stage_idx) fail_at(df_, in, "--from=" + name + ": only an earlier stage can be used");
      const State& other = build_stage(*dep);
      key_out = other.key;
      return other.layers;
    }
    auto img = resolve_image(in, name);
    key_out = img.manifest_desc.digest;
    return img.layers;
  }

  // A --secret's value: at most 500 KiB (BuildKit's limit), from its file or variable.
  std::string secret_value(const Instruction& in, const std::string& id) {
    const SecretSource& s = o_.secrets.at(id);
    if (!s.env.empty()) {
      const char* v = std::getenv(s.env.c_str());
      if (!v) fail_at(df_, in, "--mount=type=secret: secret \"" + id + "\": environment variable " + s.env + " is not set");
      return v;
    }
    UniqueFd fd(::open(s.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_at(df_, in, "--mount=type=secret: secret \"" + id + "\": open " + s.file + ": " + std::strerror(errno));
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_at(df_, in, "--mount=type=secret: secret \"" + id + "\": read " + s.file + ": " + std::strerror(errno));
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > 500 * 1024) fail_at(df_, in, "--mount=type=secret: secret \"" + id + "\": " + s.file + " is larger than 500 KiB");
    }
    return out;
  }

  // RUN --mount: the runtime mounts, and what the cache key must see of them. Secrets go into
  // a private tmpfs (`secrets`, made on first use) and are bound read-only onto their target;
  // their values are not part of the cache key (BuildKit's rule). An ssh mount binds the
  // agent's socket; the first one also sets SSH_AUTH_SOCK (added to `run_env`).
  json run_mounts(const Instruction& in, size_t stage_idx, const std::string& workdir, const Lookup& env,
                  const std::string& scratch, std::vector<std::unique_ptr<StepRoot>>& views, std::vector<std::string>& targets,
                  std::string& desc, std::unique_ptr<TmpfsDir>& secrets, std::vector<std::string>& run_env) {
    json out = json::array();
    int nssh = 0;
    for (const auto& f : in.flags) {
      if (f.name != "mount") continue;
      RunMount m;
      try {
        m = parse_run_mount(expand(in, f.value.value_or(""), env), workdir);
      } catch (const Error& e) {
        fail_at(df_, in, e.what());
      }
      desc += "\nmount " + m.canonical;
      if (m.type == "secret" || m.type == "ssh") {
        bool given = m.type == "secret" ? o_.secrets.count(m.id) != 0 : o_.ssh.count(m.id) != 0;
        if (!given) {
          if (m.required) {
            fail_at(df_, in, "--mount=type=" + m.type + ": " + m.type + " \"" + m.id + "\" was not given (" +
                                 (m.type == "secret" ? "--secret id=" + m.id + ",src=PATH" : "--ssh " + m.id + "=SOCKET") + ")");
          }
          continue;  // not required: no mount, as BuildKit
        }
      }
      if (m.type == "ssh") {
        if (m.target.empty()) m.target = "/run/buildkit/ssh_agent." + std::to_string(nssh);
        if (nssh++ == 0) {
          bool has = false;
          for (const auto& e : run_env) has = has || e.rfind("SSH_AUTH_SOCK=", 0) == 0;
          if (!has) run_env.push_back("SSH_AUTH_SOCK=" + m.target);
        }
        out.push_back({{"destination", m.target}, {"type", "bind"}, {"source", o_.ssh.at(m.id)}, {"options", {"rbind", "nosuid", "nodev", "noexec"}}});
        targets.push_back(m.target);
        continue;
      }
      targets.push_back(m.target);
      if (m.type == "secret") {
        std::string value = secret_value(in, m.id);
        if (!secrets) secrets = std::make_unique<TmpfsDir>(scratch + "/secrets");
        std::string file = secrets->path() + "/" + std::to_string(out.size());
        UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) throw_errno("create " + file);
        size_t off = 0;
        while (off < value.size()) {
          ssize_t n = ::write(fd.get(), value.data() + off, value.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) throw_errno("write " + file);
          off += static_cast<size_t>(n);
        }
        if (::fchown(fd.get(), m.uid.value_or(0), m.gid.value_or(0)) != 0 || ::fchmod(fd.get(), m.mode.value_or(0400)) != 0) {
          throw_errno("set owner/mode of " + file);
        }
        out.push_back({{"destination", m.target}, {"type", "bind"}, {"source", file}, {"options", {"rbind", "ro", "nosuid", "nodev", "noexec"}}});
        continue;
      }
      if (m.type == "tmpfs") {
        json opts = json::array({"nosuid", "nodev"});
        char mode[16];
        snprintf(mode, sizeof mode, "mode=%o", static_cast<unsigned>(m.mode.value_or(01777)));
        opts.push_back(mode);
        if (m.size) opts.push_back("size=" + std::to_string(*m.size));
        if (m.readonly) opts.push_back("ro");
        out.push_back({{"destination", m.target}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", opts}});
      } else if (m.type == "cache") {
        // Persistent between builds, shared by id; its contents are not part of the cache key
        // (as BuildKit): it holds what a step may reuse, not what it produces.
        std::string base = store_.root() + "/berth/run-cache";
        if (::mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + base);
        std::string dir = base + "/" + image::digest_hex(image::sha256_digest(m.id));
        if (::mkdir(dir.c_str(), m.mode.value_or(0755)) == 0) {
          if (::chown(dir.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0 || ::chmod(dir.c_str(), m.mode.value_or(0755)) != 0) {
            throw_errno("set owner/mode of " + dir);
          }
        } else if (errno != EEXIST) {
          throw_errno("mkdir " + dir);
        }
        json opts = json::array({"rbind"});
        if (m.readonly) opts.push_back("ro");
        out.push_back({{"destination", m.target}, {"type", "bind"}, {"source", dir}, {"options", opts}});
      } else {
        std::string root = o_.context, from_key;
        const DockerIgnore* ig = &ignore_;
        if (!m.from.empty()) {
          auto layers = from_layers(in, m.from, stage_idx, from_key);
          std::string at = scratch + "/mount-" + std::to_string(views.size());
          if (::mkdir(at.c_str(), 0755) != 0) throw_errno("mkdir " + at);
          views.push_back(step_root(layers, "", "", at));
          root = at;
          ig = nullptr;
        }
        Sources src;
        try {
          src = find_sources(root, {m.source}, ig);
        } catch (const Error& e) {
          fail_at(df_, in, std::string("--mount: ") + e.what());
        }
        desc += " " + from_key + " " + digest_sources(src);
        // The runtime mounts a path: the source's real location, resolved inside its root.
        UniqueFd rootfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!rootfd) throw_errno("open " + root);
        UniqueFd sfd = linux_::open_in_root(rootfd.get(), src.rels[0], O_PATH);
        char real[4096];
        ssize_t n = ::readlink(linux_::fd_path(sfd.get()).c_str(), real, sizeof real - 1);
        if (n <= 0) throw_errno("resolve --mount source " + m.source);
        real[n] = 0;
        out.push_back({{"destination", m.target}, {"type", "bind"}, {"source", std::string(real)}, {"options", {"rbind", "ro"}}});
      }
    }
    return out;
  }

  void layer_step(State& st, const Instruction& in, size_t stage_idx) {
    auto t0 = std::chrono::steady_clock::now();
    auto env = stage_lookup(st);
    const auto& c = st.config["config"];
    std::string workdir = c.value("WorkingDir", std::string("/"));
    if (workdir.empty()) workdir = "/";
    std::string desc, by;
    TempTree tmp{store_.make_temp_dir("step")};
    // COPY/ADD: sources, and for --from the other stage's or image's view mounted read-only.
    std::unique_ptr<StepRoot> from_view;
    Sources src;
    std::string dest;
    CopyOptions copts;
    std::vector<std::string> run_argv, run_env;
    bool host_net = o_.host_network;
    json rt_mounts = json::array();
    std::vector<std::unique_ptr<StepRoot>> mount_views;  // --mount from= views, read-only
    std::vector<std::string> mount_targets;
    std::unique_ptr<TmpfsDir> secrets;  // RUN --mount=type=secret files, gone after the step
    if (in.keyword == "RUN") {
      run_argv = command_of(st, in);
      std::set<std::string> names;
      if (c.contains("Env") && c["Env"].is_array()) {
        for (const auto& e : c["Env"]) {
          std::string s = e.get<std::string>();
          run_env.push_back(s);
          names.insert(s.substr(0, s.find('=')));
        }
      }
      for (const auto& [n, v] : st.args) {
        if (!names.count(n)) run_env.push_back(n + "=" + v);
      }
      if (!names.count("PATH")) run_env.push_back(kDefaultPath);
      if (const Flag* f = in.flag("network")) host_net = f->value == "host";
      by = "RUN " + json(run_argv).dump();
      desc = by + "\nenv " + json(run_env).dump() + "\nuser " + c.value("User", std::string()) + "\ncwd " + workdir +
             "\nnet " + (host_net ? "host" : "none");
      rt_mounts = run_mounts(in, stage_idx, workdir, env, tmp.path, mount_views, mount_targets, desc, secrets, run_env);
    } else {
      std::vector<std::string> words = in.json ? in.argv : expand_list_at(df_, in, in.args, env);
      if (in.json) {
        for (auto& w : words) w = expand(in, w, env);
      }
      if (words.size() < 2) fail_at(df_, in, "no source files were specified");
      dest = words.back();
      words.pop_back();
      if (dest.empty()) fail_at(df_, in, "destination can not be empty");
      if (dest[0] != '/') dest = (workdir == "/" ? "" : workdir) + "/" + dest;
      std::string from_key;
      std::string root = o_.context;
      const DockerIgnore* ig = &ignore_;
      if (const Flag* f = in.flag("from")) {
        if (in.keyword == "ADD") fail_at(df_, in, "--from is not supported by ADD");
        std::string name = expand(in, *f->value, env);
        std::vector<Layer> layers = from_layers(in, name, stage_idx, from_key);
        std::string at = temp_mkdir(tmp.path, "from", 0755);
        from_view = step_root(layers, "", "", at);
        root = at;
        ig = nullptr;
      }
      if (const Flag* f = in.flag("chmod")) {
        std::string m = expand(in, *f->value, env);
        if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos) {
          fail_at(df_, in, "invalid --chmod \"" + m + "\": octal mode expected");
        }
        copts.chmod = static_cast<mode_t>(std::stoul(m, nullptr, 8));
      }
      copts.extract_archives = in.keyword == "ADD";
      if (!in.heredocs.empty()) {
        // COPY <<EOF /dest: each here-document becomes a file named after its delimiter.
        if (in.flag("from")) fail_at(df_, in, "here-documents cannot be combined with --from");
        std::string hd = temp_mkdir(tmp.path, "heredoc", 0755);
        std::vector<std::string> names;
        for (const auto& w : words) {
          const Heredoc* h = nullptr;
          for (const auto& x : in.heredocs) {
            if (w == "<<" + x.name || w == "<<-" + x.name || w == "<<\"" + x.name + "\"" || w == "<<'" + x.name + "'" ||
                w == "<<-\"" + x.name + "\"" || w == "<<-'" + x.name + "'") {
              h = &x;
            }
          }
          if (!h) fail_at(df_, in, "\"" + w + "\": here-documents and build context sources cannot be mixed");
          image::write_file_atomic(hd + "/" + h->name, h->content);
          ::chmod((hd + "/" + h->name).c_str(), 0644);
          names.push_back(h->name);
        }
        root = hd;
        ig = nullptr;
        words = names;
      }
      try {
        src = find_sources(root, words, ig);
      } catch (const Error& e) {
        fail_at(df_, in, e.what());
      }
      std::string chown = in.flag("chown") ? expand(in, *in.flag("chown")->value, env) : "";
      by = in.keyword + " " + in.args;
      desc = in.keyword + "\n" + json(words).dump() + "\n" + dest + "\nfrom " + from_key + "\nchown " + chown + "\nchmod " +
             (copts.chmod ? std::to_string(*copts.chmod) : "") + "\nsources " + digest_sources(src);
    }
    std::string key = chain(st.key, desc + "\nepoch " + (o_.epoch ? std::to_string(*o_.epoch) : "0") + "\ncompression " +
                                        std::to_string(static_cast<int>(o_.compression)));
    if (!o_.no_cache && try_cache(st, key)) {
      ++cached_;
      progress_->cached(step_no_);
      return;
    }
    std::string upper = temp_mkdir(tmp.path, "upper", 0755);
    std::string work = temp_mkdir(tmp.path, "work", 0700);
    std::string merged = temp_mkdir(tmp.path, "merged", 0755);
    std::vector<std::string> absent;
    std::unique_ptr<StepRoot> step_fs;
    {
      step_fs = step_root(st.layers, upper, work, merged);
      StepRoot* m = step_fs.get();
      UniqueFd rootfd(::open(merged.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!rootfd) throw_errno("open " + merged);
      if (workdir != "/") linux_::mkdir_all_in_root(rootfd.get(), workdir, 0755);
      if (in.keyword == "RUN") {
        // Mount points the runtime will create (for /proc, /sys, /dev and every --mount target)
        // do not belong in the layer: note which are missing now, remove them afterwards.
        std::vector<std::string> points = {"/proc", "/sys", "/dev"};
        points.insert(points.end(), mount_targets.begin(), mount_targets.end());
        for (const auto& p : points) {
          std::string sofar;
          size_t b = 1;
          while (b <= p.size()) {
            size_t e = p.find('/', b);
            if (e == std::string::npos) e = p.size();
            sofar += "/" + p.substr(b, e - b);
            b = e + 1;
            struct stat s {};
            if (::fstatat(rootfd.get(), sofar.c_str() + 1, &s, AT_SYMLINK_NOFOLLOW) != 0) {
              absent.push_back(sofar.substr(1));
              break;  // what is below is missing too; removing this one removes it
            }
          }
        }
        RunSpec rs;
        rs.runtime = runtime();
        rs.rootfs = merged;
        rs.scratch = tmp.path;
        rs.id = "berth-build-" + std::to_string(::getpid()) + "-" + std::to_string(step_no_);
        rs.args = run_argv;
        rs.env = run_env;
        rs.cwd = workdir;
        rs.user = c.value("User", std::string());
        rs.host_network = host_net;
        rs.mounts = rt_mounts;
        auto start = std::chrono::steady_clock::now();
        RunResult r;
        try {
          r = run_in_container(rs, [&](const std::string& line) {
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            progress_->output(step_no_, secs, line);
          }, [&] { progress_->tick(); });
        } catch (const Error& e) {
          fail_at(df_, in, e.what());
        }
        if (r.exit_code != 0) {
          std::string msg = json(run_argv).dump() + " returned a non-zero code: " + std::to_string(r.exit_code);
          if (o_.quiet && !r.tail.empty()) {
            msg += "; last output:";
            for (const auto& l : r.tail) msg += "\n  " + l;
          }
          fail_at(df_, in, msg);
        }
      } else {
        if (const Flag* f = in.flag("chown")) {
          try {
            auto u = image::resolve_user(rootfd.get(), expand(in, *f->value, env));
            copts.uid = u.uid;
            copts.gid = u.gid;
          } catch (const Error& e) {
            fail_at(df_, in, std::string("--chown: ") + e.what());
          }
        }
        try {
          copy_sources(src, merged, dest, copts);  // a trailing '/' on dest makes it a directory
        } catch (const Error& e) {
          fail_at(df_, in, e.what());
        }
      }
      rootfd.reset();  // an open fd inside would keep the overlay busy
      m->finish();
    }
    from_view.reset();
    mount_views.clear();
    secrets.reset();
    for (const auto& p : absent) remove_mount_point(upper, p);
    commit_layer(st, upper, key, by, t0, *step_fs);
  }

  // The upper dir becomes the step's layer: blob in the store, the dir itself kept as the
  // unpacked layer, config and history updated, and the result recorded in the cache.
  void commit_layer(State& st, const std::string& upper, const std::string& key, const std::string& by,
                    std::chrono::steady_clock::time_point t0, const StepRoot& root) {
    image::LayerWriteOptions lo;
    lo.epoch = o_.epoch;
    lo.compression = o_.compression;
    lo.whiteouts = root.whiteouts();
    lo.opaque_dirs = root.opaque_dirs();
    Layer layer = image::write_layer(store_, upper, lo);
    // The overlayfs upper dir is the layer in overlayfs form already: keep it for later steps
    // (the native one lacks its whiteouts: the layer is extracted from its blob when needed).
    std::string ldir = store_.layer_dir(layer.diff_id);
    struct stat s {};
    if (!root.native() && ::stat(ldir.c_str(), &s) != 0) ::rename(upper.c_str(), ldir.c_str());
    st.layers.push_back(layer);
    st.config["rootfs"]["type"] = "layers";
    st.config["rootfs"]["diff_ids"].push_back(layer.diff_id);
    history(st, by, false);
    st.key = key;
    json entry = {{"config", st.config}, {"layers", json::array()}, {"blobs", json::array()}, {"diff_ids", json::array()}};
    for (const auto& l : st.layers) {
      entry["layers"].push_back({{"blob", l.blob.to_json()}, {"diff_id", l.diff_id}});
      entry["blobs"].push_back(l.blob.digest);
      entry["diff_ids"].push_back(l.diff_id);
    }
    store_.cache_put(key, entry);
    ++built_;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress_->done(step_no_, secs, "layer " + layer.blob.digest.substr(7, 12) + ", " + std::to_string(layer.blob.size) + " bytes");
  }

  // WORKDIR creates its directory when the image lacks it, owned by the USER in effect (as
  // buildah and BuildKit do), as a layer of its own; an existing directory makes no layer.
  bool workdir_step(State& st, const Instruction& in, const std::string& by) {
    auto t0 = std::chrono::steady_clock::now();
    const auto& c = st.config["config"];
    std::string dir = c.value("WorkingDir", std::string("/"));
    std::string user = c.value("User", std::string());
    std::string key = chain(st.key, "WORKDIR-mkdir " + dir + "\nuser " + user + "\nepoch " +
                                        (o_.epoch ? std::to_string(*o_.epoch) : "0") + "\ncompression " +
                                        std::to_string(static_cast<int>(o_.compression)));
    if (dir == "/") return false;
    if (!o_.no_cache && try_cache(st, key)) {
      ++cached_;
      progress_->cached(step_no_);
      return true;
    }
    TempTree tmp{store_.make_temp_dir("step")};
    std::string upper = temp_mkdir(tmp.path, "upper", 0755);
    std::string work = temp_mkdir(tmp.path, "work", 0700);
    std::string merged = temp_mkdir(tmp.path, "merged", 0755);
    bool made = false;
    std::unique_ptr<StepRoot> step_fs;
    {
      step_fs = step_root(st.layers, upper, work, merged);
      StepRoot* m = step_fs.get();
      UniqueFd rootfd(::open(merged.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!rootfd) throw_errno("open " + merged);
      UniqueFd there = linux_::try_open_in_root(rootfd.get(), dir, O_PATH | O_DIRECTORY);
      if (!there) {
        image::ResolvedUser u;
        try {
          u = image::resolve_user(rootfd.get(), user);
        } catch (const Error& e) {
          fail_at(df_, in, e.what());
        }
        try {
          made = mkdir_owned(rootfd.get(), dir, u.uid, u.gid);
        } catch (const Error& e) {
          fail_at(df_, in, e.what());
        }
      }
      there.reset();
      rootfd.reset();
      m->finish();
    }
    if (!made) return false;  // it exists: nothing to add, no cache entry needed
    commit_layer(st, upper, key, by, t0, *step_fs);
    return true;
  }

  // A mount point the runtime created in the upper dir: empty directories (and an empty file
  // for a file bind mount) are removed bottom up; anything the command really wrote stays.
  static void remove_mount_point(const std::string& upper, const std::string& rel) {
    std::string p = upper + "/" + rel;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return;
    if (S_ISREG(st.st_mode)) {
      if (st.st_size == 0) ::unlink(p.c_str());
      return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    DIR* d = ::opendir(p.c_str());
    if (!d) return;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
    }
    ::closedir(d);
    for (const auto& n : names) remove_mount_point(upper, rel + "/" + n);
    ::rmdir(p.c_str());
  }

  bool try_cache(State& st, const std::string& key) {
    auto e = store_.cache_get(key);
    if (!e || !e->is_object() || !e->contains("config") || !e->contains("layers")) return false;
    std::vector<Layer> layers;
    try {
      for (const auto& l : (*e)["layers"]) {
        Layer ly;
        ly.blob = image::Descriptor::from_json(l.at("blob"), "cache entry");
        ly.diff_id = l.at("diff_id").get<std::string>();
        if (!store_.has_blob(ly.blob.digest)) return false;
        layers.push_back(ly);
      }
    } catch (const std::exception&) {
      return false;
    }
    st.config = (*e)["config"];
    st.layers = layers;
    st.key = key;
    return true;
  }

  // "" runs RUN through libberth in-process; an explicit --runtime is checked once.
  std::string runtime() {
    if (runtime_.empty() && !o_.runtime.empty()) runtime_ = check_runtime(o_.runtime);
    return runtime_;
  }

  BuildResult finish(const State& st) {
    json cfg = st.config;
    cfg["created"] = created();
    for (const auto& [k, v] : o_.labels) cfg["config"]["Labels"][k] = v;
    if (cfg["config"].contains("Labels") && cfg["config"]["Labels"].empty()) cfg["config"].erase("Labels");
    auto config_desc = store_.put_blob(cfg.dump(), image::kMediaConfig);
    json manifest = {{"schemaVersion", 2}, {"mediaType", image::kMediaManifest}, {"config", config_desc.to_json()}, {"layers", json::array()}};
    for (const auto& l : st.layers) manifest["layers"].push_back(l.blob.to_json());
    auto mdesc = store_.put_blob(manifest.dump(), image::kMediaManifest);
    for (const auto& t : o_.tags) store_.tag(t, mdesc);
    BuildResult r;
    r.manifest = mdesc;
    r.config_digest = config_desc.digest;
    r.steps = step_no_;
    r.cached = cached_;
    ++step_no_;
    progress_->info(step_no_, "writing image " + mdesc.digest + " (" + std::to_string(built_) + " layers built, " +
                                  std::to_string(cached_) + " cached)");
    for (const auto& t : o_.tags) progress_->info(step_no_, "naming to " + image::normalize_ref(t));
    return r;
  }

  Store& store_;
  const BuildOptions& o_;
  std::unique_ptr<Progress> progress_;
  Dockerfile df_;
  DockerIgnore ignore_;
  std::vector<Stage> stages_;
  std::map<std::string, std::string> meta_;
  std::set<std::string> used_args_;
  std::vector<std::optional<State>> done_;
  std::set<size_t> building_;
  int step_no_ = 0, cached_ = 0, built_ = 0;
  std::string runtime_;
  Snapshotter snapshotter_ = Snapshotter::Auto;
};

}  // namespace

BuildResult build_image(Store& store, const BuildOptions& opts, std::ostream& progress) {
  return Builder(store, opts, progress).run();
}

}  // namespace berth::build
