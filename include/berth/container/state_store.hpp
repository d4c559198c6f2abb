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

class StateDir {
 public:
  // mkdir --root/<id> (refusing an existing one) and lock it.
  static StateDir create(const std::string& root, const std::string& id);
  // Opens and locks an existing container's directory; throws "container does not exist".
  static StateDir open(const std::string& root, const std::string& id);

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
  StateDir(std::string path, std::string id, UniqueFd lock) : path_(std::move(path)), id_(std::move(id)), lock_(std::move(lock)) {}
  std::string path_;
  std::string id_;
  UniqueFd lock_;
};

}  // namespace berth::container
