// berth-build: argument handling and output only; the work is in build/ and image/.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "../overlay.hpp"
#include "../run_step.hpp"
#include "registry_cmds.hpp"
#include "../step_root.hpp"
#include "berth/build/builder.hpp"
#include "berth/image/bundle.hpp"
#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/image/store.hpp"
#include "berth/image/registry.hpp"
#include "berth/image/transports.hpp"
#include "berth/linux/exe_seal.hpp"
#include "berth/util/error.hpp"

using berth::Error;
using nlohmann::json;
namespace img = berth::image;
namespace bld = berth::build;

namespace {

std::pair<std::string, std::string> key_value(const std::string& s, const char* what) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) throw Error(std::string(what) + " \"" + s + "\": want KEY=VALUE");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

img::Image find_image(const img::Store& store, const std::string& name) {
  auto d = store.find(name);
  if (!d) throw Error("image \"" + name + "\": not in the store " + store.root());
  return store.load(*d);
}

std::string human(int64_t b) {
  char buf[32];
  if (b >= 1 << 20) {
    snprintf(buf, sizeof buf, "%.1fMB", static_cast<double>(b) / 1e6);
  } else {
    snprintf(buf, sizeof buf, "%.1fkB", static_cast<double>(b) / 1e3);
  }
  return buf;
}

struct Output {
  std::string type, dest;
  bool tar = true;
};

// --secret id=ID,src=PATH | id=ID,env=VAR (BuildKit's form; also source=, type=file|env).
std::pair<std::string, bld::SecretSource> parse_secret(const std::string& s) {
  std::string id, type;
  bld::SecretSource src;
  size_t b = 0;
  while (b <= s.size()) {
    size_t e = s.find(',', b);
    if (e == std::string::npos) e = s.size();
    auto [k, v] = key_value(s.substr(b, e - b), "--secret");
    if (k == "id") {
      id = v;
    } else if (k == "src" || k == "source") {
      src.file = v;
    } else if (k == "env") {
      src.env = v;
    } else if (k == "type") {
      if (v != "file" && v != "env") throw Error("--secret: type must be file or env");
      type = v;
    } else {
      throw Error("--secret: unknown key \"" + k + "\"");
    }
    b = e + 1;
  }
  if (id.empty()) throw Error("--secret \"" + s + "\": id= is required");
  if (!src.file.empty() && !src.env.empty()) throw Error("--secret \"" + s + "\": give src= or env=, not both");
  if (src.file.empty() && src.env.empty()) throw Error("--secret \"" + s + "\": src=PATH or env=VAR is required");
  if ((type == "file" && src.file.empty()) || (type == "env" && src.env.empty())) throw Error("--secret \"" + s + "\": type=" + type + " does not match");
  if (!src.file.empty() && ::access(src.file.c_str(), R_OK) != 0) berth::throw_errno("--secret " + id + ": " + src.file);
  return {id, src};
}

// --ssh ID[=SOCKET]: an ssh-agent socket (default: $SSH_AUTH_SOCK). Key files are not
// supported: berth-build runs no agent of its own.
std::pair<std::string, std::string> parse_ssh(const std::string& s) {
  size_t eq = s.find('=');
  std::string id = s.substr(0, eq), path;
  if (id.empty()) throw Error("--ssh \"" + s + "\": want ID[=SOCKET]");
  if (eq != std::string::npos) {
    path = s.substr(eq + 1);
  } else if (const char* a = std::getenv("SSH_AUTH_SOCK"); a && *a) {
    path = a;
  } else {
    throw Error("--ssh " + id + ": SSH_AUTH_SOCK is not set (give --ssh " + id + "=SOCKET)");
  }
  if (path.find(',') != std::string::npos) throw Error("--ssh " + id + ": one socket per id");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) berth::throw_errno("--ssh " + id + ": " + path);
  if (!S_ISSOCK(st.st_mode)) throw Error("--ssh " + id + ": " + path + " is not a socket (key files are not supported: give an ssh-agent socket)");
  if (path[0] != '/') {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) berth::throw_errno("getcwd");
    path = std::string(cwd) + "/" + path;
  }
  return {id, path};
}

Output parse_output(const std::string& s) {
  Output o;
  size_t b = 0;
  while (b <= s.size()) {
    size_t e = s.find(',', b);
    if (e == std::string::npos) e = s.size();
    auto [k, v] = key_value(s.substr(b, e - b), "--output");
    if (k == "type") {
      o.type = v;
    } else if (k == "dest") {
      o.dest = v;
    } else if (k == "tar") {
      if (v != "true" && v != "false") throw Error("--output: tar must be true or false");
      o.tar = v == "true";
    } else {
      throw Error("--output: unknown key \"" + k + "\"");
    }
    b = e + 1;
  }
  if (o.type != "oci" && o.type != "docker") throw Error("--output: type must be oci or docker");
  if (o.dest.empty()) throw Error("--output: dest=PATH is required");
  if (o.type == "docker" && !o.tar) throw Error("--output: type=docker is always a tar (tar=false is for type=oci)");
  return o;
}

int run_runtime(const std::vector<std::string>& argv, bool quiet = false) {
  pid_t pid = ::fork();
  if (pid < 0) berth::throw_errno("fork");
  if (pid == 0) {
    if (quiet) {
      int n = ::open("/dev/null", O_WRONLY);
      if (n >= 0) {
        ::dup2(n, 1);
        ::dup2(n, 2);
      }
    }
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) berth::throw_errno("wait");
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The command word and whether --runtime was given, from the raw arguments (before CLI11).
std::pair<std::string, bool> command_of(int argc, char** argv) {
  bool runtime = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runtime" || a.rfind("--runtime=", 0) == 0) runtime = true;
    if (a == "--root" || a == "--store" || a == "--runtime") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') return {a, runtime};
  }
  return {"", runtime};
}

}  // namespace

int main(int argc, char** argv) {
  // RUN's containers are made in-process by libberth, which passes a NOTIFY_SOCKET of its
  // environment to the container (container/notify_socket.hpp): a build step is no service.
  ::unsetenv("NOTIFY_SOCKET");
  // CVE-2019-5736: RUN's containers are cloned from berth-build itself, so, like berth's
  // create/run/exec, `build` runs from a sealed copy of its binary (linux/exe_seal.hpp): a
  // `#!/proc/self/exe` script run by RUN reaches a read-only copy, never the file on disk.
  if (auto [cmd, runtime_flag] = command_of(argc, argv); cmd == "build" && !runtime_flag && ::geteuid() == 0) {
    try {
      berth::linux_::reexec_sealed(argv);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "berth-build: %s\n", e.what());
      return 1;
    }
  }
  CLI::App app{"berth-build: Dockerfile to OCI image, image store, image to bundle", "berth-build"};
  app.require_subcommand(1);
  std::string root = img::kDefaultStoreRoot;
  std::string runtime;
  app.add_option("--root,--store", root, "image store (an OCI image layout)")->capture_default_str();
  app.add_option("--runtime", runtime, "RUN through this runc-compatible binary instead of libberth in-process (also the berth binary of `run`; default: next to berth-build, else in PATH)");
  app.set_version_flag("-v,--version", std::string("berth-build version ") + BERTH_VERSION);
  std::function<int()> action;
  img::RegistryOptions registry;  // registry access of any command (--registries-conf, below)

  // build
  bld::BuildOptions bo;
  std::vector<std::string> build_args, labels, secrets, ssh;
  std::string network = "none", progress = "auto", output, compression = "gzip";
  std::optional<int64_t> timestamp;
  bool quiet = false;
  auto* b = app.add_subcommand("build", "build an image from a Dockerfile");
  b->add_option("-f,--file", bo.dockerfile, "the Dockerfile (default: CONTEXT/Dockerfile; - reads stdin)");
  b->add_option("-t,--tag", bo.tags, "name the image (repeatable)");
  b->add_option("--build-arg", build_args, "KEY=VALUE for an ARG (repeatable)");
  b->add_option("--label", labels, "KEY=VALUE label on the image (repeatable)");
  b->add_option("--secret", secrets, "id=ID,src=PATH or id=ID,env=VAR for RUN --mount=type=secret (repeatable)");
  b->add_option("--ssh", ssh, "ID[=SOCKET] ssh-agent socket for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK; repeatable)");
  b->add_option("--target", bo.target, "build this stage");
  b->add_flag("--no-cache", bo.no_cache, "do not use the build cache");
  b->add_option("--network", network, "RUN network: none or host")->check(CLI::IsMember({"none", "host", "default"}));
  b->add_option("--progress", progress, "auto (tty when stderr is a terminal, else plain), plain, tty or quiet")
      ->check(CLI::IsMember({"auto", "plain", "tty", "quiet"}));
  b->add_option("--output,-o", output, "type=oci|docker,dest=PATH[,tar=false]");
  b->add_option("--timestamp", timestamp, "seconds since the epoch for created times and file mtimes (default: SOURCE_DATE_EPOCH, else 0)");
  b->add_flag("-q,--quiet", quiet, "print only the image digest");
  b->add_option("--compression", compression, "new layers: gzip, zstd or none")->capture_default_str();
  if (const char* sn = std::getenv("BERTH_BUILD_SNAPSHOTTER"); sn && *sn) bo.snapshotter = sn;
  b->add_option("--snapshotter", bo.snapshotter,
                "step root file systems: overlayfs, native (copies of the layers, where overlayfs cannot be used) or auto "
                "(default: $BERTH_BUILD_SNAPSHOTTER, else auto)")
      ->check(CLI::IsMember({"auto", "overlayfs", "native"}));
  b->add_option("context", bo.context, "build context directory")->required();
  b->callback([&] {
    action = [&]() -> int {
      for (const auto& a : build_args) {
        auto [k, v] = key_value(a, "--build-arg");
        bo.build_args[k] = v;
      }
      for (const auto& l : labels) {
        auto [k, v] = key_value(l, "--label");
        bo.labels[k] = v;
      }
      for (const auto& sc : secrets) {
        auto [id, src] = parse_secret(sc);
        bo.secrets[id] = src;
      }
      for (const auto& sh : ssh) {
        auto [id, path] = parse_ssh(sh);
        bo.ssh[id] = path;
      }
      for (const auto& t : bo.tags) (void)img::normalize_ref(t);  // a bad -t fails before the build, not after
      bo.host_network = network == "host";
      bo.compression = img::parse_compression(compression);
      bo.quiet = quiet || progress == "quiet";
      if (progress == "tty" && !::isatty(2)) throw Error("--progress tty: stderr is not a terminal (use plain or auto)");
      bo.tty_progress = !bo.quiet && (progress == "tty" || (progress == "auto" && ::isatty(2)));
      bo.runtime = runtime;
      bo.registry = registry;
      if (bo.quiet) bo.registry.progress = img::Progress::Quiet;
      (void)bld::parse_snapshotter(bo.snapshotter);  // $BERTH_BUILD_SNAPSHOTTER is checked too
      if (timestamp) {
        bo.epoch = timestamp;
      } else if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
        char* end = nullptr;
        long long v = std::strtoll(sde, &end, 10);
        if (*end || v < 0) throw Error(std::string("SOURCE_DATE_EPOCH \"") + sde + "\": not a number of seconds");
        bo.epoch = v;
      }
      std::optional<Output> out;
      if (!output.empty()) out = parse_output(output);
      if (::geteuid() != 0) throw Error("berth-build build needs root (overlay mounts and containers)");
      bld::private_mount_namespace();
      img::Store store(root);
      auto r = bld::build_image(store, bo, std::cout);
      if (out) {
        auto image = store.load(r.manifest);
        std::string name = bo.tags.empty() ? "" : img::normalize_ref(bo.tags[0]);
        std::string dest = (out->type == "docker" ? "docker-archive:" : out->tar ? "oci-archive:" : "oci:") + out->dest;
        img::push(store, image, dest, name);
        if (!bo.quiet) std::cout << "exported to " << dest << "\n";
      }
      if (bo.quiet) std::cout << r.manifest.digest << "\n";
      return 0;
    };
  });

  auto* images = app.add_subcommand("images", "list the images in the store");
  bool images_json = false;
  images->add_flag("--json", images_json, "as JSON");
  images->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      json arr = json::array();
      if (!images_json) printf("%-40s %-14s %-10s %s\n", "NAME", "ID", "SIZE", "CREATED");
      for (const auto& d : store.manifests()) {
        std::string name = d.annotations.count(img::kRefName) ? d.annotations.at(img::kRefName) : "<none>";
        int64_t size = 0;
        std::string created;
        try {
          auto im = store.load(d);
          for (const auto& l : im.layers) size += l.blob.size;
          created = im.config.value("created", "");
        } catch (const Error& e) {
          created = std::string("(broken: ") + e.what() + ")";
        }
        if (images_json) {
          arr.push_back({{"name", name}, {"digest", d.digest}, {"size", size}, {"created", created}});
        } else {
          printf("%-40s %-14s %-10s %s\n", name.c_str(), d.digest.substr(7, 12).c_str(), human(size).c_str(), created.c_str());
        }
      }
      if (images_json) std::cout << arr.dump(2) << "\n";
      return 0;
    };
  });

  std::string name1, name2;
  auto* inspect = app.add_subcommand("inspect", "show an image's manifest and config");
  inspect->add_option("image", name1)->required();
  inspect->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      auto im = find_image(store, name1);
      json out = {{"Digest", im.manifest_desc.digest}, {"Manifest", im.manifest}, {"Config", im.config}};
      std::cout << out.dump(2) << "\n";
      return 0;
    };
  });

  auto* tag = app.add_subcommand("tag", "give an image another name");
  tag->add_option("image", name1)->required();
  tag->add_option("name", name2)->required();
  tag->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      auto d = store.find(name1);
      if (!d) throw Error("image \"" + name1 + "\": not in the store " + store.root());
      d->annotations.clear();
      store.tag(name2, *d);
      return 0;
    };
  });

  std::vector<std::string> names;
  auto* rmi = app.add_subcommand("rmi", "remove image names (blobs go with prune)");
  rmi->add_option("image", names)->required();
  rmi->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      int rc = 0;
      for (const auto& n : names) {
        if (!store.untag(n)) {
          std::cerr << "berth-build: image \"" << n << "\": no such name in the store\n";
          rc = 1;
        } else {
          std::cout << "untagged " << img::normalize_ref(n) << "\n";
        }
      }
      return rc;
    };
  });

  bool prune_cache = false;
  auto* prune = app.add_subcommand("prune", "remove blobs and unpacked layers no image (or cache entry) uses");
  prune->add_flag("--cache", prune_cache, "drop the build cache first");
  prune->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      if (prune_cache) store.cache_clear();
      auto r = store.prune();
      std::cout << "removed " << r.blobs << " blobs (" << human(static_cast<int64_t>(r.bytes)) << ") and " << r.layer_dirs
                << " unpacked layers, " << r.tmp_dirs << " scratch dirs of dead builds\n";
      return 0;
    };
  });

  // pull, push, login, logout and the global --registries-conf (registry_cmds.cpp).
  berth::build::cli::add_registry_commands(app, root, action, registry);

  std::vector<std::string> cmd;
  auto* unpack = app.add_subcommand("unpack", "make a runtime bundle (rootfs + config.json) from an image");
  unpack->add_option("image", name1)->required();
  unpack->add_option("bundle", name2)->required();
  unpack->callback([&] {
    action = [&]() -> int {
      img::Store store(root);
      img::unpack_bundle(store, find_image(store, name1), name2, {});
      return 0;
    };
  });

  auto* run = app.add_subcommand("run", "run an image with berth on a throw-away overlay");
  run->add_option("image", name1)->required();
  run->prefix_command();  // everything after IMAGE is the command, flags included
  run->callback([&] {
    action = [&]() -> int {
      cmd = run->remaining();
      if (::geteuid() != 0) throw Error("berth-build run needs root (overlay mount and container)");
      bld::private_mount_namespace();  // the overlay goes away with this process
      img::Store store(root);
      auto im = find_image(store, name1);
      std::string rt = bld::find_runtime(runtime);
      std::vector<std::string> lowers = bld::layer_stack(store, im.layers);
      std::string dir = store.make_temp_dir("run");
      int rc = 1;
      try {
        for (const char* d : {"/upper", "/work", "/bundle", "/bundle/rootfs", "/state"}) {
          if (::mkdir((dir + d).c_str(), 0755) != 0) berth::throw_errno("mkdir " + dir + d);
        }
        bld::OverlayMount m(bld::link_root(store), lowers, dir + "/upper", dir + "/work", dir + "/bundle/rootfs");
        {
          berth::UniqueFd rootfd(::open((dir + "/bundle/rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          if (!rootfd) berth::throw_errno("open " + dir + "/bundle/rootfs");
          json spec = img::runtime_config(im.config, rootfd.get(), cmd);
          if (spec["process"]["args"].empty()) throw Error("image \"" + name1 + "\" has neither Entrypoint nor Cmd: give a command");
          img::write_file_atomic(dir + "/bundle/config.json", spec.dump());
        }
        std::string id = "berth-build-run-" + std::to_string(::getpid());
        rc = run_runtime({rt, "--root", dir + "/state", "run", "--bundle", dir + "/bundle", id});
        run_runtime({rt, "--root", dir + "/state", "delete", "--force", id}, true);  // `run` deleted it already
      } catch (...) {
        img::remove_tree(dir);
        throw;
      }
      img::remove_tree(dir);
      return rc;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    // The store's paths end up in mount options and in the RUN bundle, whose runtime works
    // from another directory: a relative --root would name the wrong place there.
    if (!root.empty() && root[0] != '/') {
      char cwd[4096];
      if (!::getcwd(cwd, sizeof cwd)) berth::throw_errno("getcwd");
      root = std::string(cwd) + "/" + root;
    }
    return action ? action() : 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "berth-build: %s\n", e.what());
    return 1;
  }
}
