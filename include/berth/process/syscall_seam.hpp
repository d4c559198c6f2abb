// The thin seam between the init's steps (init_steps.hpp) and the kernel: every
// call a step makes that mounts, pivots, changes credentials, namespaces or
// process-wide state goes through it. LinuxSyscalls is the real thing (each
// method a call into linux/ or one syscall); unit tests pass a recording double
// and check the order of the calls without root (tests/unit/test_process_steps.cpp).
//
// Every method throws berth::Error naming what failed on what, as the call it
// stands for does.
#pragma once
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "berth/linux/namespaces.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
class SeccompFilter;
}

namespace berth::process {

class SyscallSeam {
 public:
  virtual ~SyscallSeam() = default;

  // Process-wide state.
  virtual void prctl(int option, unsigned long arg) = 0;  // PR_SET_{PDEATHSIG,DUMPABLE,KEEPCAPS,NO_NEW_PRIVS}
  virtual void umask(mode_t mask) = 0;
  virtual void unblock_signals() = 0;
  // Until execve: a signal whose default is to end the process ends it (exit 128 + signal),
  // even as the init of a new PID namespace, which the kernel otherwise spares from every
  // signal it has no handler for. execve puts the defaults back.
  virtual void exit_on_signals() = 0;
  // Closing fds (close_fds.hpp puts these together): close_range(2) with no
  // flags, 0 or the errno (ENOSYS before Linux 5.9); the open fds as listed in
  // /proc/self/fd (false: it cannot be read); the highest number an fd may
  // have plus one (RLIMIT_NOFILE); close(2), its result ignored (a number not
  // open is EBADF); FD_CLOEXEC set or cleared (a number not open is ignored).
  virtual int close_range(unsigned first, unsigned last) = 0;
  virtual bool open_fds(std::vector<int>& out) = 0;
  virtual int fd_limit() = 0;
  virtual void close(int fd) = 0;
  virtual void set_cloexec(int fd, bool on) = 0;
  virtual pid_t fork() = 0;  // 0 in the child, as fork(2)
  // The other end of the packet socket `sock` is closed (poll: POLLHUP/POLLRDHUP):
  // the init's parent is gone.
  virtual bool peer_gone(int sock) = 0;
  virtual void setsid() = 0;
  virtual int chdir(const std::string& path) = 0;  // 0 or the errno: a caller may try again later

  // Namespaces.
  virtual void unshare(int flags) = 0;
  virtual void setns(const linux_::JoinedNs& ns) = 0;
  virtual void write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets) = 0;
  virtual void set_hostname(const std::string& hostname, const std::string& domainname) = 0;

  // Credentials.
  virtual void setresgid(gid_t gid) = 0;
  virtual void setresuid(uid_t uid) = 0;
  // setgroups (unless keep_groups: run.oci.keep_original_groups), then gid, then uid
  virtual void set_user(const oci::User& user, bool keep_groups) = 0;
  virtual void set_bounding(const oci::Capabilities& caps) = 0;
  virtual void set_caps(const oci::Capabilities& caps) = 0;  // effective, permitted, inheritable, ambient

  // The container's cgroup: writes "0" into each v1 `tasks` file the parent passed.
  virtual void join_cgroup(const std::vector<UniqueFd>& tasks) = 0;

  // The root file system (linux/rootfs.hpp).
  virtual UniqueFd bind_rootfs(const linux_::RootfsContext& ctx) = 0;
  virtual void mount_entry(int rootfd, size_t index, const linux_::RootfsContext& ctx) = 0;
  virtual void make_devices(int rootfd, const linux_::RootfsContext& ctx) = 0;
  virtual void mkdir_in_root(const std::string& rootfs, const std::string& path) = 0;
  virtual void pivot_root(const std::string& rootfs, bool no_pivot, bool old_root_shared) = 0;
  virtual void chroot(const std::string& path) = 0;
  virtual void finalize_rootfs(const oci::Spec& spec) = 0;
  virtual void sysctl(const std::map<std::string, std::string>& values) = 0;

  // Scheduling attributes (linux/sched_attrs.hpp), kept across execve.
  virtual void set_personality(const oci::Personality& p) = 0;
  virtual void set_scheduler(const oci::Scheduler& s) = 0;
  virtual void set_io_priority(const oci::IOPriority& p) = 0;
  virtual void set_cpu_affinity(const std::string& cpus, const std::string& field) = 0;
  virtual void reset_cpu_affinity() = 0;
  virtual void set_memory_policy(const oci::MemoryPolicy& p) = 0;

  // Terminal, keyring, LSM, seccomp.
  // A pty in the container's devpts, bound over /dev/console (in a mount
  // namespace of the container's own, if it has one there), its master sent to
  // `console_socket`, its slave made the controlling tty and stdio.
  virtual void terminal(const oci::Process& proc, int console_socket, bool mount_console) = 0;
  virtual void join_session_keyring(const std::string& id) = 0;
  virtual void lsm_labels(const oci::Process& proc) = 0;
  virtual UniqueFd load_seccomp(const linux_::SeccompFilter& filter) = 0;

  // The end of set-up: blocks reading the exec fifo (false: `start` never came),
  // then execve; the real exec does not return (126/127 and the reason on stderr).
  virtual bool await_start(int exec_fifo, bool drop_code_pages) = 0;
  virtual void exec(const std::string& path, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env) = 0;
};

// The real seam: linux/ and the syscalls themselves.
SyscallSeam& linux_syscalls();

}  // namespace berth::process
