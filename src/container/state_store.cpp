#include "berth/container/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"
#include "berth/util/read_limited.hpp"

namespace berth::container {

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.';
  });
}

std::string seccomp_cache_dir(const std::string& root) { return root + "/.seccomp-cache"; }

void check_id(const std::string& id) {
  // The id names a directory under --root: longer than a file name may be, every
  // command would fail on it with ENAMETOOLONG (or take it for a missing container).
  if (id.size() > kMaxIdLength)
    throw Error("invalid container id \"" + id.substr(0, 32) + "...\": " + std::to_string(id.size()) +
                " characters, at most " + std::to_string(kMaxIdLength) + " (it names a directory)");
  if (!valid_id(id)) throw Error("invalid container id \"" + id + "\": use letters, digits and _+-. (not starting with .)");
}

// An unprivileged user's default root is /run/berth when XDG_RUNTIME_DIR is unset: say how out.
[[noreturn]] static void throw_mkdir_error(const std::string& what, int err) {
  std::string hint = err == EACCES && ::geteuid() != 0 ? " (as a non-root user, set XDG_RUNTIME_DIR or pass --root)" : "";
  throw Error(what + ": " + std::strerror(err) + hint, err);
}

// The directory, locked; an empty fd if it does not exist. Any other reason it
// cannot be opened (EACCES, ENOTDIR, ELOOP...) is that error, not "does not exist".
static UniqueFd lock_dir(const std::string& path, Access access = Access::Exclusive, bool* busy = nullptr) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return fd;
    throw_errno("open state directory " + path);
  }
  if (access == Access::Read) {
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK) throw_errno("lock " + path);
    if (busy) *busy = true;
    return fd;
  }
  while (::flock(fd.get(), LOCK_EX) < 0)
    if (errno != EINTR) throw_errno("lock " + path);
  return fd;
}

StateDir StateDir::create(const std::string& root, const std::string& id) {
  check_id(id);
  std::string path = root + "/" + id;
  int made = ::mkdir(path.c_str(), 0711);
  if (made < 0 && errno == ENOENT) {
    // Engines pass roots whose parents may not exist yet (runc creates them all);
    // usually the root is there and the one mkdir above was all.
    for (size_t i = 1; i <= root.size(); ++i) {
      if (i != root.size() && root[i] != '/') continue;
      std::string part = root.substr(0, i);
      if (::mkdir(part.c_str(), 0711) < 0 && errno != EEXIST) {
        throw_mkdir_error("create state root " + part, errno);
      }
    }
    made = ::mkdir(path.c_str(), 0711);
  }
  if (made < 0) {
    if (errno == EEXIST) throw Error("container with given ID already exists: " + id, EEXIST);
    throw_mkdir_error("create state directory " + path, errno);
  }
  UniqueFd lock = lock_dir(path);
  if (!lock) throw_errno("open " + path);
  return StateDir(path, id, std::move(lock));
}

StateDir StateDir::open(const std::string& root, const std::string& id, Access access) {
  check_id(id);
  std::string path = root + "/" + id;
  bool busy = false;
  UniqueFd lock = lock_dir(path, access, &busy);
  // Deleted while we waited for the lock, or created but nothing recorded yet: gone for us.
  // A create killed after it recorded something (creating.json) is there: `delete --force`
  // must find it.
  if (!lock || (::access((path + "/state.json").c_str(), F_OK) != 0 &&
                ::access((path + "/creating.json").c_str(), F_OK) != 0))
    throw Error("container does not exist", ENOENT);
  return StateDir(path, id, std::move(lock), busy);
}

bool StateDir::create_in_progress() const {
  return busy_ && ::access(file("creating.json").c_str(), F_OK) == 0;
}

void StateDir::unlock() {
  if (lock_ && !busy_) ::flock(lock_.get(), LOCK_UN);
}

void StateDir::relock() {
  if (!lock_) return;
  while (::flock(lock_.get(), LOCK_EX) < 0)
    if (errno != EINTR) throw_errno("lock " + path_);
  busy_ = false;
}

void StateDir::finish_create() const {
  if (::unlink(file("creating.json").c_str()) < 0 && errno != ENOENT) throw_errno("remove " + file("creating.json"));
}

nlohmann::json StateDir::read_state() const {
  std::string text = read_limited(file("state.json"), kMaxStateBytes);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file("state.json") + ": " + e.what());
  }
}

static void write_atomic(const std::string& target, const nlohmann::json& j) {
  std::string tmp = target + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + tmp);
    std::string data = j.dump();
    if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) throw_errno("write " + tmp);
  }
  if (::rename(tmp.c_str(), target.c_str()) < 0) throw_errno("rename " + tmp);
}

bool StateDir::has_state() const { return ::access(file("state.json").c_str(), F_OK) == 0; }

nlohmann::json StateDir::read_partial() const {
  std::string text = read_limited(file("creating.json"), kMaxStateBytes);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file("creating.json") + ": " + e.what());
  }
}

void StateDir::write_partial(const nlohmann::json& j) const { write_atomic(file("creating.json"), j); }

void StateDir::write_state(const nlohmann::json& j) const {
  std::string tmp = file("state.json.tmp");
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + tmp);
    std::string data = j.dump();
    if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) throw_errno("write " + tmp);
  }
  if (::rename(tmp.c_str(), file("state.json").c_str()) < 0) throw_errno("rename " + tmp);
}

void StateDir::remove() {
  DIR* d = ::opendir(path_.c_str());
  if (d) {
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      const std::string p = path_ + "/" + n;
      if (::unlink(p.c_str()) == 0 || errno == ENOENT) continue;
      if (errno != EISDIR) throw_errno("remove " + p);
      // notify/ (container/notify_socket.hpp): its socket, then itself
      ::unlink((p + "/notify.sock").c_str());
      if (::rmdir(p.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + p);
    }
  }
  if (::rmdir(path_.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + path_);
}

std::vector<std::string> StateDir::list(const std::string& root) {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    throw_errno("open " + root);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (!valid_id(n)) continue;
    if (::access((root + "/" + n + "/state.json").c_str(), F_OK) != 0 &&
        ::access((root + "/" + n + "/creating.json").c_str(), F_OK) != 0)
      continue;
    ids.push_back(n);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace berth::container
