// A SyscallSeam that does nothing but write down what it was asked, one line a
// call ("mount /proc", "setresuid 0", "prctl PR_SET_PDEATHSIG 9"), so that unit
// tests check the order of the init's steps without root.
#pragma once
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "berth/oci/parse.hpp"
#include "berth/process/syscall_seam.hpp"

namespace berth::test {

class RecordingSyscalls final : public process::SyscallSeam {
 public:
  std::vector<std::string> calls;
  bool give_notify_fd = false;  // load_seccomp returns an fd (of /dev/null), as a NOTIFY filter would

  void prctl(int option, unsigned long arg) override {
    const char* name = option == PR_SET_PDEATHSIG      ? "PR_SET_PDEATHSIG"
                       : option == PR_SET_DUMPABLE     ? "PR_SET_DUMPABLE"
                       : option == PR_SET_KEEPCAPS     ? "PR_SET_KEEPCAPS"
                       : option == PR_SET_NO_NEW_PRIVS ? "PR_SET_NO_NEW_PRIVS"
                                                       : "?";
    add(std::string("prctl ") + name + " " + std::to_string(arg));
  }
  void umask(mode_t mask) override { add("umask " + std::to_string(mask)); }
  void unblock_signals() override { add("unblock_signals"); }
  void exit_on_signals() override { add("exit_on_signals"); }
  // The kernel's fd calls: close_range answers `close_range_errno` (0: it
  // works; ENOSYS: Linux < 5.9); /proc/self/fd lists `open` unless `no_proc`.
  int close_range_errno = 0;
  bool no_proc = false;
  std::vector<int> open_fd_list = {0, 1, 2};
  int nofile = 16;
  int close_range(unsigned first, unsigned last) override {
    add("close_range " + std::to_string(first) + " " + (last == ~0U ? std::string("end") : std::to_string(last)));
    return close_range_errno;
  }
  bool open_fds(std::vector<int>& out) override {
    add("open_fds");
    if (no_proc) return false;
    out = open_fd_list;
    return true;
  }
  int fd_limit() override { return nofile; }
  void close(int fd) override { add("close " + std::to_string(fd)); }
  void set_cloexec(int fd, bool on) override { add(std::string(on ? "cloexec " : "no_cloexec ") + std::to_string(fd)); }
  pid_t fork() override {
    add("fork");
    return 0;  // carry on as the child
  }
  bool parent_dead = false;  // peer_gone's answer
  bool peer_gone(int) override {
    add("peer_gone");
    return parent_dead;
  }
  void setsid() override { add("setsid"); }
  int chdir(const std::string& path) override {
    add("chdir " + path);
    return 0;
  }
  void unshare(int flags) override { add("unshare " + std::to_string(flags)); }
  void setns(const linux_::JoinedNs& ns) override { add(std::string("setns ") + oci::namespace_name(ns.type)); }
  void write_time_offsets(const std::map<std::string, oci::TimeOffset>&) override { add("write_time_offsets"); }
  void set_hostname(const std::string& h, const std::string& d) override { add("set_hostname " + h + " " + d); }
  void setresgid(gid_t gid) override { add("setresgid " + std::to_string(gid)); }
  void setresuid(uid_t uid) override { add("setresuid " + std::to_string(uid)); }
  void set_user(const oci::User& u, bool keep_groups) override {
    add("set_user " + std::to_string(u.uid) + (keep_groups ? " keep_groups" : ""));
  }
  void set_bounding(const oci::Capabilities&) override { add("set_bounding"); }
  void set_caps(const oci::Capabilities&) override { add("set_caps"); }
  void join_cgroup(const std::vector<UniqueFd>& tasks) override {
    add("join_cgroup " + std::to_string(tasks.size()));
  }
  UniqueFd bind_rootfs(const linux_::RootfsContext&) override {
    add("bind_rootfs");
    return {};
  }
  void mount_entry(int, size_t index, const linux_::RootfsContext& ctx) override {
    add("mount " + ctx.spec->mounts.at(index).destination);
  }
  void make_devices(int, const linux_::RootfsContext&) override { add("make_devices"); }
  void mkdir_in_root(const std::string&, const std::string& path) override { add("mkdir_in_root " + path); }
  void pivot_root(const std::string&, bool no_pivot, bool) override { add(no_pivot ? "move_root" : "pivot_root"); }
  void chroot(const std::string&) override { add("chroot"); }
  void finalize_rootfs(const oci::Spec&) override { add("finalize_rootfs"); }
  void sysctl(const std::map<std::string, std::string>&) override { add("sysctl"); }
  void set_personality(const oci::Personality& p) override { add("set_personality " + p.domain); }
  void set_scheduler(const oci::Scheduler& s) override { add("set_scheduler " + s.policy); }
  void set_io_priority(const oci::IOPriority& p) override { add("set_io_priority " + p.ioClass); }
  void set_cpu_affinity(const std::string& cpus, const std::string&) override { add("set_cpu_affinity " + cpus); }
  void reset_cpu_affinity() override { add("reset_cpu_affinity"); }
  void set_memory_policy(const oci::MemoryPolicy& p) override { add("set_memory_policy " + p.mode); }
  void terminal(const oci::Process&, int, bool mount_console) override {
    add(mount_console ? "terminal /dev/console" : "terminal");
  }
  void join_session_keyring(const std::string&) override { add("join_session_keyring"); }
  void lsm_labels(const oci::Process&) override { add("lsm_labels"); }
  UniqueFd load_seccomp(const linux_::SeccompFilter&) override {
    add("load_seccomp");
    return give_notify_fd ? UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)) : UniqueFd{};
  }
  bool await_start(int, bool) override {
    add("await_start");
    return true;
  }
  void exec(const std::string& path, const std::vector<std::string>&, const std::vector<std::string>&) override {
    add("exec " + path);
  }

  // Position of the first call that starts with `prefix` (calls.size() if none).
  size_t first(const std::string& prefix) const {
    for (size_t i = 0; i < calls.size(); ++i)
      if (calls[i].rfind(prefix, 0) == 0) return i;
    return calls.size();
  }
  // Position of the last such call (calls.size() if none).
  size_t last(const std::string& prefix) const {
    for (size_t i = calls.size(); i-- > 0;)
      if (calls[i].rfind(prefix, 0) == 0) return i;
    return calls.size();
  }
  bool has(const std::string& prefix) const { return first(prefix) < calls.size(); }

 private:
  void add(std::string s) { calls.push_back(std::move(s)); }
};

}  // namespace berth::test
