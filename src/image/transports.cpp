#include "berth/image/transports.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

using nlohmann::json;

namespace {

struct TempTree {
  std::string path;
  ~TempTree() {
    if (!path.empty()) {
      try {
        remove_tree(path);
      } catch (const Error&) {
      }
    }
  }
};

// Files of an image archive or layout, opened inside its directory: a symlink in an archive
// (manifest.json -> /etc/shadow) cannot make pull read a host file. Paths handed out are
// /proc/self/fd/N of regular files kept open as long as the Rooted lives.
class Rooted {
 public:
  explicit Rooted(const std::string& dir) : dir_(dir) {
    root_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open " + dir);
  }
  std::string path(const std::string& rel) {
    UniqueFd fd = linux_::try_open_in_root(root_.get(), rel, O_RDONLY);
    if (!fd) throw_errno(dir_ + ": " + rel);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw Error(dir_ + ": " + rel + ": not a regular file");
    std::string p = linux_::fd_path(fd.get());
    keep_.push_back(std::move(fd));
    return p;
  }

 private:
  std::string dir_;
  UniqueFd root_;
  std::vector<UniqueFd> keep_;
};

json parse_json_file(const std::string& path) {
  auto j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded()) throw Error(path + ": not valid JSON");
  return j;
}

// Copies a file into the store as a blob, hashing on the way; checks `want` when given.
std::string import_blob(Store& store, const std::string& path, const std::string& want) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno("open " + path);
  if (!want.empty() && store.has_blob(want)) return want;
  std::string tmp = store.make_temp_dir("import") + "/blob";
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) throw_errno("create " + tmp);
  Sha256 h;
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(in.get(), buf, sizeof buf)) > 0) {
    h.update(buf, static_cast<size_t>(n));
    if (::write(out.get(), buf, static_cast<size_t>(n)) != n) throw_errno("write " + tmp);
  }
  if (n < 0) throw_errno("read " + path);
  std::string d = h.digest();
  std::string dir = tmp.substr(0, tmp.rfind('/'));
  if (!want.empty() && d != want) {
    remove_tree(dir);
    throw Error(path + ": content is " + d + ", not the " + want + " its manifest names");
  }
  store.adopt_blob(tmp, d);
  remove_tree(dir);
  return d;
}

Image import_layout(Store& store, const std::string& dir, const std::string& ref, const std::string& what) {
  Rooted in(dir);
  json idx = parse_json_file(in.path("index.json"));
  if (!idx.contains("manifests") || !idx["manifests"].is_array() || idx["manifests"].empty()) {
    throw Error(what + ": index.json lists no images");
  }
  const json* pick = nullptr;
  for (const auto& m : idx["manifests"]) {
    std::string name = m.contains("annotations") ? m["annotations"].value(kRefName, "") : "";
    if (ref.empty() ? idx["manifests"].size() == 1 : (name == ref || (name.find(':') == std::string::npos && name + ":latest" == ref) ||
                                                       name == normalize_ref(ref))) {
      pick = &m;
      break;
    }
  }
  if (!pick) throw Error(what + ": " + (ref.empty() ? "several images inside: name one (" + what + ":NAME)" : "no image named \"" + ref + "\""));
  Descriptor md = Descriptor::from_json(*pick, what + ": index.json manifests[]");
  auto blob_file = [&](const std::string& d) { return in.path("blobs/sha256/" + digest_hex(d)); };
  import_blob(store, blob_file(md.digest), md.digest);
  json m = json::parse(store.read_blob(md.digest), nullptr, false);
  if (m.is_object() && m.contains("manifests")) {  // an index: take linux/amd64
    for (const auto& e : m["manifests"]) {
      auto p = e.value("platform", json::object());
      if (p.value("os", "linux") == "linux" && p.value("architecture", "amd64") == "amd64") {
        md = Descriptor::from_json(e, what + ": index manifests[]");
        import_blob(store, blob_file(md.digest), md.digest);
        m = json::parse(store.read_blob(md.digest), nullptr, false);
        break;
      }
    }
  }
  if (!m.is_object() || !m.contains("config") || !m.contains("layers")) throw Error(what + ": manifest " + md.digest + ": no config or layers");
  auto cd = Descriptor::from_json(m["config"], what + ": manifest config");
  import_blob(store, blob_file(cd.digest), cd.digest);
  for (const auto& l : m["layers"]) {
    auto ld = Descriptor::from_json(l, what + ": manifest layers[]");
    import_blob(store, blob_file(ld.digest), ld.digest);
  }
  md.annotations.clear();
  return store.load(md);
}

// Gunzips (or copies) a layer blob to path, returning the digest of the plain tar.
std::string write_plain_layer(const std::string& blob, const std::string& path) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK) throw Error(blob + ": " + archive_error_string(a.get()));
  archive_entry* e;
  if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) throw Error(blob + ": " + archive_error_string(a.get()));
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) throw_errno("create " + path);
  Sha256 h;
  char buf[1 << 16];
  la_ssize_t n;
  while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
    h.update(buf, static_cast<size_t>(n));
    if (::write(out.get(), buf, static_cast<size_t>(n)) != n) throw_errno("write " + path);
  }
  if (n < 0) throw Error(blob + ": " + archive_error_string(a.get()));
  return h.digest();
}

void copy_file(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return;
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno("open " + from);
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) throw_errno("create " + to);
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(in.get(), buf, sizeof buf)) > 0) {
    if (::write(out.get(), buf, static_cast<size_t>(n)) != n) throw_errno("write " + to);
  }
  if (n < 0) throw_errno("read " + from);
}

void mkdir_p(const std::string& p) {
  for (size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      std::string c = p.substr(0, i);
      if (::mkdir(c.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + c);
    }
  }
}

// A reproducible plain tar of the files under dir (sorted, mtime 0, root-owned).
void tar_dir(const std::string& dir, const std::string& out) {
  std::vector<std::string> files;
  std::function<void(const std::string&)> walk = [&](const std::string& rel) {
    std::string abs = rel.empty() ? dir : dir + "/" + rel;
    for (const auto& n : sorted_dir_names(abs)) {
      std::string r = rel.empty() ? n : rel + "/" + n;
      struct stat st {};
      ::stat((dir + "/" + r).c_str(), &st);
      files.push_back(S_ISDIR(st.st_mode) ? r + "/" : r);
      if (S_ISDIR(st.st_mode)) walk(r);
    }
  };
  walk("");
  std::string tmp = out + ".tmp";
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) throw Error("create " + tmp + ": " + archive_error_string(a.get()));
  for (const auto& f : files) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), f.c_str());
    archive_entry_set_mtime(e.get(), 0, 0);
    if (f.back() == '/') {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      archive_entry_set_perm(e.get(), 0755);
      archive_write_header(a.get(), e.get());
      continue;
    }
    std::string abs = dir + "/" + f;
    struct stat st {};
    if (::stat(abs.c_str(), &st) != 0) throw_errno("stat " + abs);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), st.st_size);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) throw Error("write " + tmp + ": " + archive_error_string(a.get()));
    UniqueFd in(::open(abs.c_str(), O_RDONLY | O_CLOEXEC));
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(in.get(), buf, sizeof buf)) > 0) archive_write_data(a.get(), buf, static_cast<size_t>(n));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) throw Error("write " + tmp + ": " + archive_error_string(a.get()));
  if (::rename(tmp.c_str(), out.c_str()) != 0) throw_errno("rename " + tmp + " to " + out);
}

void write_layout(const Store& store, const Image& img, const std::string& dir, const std::string& ref_name) {
  mkdir_p(dir + "/blobs/sha256");
  auto put = [&](const std::string& d) {
    std::string to = dir + "/blobs/sha256/" + digest_hex(d);
    struct stat st {};
    if (::stat(to.c_str(), &st) != 0) copy_file(store.blob_path(d), to);
  };
  put(img.manifest_desc.digest);
  put(img.config_desc.digest);
  for (const auto& l : img.layers) put(l.blob.digest);
  write_file_atomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json idx = {{"schemaVersion", 2}, {"mediaType", kMediaIndex}, {"manifests", json::array()}};
  struct stat st {};
  if (::stat((dir + "/index.json").c_str(), &st) == 0) {
    json old = parse_json_file(dir + "/index.json");
    for (const auto& m : old.value("manifests", json::array())) {
      std::string n = m.contains("annotations") ? m["annotations"].value(kRefName, "") : "";
      if (ref_name.empty() || n != ref_name) idx["manifests"].push_back(m);
    }
  }
  Descriptor d = img.manifest_desc;
  d.media_type = kMediaManifest;
  d.annotations.clear();
  if (!ref_name.empty()) d.annotations[kRefName] = ref_name;
  idx["manifests"].push_back(d.to_json());
  write_file_atomic(dir + "/index.json", idx.dump());
}

}  // namespace

bool is_transport_ref(const std::string& ref) {
  return ref.rfind("oci:", 0) == 0 || ref.rfind("oci-archive:", 0) == 0 || ref.rfind("docker-archive:", 0) == 0;
}

TransportRef parse_transport_ref(const std::string& s) {
  TransportRef r;
  size_t c = s.find(':');
  if (c == std::string::npos || !is_transport_ref(s)) {
    throw Error("\"" + s + "\": want oci:DIR[:NAME], oci-archive:PATH[:NAME] or docker-archive:PATH[:NAME] (registries come later)");
  }
  r.transport = s.substr(0, c);
  std::string rest = s.substr(c + 1);
  size_t c2 = rest.find(':');
  r.path = rest.substr(0, c2);
  if (c2 != std::string::npos) r.ref = rest.substr(c2 + 1);
  if (r.path.empty()) throw Error("\"" + s + "\": empty path");
  return r;
}

Image pull(Store& store, const std::string& source, const std::string& tag) {
  TransportRef r = parse_transport_ref(source);
  Image img;
  if (r.transport == "oci") {
    img = import_layout(store, r.path, r.ref, source);
  } else {
    TempTree tmp{store.make_temp_dir("pull")};
    try {
      extract_tar_file(r.path, tmp.path, ExtractMode::Apply, source);
    } catch (const Error& e) {
      throw Error(source + ": " + e.what(), e.code());
    }
    if (r.transport == "oci-archive") {
      img = import_layout(store, tmp.path, r.ref, source);
    } else {
      struct stat st {};
      if (::lstat((tmp.path + "/manifest.json").c_str(), &st) != 0) throw Error(source + ": no manifest.json inside: not a docker-archive");
      Rooted in(tmp.path);
      json dm = parse_json_file(in.path("manifest.json"));
      if (!dm.is_array() || dm.empty()) throw Error(source + ": manifest.json: not a non-empty array");
      const json* pick = &dm[0];
      if (!r.ref.empty()) {
        pick = nullptr;
        for (const auto& e : dm) {
          for (const auto& t : e.value("RepoTags", json::array())) {
            if (t.is_string() && (t == r.ref || t == normalize_ref(r.ref))) pick = &e;
          }
        }
        if (!pick) throw Error(source + ": no image tagged \"" + r.ref + "\"");
      }
      std::string cfg_name = pick->value("Config", "");
      if (cfg_name.empty() || cfg_name.find("..") != std::string::npos) throw Error(source + ": manifest.json: bad Config");
      std::string cfg_data = read_file(in.path(cfg_name));
      json cfg = json::parse(cfg_data, nullptr, false);
      if (cfg.is_discarded() || !cfg.contains("rootfs")) throw Error(source + ": " + cfg_name + ": not an image config");
      auto diff_ids = cfg["rootfs"].value("diff_ids", json::array());
      auto layers = pick->value("Layers", json::array());
      if (diff_ids.size() != layers.size()) throw Error(source + ": config has " + std::to_string(diff_ids.size()) + " diff_ids for " + std::to_string(layers.size()) + " layers");
      auto cd = store.put_blob(cfg_data, kMediaConfig);
      json m = {{"schemaVersion", 2}, {"mediaType", kMediaManifest}, {"config", cd.to_json()}, {"layers", json::array()}};
      for (size_t i = 0; i < layers.size(); ++i) {
        std::string lp = layers[i].get<std::string>();
        if (lp.find("..") != std::string::npos) throw Error(source + ": bad layer path \"" + lp + "\"");
        std::string full = in.path(lp);
        std::string d = import_blob(store, full, "");
        unsigned char head[4] = {};
        UniqueFd hf(::open(full.c_str(), O_RDONLY | O_CLOEXEC));
        if (!hf || ::read(hf.get(), head, sizeof head) < 0) throw_errno(source + ": read " + lp);
        bool gz = head[0] == 0x1f && head[1] == 0x8b;
        bool zst = head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
        if (!gz && !zst && d != diff_ids[i].get<std::string>()) throw Error(source + ": layer " + lp + " does not match its diff_id");
        struct stat ls {};
        ::fstat(hf.get(), &ls);
        m["layers"].push_back(Descriptor{gz ? kMediaLayerGzip : zst ? kMediaLayerZstd : kMediaLayerTar, d, ls.st_size, {}}.to_json());
      }
      auto md = store.put_blob(m.dump(), kMediaManifest);
      img = store.load(md);
      if (tag.empty()) {
        auto tags = pick->value("RepoTags", json::array());
        if (!tags.empty() && tags[0].is_string()) store.tag(tags[0].get<std::string>(), md);
      }
    }
  }
  if (!tag.empty()) {
    store.tag(tag, img.manifest_desc);
  } else if (r.transport != "docker-archive" && !r.ref.empty()) {
    store.tag(r.ref, img.manifest_desc);
  }
  return img;
}

void push(const Store& store, const Image& img, const std::string& dest, const std::string& ref_name) {
  TransportRef r = parse_transport_ref(dest);
  std::string name = r.ref.empty() ? ref_name : r.ref;
  if (r.transport == "oci") {
    write_layout(store, img, r.path, name);
    return;
  }
  TempTree tmp{store.make_temp_dir("push")};
  if (r.transport == "oci-archive") {
    write_layout(store, img, tmp.path, name);
    tar_dir(tmp.path, r.path);
    return;
  }
  // docker-archive: plain layer tars, the config as <hex>.json, manifest.json.
  json entry = {{"Config", digest_hex(img.config_desc.digest) + ".json"}, {"RepoTags", json::array()}, {"Layers", json::array()}};
  if (!name.empty()) entry["RepoTags"].push_back(normalize_ref(name));
  copy_file(store.blob_path(img.config_desc.digest), tmp.path + "/" + digest_hex(img.config_desc.digest) + ".json");
  for (const auto& l : img.layers) {
    std::string dir = tmp.path + "/" + digest_hex(l.diff_id);
    mkdir_p(dir);
    std::string got = write_plain_layer(store.blob_path(l.blob.digest), dir + "/layer.tar");
    if (got != l.diff_id) throw Error("layer " + l.blob.digest + ": uncompressed content is " + got + ", not its diff_id " + l.diff_id);
    entry["Layers"].push_back(digest_hex(l.diff_id) + "/layer.tar");
  }
  write_file_atomic(tmp.path + "/manifest.json", json::array({entry}).dump());
  tar_dir(tmp.path, r.path);
}

}  // namespace berth::image
