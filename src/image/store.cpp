#include "berth/image/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>

#include "berth/image/digest.hpp"
#include "berth/util/error.hpp"

namespace berth::image {
namespace {

std::string random_suffix() {
  static std::random_device rd;
  static std::mt19937_64 rng(rd() ^ (static_cast<uint64_t>(getpid()) << 32));
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

void mkdirs(const std::string& p, mode_t mode = 0700) {
  std::string cur;
  size_t i = 0;
  while (i <= p.size()) {
    size_t e = p.find('/', i);
    if (e == std::string::npos) e = p.size();
    cur = p.substr(0, e);
    if (!cur.empty() && ::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + cur);
    i = e + 1;
  }
}

void remove_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno(std::string("unlink ") + name);
  UniqueFd sub(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) throw_errno(std::string("open ") + name);
  DIR* d = ::fdopendir(::dup(sub.get()));
  if (!d) throw_errno(std::string("opendir ") + name);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.push_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) remove_at(sub.get(), n.c_str());
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) throw_errno(std::string("rmdir ") + name);
}

}  // namespace

void remove_tree(const std::string& path) {
  if (path.empty() || path == "/") throw Error("remove_tree: refusing \"" + path + "\"");
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd p(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!p) {
    if (errno == ENOENT) return;
    throw_errno("open " + parent);
  }
  remove_at(p.get(), base.c_str());
}

void write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp-" + random_suffix();
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw_errno("create " + tmp);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::unlink(tmp.c_str());
      throw_errno("write " + tmp, e);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("write " + path, e);
  }
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) throw Error("store root is empty");
  mkdirs(root_ + "/blobs/sha256", 0755);
  mkdirs(root_ + "/berth/tmp");
  mkdirs(root_ + "/berth/layers");
  mkdirs(root_ + "/berth/cache");
  struct stat st {};
  if (::stat((root_ + "/oci-layout").c_str(), &st) != 0) {
    write_file_atomic(root_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  if (::stat((root_ + "/index.json").c_str(), &st) != 0) {
    Lock l(*this);
    if (::stat((root_ + "/index.json").c_str(), &st) != 0) {
      write_file_atomic(root_ + "/index.json", R"({"schemaVersion":2,"manifests":[]})");
    }
  }
}

Store::Lock::Lock(const Store& s) {
  std::string p = s.root() + "/berth/lock";
  fd_.reset(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw_errno("open " + p);
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw_errno("lock " + p);
  }
}

std::string Store::blob_path(const std::string& digest) const { return root_ + "/blobs/sha256/" + digest_hex(digest); }

bool Store::has_blob(const std::string& digest) const {
  struct stat st {};
  return valid_digest(digest) && ::stat(blob_path(digest).c_str(), &st) == 0;
}

Descriptor Store::put_blob(std::string_view data, const std::string& media_type) {
  Descriptor d;
  d.media_type = media_type;
  d.digest = sha256_digest(data);
  d.size = static_cast<int64_t>(data.size());
  if (!has_blob(d.digest)) write_file_atomic(blob_path(d.digest), data);
  return d;
}

void Store::adopt_blob(const std::string& tmp_path, const std::string& digest) {
  if (has_blob(digest)) {
    ::unlink(tmp_path.c_str());
    return;
  }
  ::chmod(tmp_path.c_str(), 0644);
  if (::rename(tmp_path.c_str(), blob_path(digest).c_str()) != 0) throw_errno("rename " + tmp_path + " to " + blob_path(digest));
}

std::string Store::read_blob(const std::string& digest) const {
  std::string data = read_file(blob_path(digest));
  if (sha256_digest(data) != digest) throw Error("blob " + digest + ": content does not match its digest (store corrupted?)");
  return data;
}

std::string Store::tmp_dir() const { return root_ + "/berth/tmp"; }

std::string Store::make_temp_dir(const std::string& prefix) const {
  for (int i = 0; i < 100; ++i) {
    // The pid in the name lets prune tell a dead build's leftovers from a running one's.
    std::string p = tmp_dir() + "/" + prefix + "-" + std::to_string(::getpid()) + "-" + random_suffix();
    if (::mkdir(p.c_str(), 0700) == 0) return p;
    if (errno != EEXIST) throw_errno("mkdir " + p);
  }
  throw Error("mkdir under " + tmp_dir() + ": no unique name found");
}

nlohmann::json Store::read_index() const {
  std::string p = root_ + "/index.json";
  auto j = nlohmann::json::parse(read_file(p), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(p + ": not a JSON object");
  if (!j.contains("manifests")) j["manifests"] = nlohmann::json::array();
  if (!j["manifests"].is_array()) throw Error(p + ": manifests: not an array");
  return j;
}

void Store::write_index(const nlohmann::json& idx) { write_file_atomic(root_ + "/index.json", idx.dump()); }

std::vector<Descriptor> Store::manifests() const {
  std::vector<Descriptor> out;
  auto idx = read_index();
  for (size_t i = 0; i < idx["manifests"].size(); ++i) {
    out.push_back(Descriptor::from_json(idx["manifests"][i], root_ + "/index.json: manifests[" + std::to_string(i) + "]"));
  }
  return out;
}

std::optional<Descriptor> Store::find(const std::string& ref) const {
  auto all = manifests();
  if (valid_digest(ref)) {
    for (const auto& d : all) {
      if (d.digest == ref) return d;
    }
    if (has_blob(ref)) return Descriptor{kMediaManifest, ref, static_cast<int64_t>(read_blob(ref).size()), {}};
    return std::nullopt;
  }
  std::string name;
  try {
    name = normalize_ref(ref);
  } catch (const Error&) {
    name.clear();
  }
  for (const auto& d : all) {
    auto it = d.annotations.find(kRefName);
    if (it != d.annotations.end() && (it->second == name || it->second == ref)) return d;
  }
  std::string hex = ref.rfind("sha256:", 0) == 0 ? ref.substr(7) : ref;
  if (hex.size() >= 12 && hex.find_first_not_of("0123456789abcdef") == std::string::npos) {
    std::optional<Descriptor> hit;
    for (const auto& d : all) {
      if (d.digest.compare(7, hex.size(), hex) == 0) {
        if (hit && hit->digest != d.digest) throw Error("image id prefix \"" + ref + "\" is ambiguous");
        hit = d;
      }
    }
    return hit;
  }
  return std::nullopt;
}

void Store::tag(const std::string& ref, const Descriptor& manifest) {
  std::string name = normalize_ref(ref);
  Lock l(*this);
  auto idx = read_index();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : idx["manifests"]) {
    if (m.contains("annotations") && m["annotations"].is_object() && m["annotations"].value(kRefName, "") == name) continue;
    out.push_back(m);
  }
  Descriptor d = manifest;
  d.annotations[kRefName] = name;
  out.push_back(d.to_json());
  idx["manifests"] = out;
  idx["schemaVersion"] = 2;
  write_index(idx);
}

bool Store::untag(const std::string& ref) {
  std::string name = normalize_ref(ref);
  Lock l(*this);
  auto idx = read_index();
  nlohmann::json out = nlohmann::json::array();
  bool found = false;
  for (const auto& m : idx["manifests"]) {
    if (m.contains("annotations") && m["annotations"].is_object() && m["annotations"].value(kRefName, "") == name) {
      found = true;
      continue;
    }
    out.push_back(m);
  }
  if (found) {
    idx["manifests"] = out;
    write_index(idx);
  }
  return found;
}

Image Store::load(const Descriptor& desc) const {
  Image img;
  img.manifest_desc = desc;
  std::string where = "manifest " + desc.digest;
  auto m = nlohmann::json::parse(read_blob(desc.digest), nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw Error(where + ": not a JSON object");
  std::string mt = m.value("mediaType", desc.media_type);
  if (mt == kMediaIndex || mt == kDockerManifestList || (m.contains("manifests") && !m.contains("layers"))) {
    // An index: take the linux/amd64 manifest (or the only one).
    if (!m.contains("manifests") || !m["manifests"].is_array() || m["manifests"].empty()) throw Error(where + ": index without manifests");
    const nlohmann::json* pick = nullptr;
    for (const auto& e : m["manifests"]) {
      auto p = e.value("platform", nlohmann::json::object());
      if (p.value("os", "linux") == "linux" && p.value("architecture", "amd64") == "amd64") {
        pick = &e;
        break;
      }
    }
    if (!pick) throw Error(where + ": no linux/amd64 image in the index");
    return load(Descriptor::from_json(*pick, where + ": manifests[]"));
  }
  if (!m.contains("config") || !m.contains("layers") || !m["layers"].is_array()) throw Error(where + ": config or layers missing");
  img.manifest = m;
  img.config_desc = Descriptor::from_json(m["config"], where + ": config");
  auto c = nlohmann::json::parse(read_blob(img.config_desc.digest), nullptr, false);
  if (c.is_discarded() || !c.is_object()) throw Error("config " + img.config_desc.digest + ": not a JSON object");
  img.config = c;
  auto diff_ids = c.contains("rootfs") && c["rootfs"].is_object() ? c["rootfs"].value("diff_ids", nlohmann::json::array())
                                                                    : nlohmann::json::array();
  if (!diff_ids.is_array() || diff_ids.size() != m["layers"].size()) {
    throw Error("config " + img.config_desc.digest + ": rootfs.diff_ids does not match the manifest's " +
                std::to_string(m["layers"].size()) + " layers");
  }
  for (size_t i = 0; i < m["layers"].size(); ++i) {
    Layer l;
    l.blob = Descriptor::from_json(m["layers"][i], where + ": layers[" + std::to_string(i) + "]");
    if (!diff_ids[i].is_string() || !valid_digest(diff_ids[i].get<std::string>())) {
      throw Error("config " + img.config_desc.digest + ": rootfs.diff_ids[" + std::to_string(i) + "]: invalid");
    }
    l.diff_id = diff_ids[i].get<std::string>();
    img.layers.push_back(l);
  }
  return img;
}

std::string Store::layer_dir(const std::string& diff_id) const { return root_ + "/berth/layers/" + digest_hex(diff_id); }

std::optional<nlohmann::json> Store::cache_get(const std::string& key) const {
  std::string p = root_ + "/berth/cache/" + digest_hex(key) + ".json";
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  auto j = nlohmann::json::parse(read_file(p), nullptr, false);
  if (j.is_discarded()) return std::nullopt;  // a torn entry is a miss, not an error
  return j;
}

void Store::cache_put(const std::string& key, const nlohmann::json& value) {
  write_file_atomic(root_ + "/berth/cache/" + digest_hex(key) + ".json", value.dump());
}

void Store::cache_clear() {
  Lock l(*this);
  remove_tree(root_ + "/berth/cache");
  mkdirs(root_ + "/berth/cache");
}

namespace {
std::vector<std::string> list_dir(const std::string& p) {
  std::vector<std::string> out;
  DIR* d = ::opendir(p.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  ::closedir(d);
  return out;
}
}  // namespace

Store::PruneResult Store::prune() {
  Lock l(*this);
  std::set<std::string> keep_blobs, keep_layers;
  auto keep_image = [&](const Descriptor& d) {
    keep_blobs.insert(d.digest);
    try {
      Image img = load(d);
      keep_blobs.insert(img.manifest_desc.digest);
      keep_blobs.insert(img.config_desc.digest);
      for (const auto& ly : img.layers) {
        keep_blobs.insert(ly.blob.digest);
        keep_layers.insert(digest_hex(ly.diff_id));
      }
    } catch (const Error&) {
      // a broken image keeps what it names directly; prune never deletes on a guess
    }
  };
  for (const auto& d : manifests()) keep_image(d);
  for (const auto& f : list_dir(root_ + "/berth/cache")) {
    auto j = nlohmann::json::parse(read_file(root_ + "/berth/cache/" + f), nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    for (const auto& b : j.value("blobs", nlohmann::json::array())) {
      if (b.is_string()) keep_blobs.insert(b.get<std::string>());
    }
    for (const auto& b : j.value("diff_ids", nlohmann::json::array())) {
      if (b.is_string() && valid_digest(b.get<std::string>())) keep_layers.insert(digest_hex(b.get<std::string>()));
    }
  }
  PruneResult r;
  for (const auto& t : list_dir(tmp_dir())) {
    size_t a = t.find('-'), b = t.rfind('-');
    if (a == std::string::npos || b <= a + 1) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(t.substr(a + 1, b - a - 1).c_str()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      remove_tree(tmp_dir() + "/" + t);
      ++r.tmp_dirs;
    }
  }
  for (const auto& hex : list_dir(root_ + "/blobs/sha256")) {
    if (keep_blobs.count("sha256:" + hex)) continue;
    std::string p = root_ + "/blobs/sha256/" + hex;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) r.bytes += static_cast<uint64_t>(st.st_size);
    if (::unlink(p.c_str()) == 0) ++r.blobs;
  }
  for (const auto& hex : list_dir(root_ + "/berth/layers")) {
    if (keep_layers.count(hex)) continue;
    remove_tree(root_ + "/berth/layers/" + hex);
    ++r.layer_dirs;
  }
  // Short links to unpacked layers (berth-build's overlay lower dirs) that now lead nowhere.
  for (const auto& name : list_dir(root_ + "/berth/l")) {
    struct stat st {};
    std::string link = root_ + "/berth/l/" + name;
    if (::stat(link.c_str(), &st) != 0 && errno == ENOENT) ::unlink(link.c_str());
  }
  return r;
}

}  // namespace berth::image
