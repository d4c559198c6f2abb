// Container state on disk: --root/<id>/ holds state.json and the exec fifo.
// The directory itself is flock()ed while a command works on the container,
// so concurrent commands on one id are serialised.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/util/fd.hpp"

namespace berth::container {

// --root/.seccomp-cache: compiled seccomp filters (linux/seccomp_cache.hpp). A
// container id cannot start with ".", so it never clashes with one.
std::string seccomp_cache_dir(const std::string& root);

// Runc's rule: letters, digits and "_+-.", not starting with "."; at most
// kMaxIdLength characters, the longest file name (runc allows 1024, which then
// fails with ENAMETOOLONG on the state directory).
inline constexpr std::size_t kMaxIdLength = 255;
bool valid_id(const std::string& id);
void check_id(const std::string& id);  // throws berth::Error

// How a command holds a container's directory.
enum class Access {
  Exclusive,  // changes the container: waits for every other holder
  // Only reads (state, list, ps): a shared lock when it is free, else no lock
  // and no wait: state.json and creating.json are replaced atomically, so they
  // can be read while create, start, kill or delete hold the lock (a `state`
  // during a create reports "creating" instead of waiting for its end).
  Read,
};

class StateDir {
 public:
  // mkdir --root/<id> (refusing an existing one) and lock it.
  static StateDir create(const std::string& root, const std::string& id);
  // Opens and locks an existing container's directory; throws "container does
  // not exist" (ENOENT) or why it cannot be opened.
  static StateDir open(const std::string& root, const std::string& id, Access access = Access::Exclusive);

  // Access::Read found the directory locked by a command that changes it.
  bool busy() const { return busy_; }
  // A create holds the lock and has not finished (busy, and creating.json is
  // still there: create removes it when it succeeds).
  bool create_in_progress() const;
  // Lets other commands in while this one waits on something slow (start's
  // poststart hooks); relock() takes the exclusive lock again.
  void unlock();
  void relock();
  // A finished create: state.json supersedes creating.json.
  void finish_create() const;

  const std::string& path() const { return path_; }
  const std::string& id() const { return id_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  nlohmann::json read_state() const;
  // Atomic replace (write temp + rename).
  void write_state(const nlohmann::json& j) const;
  // creating.json: what a create has made so far (cgroup, then the init's pid and
  // start time), written before each can outlive a killed create, so that
  // `delete --force` finds it. state.json, once written, supersedes it.
  bool has_state() const;
  nlohmann::json read_partial() const;
  void write_partial(const nlohmann::json& j) const;
  // Removes the directory and its files.
  void remove();

  // Container ids present under root (sorted).
  static std::vector<std::string> list(const std::string& root);

 private:
  StateDir(std::string path, std::string id, UniqueFd lock, bool busy = false)
      : path_(std::move(path)), id_(std::move(id)), lock_(std::move(lock)), busy_(busy) {}
  std::string path_;
  std::string id_;
  UniqueFd lock_;
  bool busy_ = false;
};

}  // namespace berth::container
