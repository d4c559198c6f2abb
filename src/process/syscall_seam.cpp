// The real SyscallSeam: each method one syscall or one call into linux/.
#include "berth/process/syscall_seam.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "berth/cgroups/manager.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/console.hpp"
#include "berth/linux/footprint.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/mempolicy.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/linux/sched_attrs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/process/init.hpp"
#include "berth/process/sync.hpp"
#include "berth/util/error.hpp"

namespace berth::process {
namespace {

const char* prctl_name(int option) {
  switch (option) {
    case PR_SET_PDEATHSIG: return "PR_SET_PDEATHSIG";
    case PR_SET_DUMPABLE: return "PR_SET_DUMPABLE";
    case PR_SET_KEEPCAPS: return "PR_SET_KEEPCAPS";
    case PR_SET_NO_NEW_PRIVS: return "PR_SET_NO_NEW_PRIVS";
    default: return "option";
  }
}

class LinuxSyscalls final : public SyscallSeam {
 public:
  void prctl(int option, unsigned long arg) override {
    if (::prctl(option, arg, 0UL, 0UL, 0UL) < 0) throw_errno(std::string("prctl ") + prctl_name(option));
  }
  void umask(mode_t mask) override { ::umask(mask); }
  void unblock_signals() override {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
  }
  void exit_on_signals() override {
    struct sigaction sa {};
    sa.sa_handler = [](int sig) { ::_exit(128 + sig); };
    ::sigfillset(&sa.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU,
                    SIGXFSZ, SIGIO, SIGPWR, SIGSTKFLT})
      ::sigaction(sig, &sa, nullptr);
    // SIGRTMIN (glibc's) is past the two real-time signals glibc keeps for itself.
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) ::sigaction(sig, &sa, nullptr);
  }
  int close_range(unsigned first, unsigned last) override {
    return ::syscall(SYS_close_range, first, last, 0U) < 0 ? errno : 0;
  }
  bool open_fds(std::vector<int>& out) override {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return false;
    const int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long fd = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || fd == own) continue;  // ".", "..", the listing's own
      out.push_back(static_cast<int>(fd));
    }
    ::closedir(d);
    return true;
  }
  int fd_limit() override {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) return 1 << 20;  // the kernel's default fs.nr_open
    rlim_t top = std::max(rl.rlim_cur, rl.rlim_max);
    return top > static_cast<rlim_t>(INT_MAX) ? INT_MAX : static_cast<int>(top);
  }
  void close(int fd) override { ::close(fd); }
  void set_cloexec(int fd, bool on) override {
    int fl = ::fcntl(fd, F_GETFD);
    if (fl >= 0) ::fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
  }
  pid_t fork() override {
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork container init into its pid namespace");
    return pid;
  }
  bool peer_gone(int sock) override {
    pollfd p{sock, POLLRDHUP, 0};
    int n;
    do n = ::poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & (POLLHUP | POLLRDHUP)) != 0;
  }
  void setsid() override {
    if (::setsid() < 0) throw_errno("setsid");
  }
  int chdir(const std::string& path) override { return ::chdir(path.c_str()) < 0 ? errno : 0; }

  void unshare(int flags) override {
    if (::unshare(flags) < 0) {
      const char* what = flags == CLONE_NEWTIME ? "unshare time namespace"
                         : flags == CLONE_NEWCGROUP ? "unshare cgroup namespace"
                                                    : "unshare namespaces";
      throw_errno(what);
    }
  }
  void setns(const linux_::JoinedNs& ns) override { linux_::join_namespace(ns); }
  void write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets) override {
    linux_::write_time_offsets(offsets);
  }
  void set_hostname(const std::string& hostname, const std::string& domainname) override {
    if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) < 0) throw_errno("sethostname " + hostname);
    if (!domainname.empty() && ::setdomainname(domainname.data(), domainname.size()) < 0)
      throw_errno("setdomainname " + domainname);
  }

  void setresgid(gid_t gid) override {
    if (::setresgid(gid, gid, gid) < 0) throw_errno("setgid " + std::to_string(gid) + " in the user namespace");
  }
  void setresuid(uid_t uid) override {
    if (::setresuid(uid, uid, uid) < 0) throw_errno("setuid " + std::to_string(uid) + " in the user namespace");
  }
  void set_user(const oci::User& user, bool keep_groups) override { linux_::apply_user(user, keep_groups); }
  void set_bounding(const oci::Capabilities& caps) override { linux_::apply_bounding(caps); }
  void set_caps(const oci::Capabilities& caps) override { linux_::apply_caps(caps); }

  void join_cgroup(const std::vector<UniqueFd>& tasks) override { cgroups::join_self(tasks); }

  UniqueFd bind_rootfs(const linux_::RootfsContext& ctx) override { return linux_::bind_rootfs(ctx); }
  void mount_entry(int rootfd, size_t index, const linux_::RootfsContext& ctx) override {
    linux_::mount_entry(rootfd, index, ctx);
  }
  void make_devices(int rootfd, const linux_::RootfsContext& ctx) override { linux_::make_devices(rootfd, ctx); }
  void mkdir_in_root(const std::string& rootfs, const std::string& path) override {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs " + rootfs);
    linux_::mkdir_all_in_root(root.get(), path, 0755);
  }
  void pivot_root(const std::string& rootfs, bool no_pivot, bool old_root_shared) override {
    linux_::enter_rootfs(rootfs, no_pivot, old_root_shared);
  }
  void chroot(const std::string& path) override {
    if (::chroot(path.c_str()) < 0 || ::chdir("/") < 0) throw_errno("chroot " + path);
  }
  void finalize_rootfs(const oci::Spec& spec) override { linux_::finalize_rootfs(spec); }
  void sysctl(const std::map<std::string, std::string>& values) override { linux_::apply_sysctl(values); }

  void set_personality(const oci::Personality& p) override { linux_::apply_personality(p); }
  void set_scheduler(const oci::Scheduler& s) override { linux_::apply_scheduler(s); }
  void set_io_priority(const oci::IOPriority& p) override { linux_::apply_io_priority(p); }
  void set_cpu_affinity(const std::string& cpus, const std::string& field) override {
    linux_::apply_cpu_affinity(cpus, field);
  }
  void reset_cpu_affinity() override { linux_::reset_cpu_affinity(); }
  void set_memory_policy(const oci::MemoryPolicy& p) override { linux_::apply_memory_policy(p); }

  void terminal(const oci::Process& proc, int console_socket, bool mount_console) override {
    linux_::Pty pty = linux_::open_pty(proc.consoleSize);
    if (mount_console) linux_::mount_console(pty.slave.get());
    send_fd(console_socket, pty.master.get(), "/dev/ptmx");
    linux_::attach_terminal(pty.slave.get());
  }
  void join_session_keyring(const std::string& id) override { process::join_session_keyring(id); }
  void lsm_labels(const oci::Process& proc) override {
    linux_::apply_selinux_label(proc.selinuxLabel);
    linux_::apply_apparmor(proc.apparmorProfile);
  }
  UniqueFd load_seccomp(const linux_::SeccompFilter& filter) override { return filter.load(); }

  bool await_start(int exec_fifo, bool drop_code_pages) override {
    // Held here until `berth start`, maybe for long: first shed the code pages
    // the set-up faulted in.
    if (drop_code_pages) linux_::drop_code_pages();
    char c;
    ssize_t n;
    do n = ::read(exec_fifo, &c, 1);
    while (n < 0 && errno == EINTR);
    // The fifo stays open (close-on-exec) until execve: `start` waits for its
    // last reader to go before it runs poststart hooks (container.cpp).
    return n == 1;
  }
  void exec(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& env) override {
    auto a = cstrings(argv);
    auto e = cstrings(env);
    ::execve(path.c_str(), a.data(), e.data());
    int err = errno;
    std::string msg = "berth: " + explain_exec_failure(path, err) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(err == ENOENT ? 127 : 126);
  }
};

}  // namespace

SyscallSeam& linux_syscalls() {
  static LinuxSyscalls real;
  return real;
}

}  // namespace berth::process
