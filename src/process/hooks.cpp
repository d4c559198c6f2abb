#include "berth/process/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/signals.hpp"

namespace berth::process {
namespace {

// What is kept of a hook's stdout+stderr for the error message.
constexpr size_t kMaxOutput = 64 * 1024;

std::vector<char*> cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// SIGPIPE ignored while the state is written: a hook need not read its stdin (EPIPE is fine).
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction old_ {};
};

// The terminating signals the caller has blocked (`berth run` blocks the ones it
// forwards): without this, a hook with no timeout would make them wait forever.
// A signalfd for them lets the wait end as a clean failure instead.
UniqueFd blocked_stop_signals() {
  sigset_t cur, stop;
  ::sigemptyset(&stop);
  if (::sigprocmask(SIG_BLOCK, nullptr, &cur) < 0) return {};
  bool any = false;
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT})
    if (::sigismember(&cur, s) == 1) {
      ::sigaddset(&stop, s);
      any = true;
    }
  if (!any) return {};
  return UniqueFd(::signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
}

void append_capped(std::string& output, bool& cut, const char* buf, size_t n) {
  size_t room = kMaxOutput - output.size();
  if (n > room) cut = true;
  output.append(buf, n < room ? n : room);
}

void run_hook(const std::string& what, const oci::Hook& h, const std::string& state, HookOutput io) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) throw_errno(what + ": pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) throw_errno(what + ": pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  UniqueFd stop_fd = blocked_stop_signals();
  int pidfd = -1;
  pid_t pid = sys::clone3_fork(CLONE_PIDFD, &pidfd);
  if (pid < 0) throw_errno(what + ": fork");
  if (pid == 0) {
    // Its own process group, so that a timeout kills whatever the hook started too.
    ::setpgid(0, 0);
    ::dup2(in_r.get(), 0);
    ::dup2(io.out >= 0 ? io.out : out_w.get(), 1);
    ::dup2(io.err >= 0 ? io.err : out_w.get(), 2);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    auto argv = cstrings(args);
    if (h.env) {
      auto envp = cstrings(*h.env);
      ::execve(h.path.c_str(), argv.data(), envp.data());
    } else {
      ::execve(h.path.c_str(), argv.data(), environ);
    }
    std::string msg = "exec " + h.path + ": " + std::strerror(errno);
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  UniqueFd pfd(pidfd);
  ::setpgid(pid, pid);  // also here: the group must exist before a timeout can fire
  in_r.reset();
  out_w.reset();
  auto kill_hook = [&] {
    ::kill(-pid, SIGKILL);  // the group: children the hook forked
    sys::pidfd_send_signal(pfd.get(), SIGKILL);
  };
  auto reap = [&] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return status;
  };

  // The state is written inside the timeout: a hook that never reads its stdin
  // must not hold berth past it once the state is larger than a pipe.
  IgnoreSigpipe no_sigpipe;
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (state.empty()) in_w.reset();

  std::string output;
  bool cut = false, timed_out = false, out_open = true;
  int stop_sig = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout.value_or(0));
  for (;;) {
    pollfd fds[4] = {{pfd.get(), POLLIN, 0},
                     {out_open ? out_r.get() : -1, POLLIN, 0},
                     {in_w ? in_w.get() : -1, POLLOUT, 0},
                     {stop_fd ? stop_fd.get() : -1, POLLIN, 0}};
    int timeout_ms = -1;
    if (h.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      timeout_ms = left.count() < 0 ? 0 : static_cast<int>(left.count());
    }
    int n = ::poll(fds, 4, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      kill_hook();
      reap();
      throw_errno(what + ": wait for the hook", err);
    }
    if (n == 0) {
      timed_out = true;
      kill_hook();
      break;
    }
    if (fds[3].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(stop_fd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        stop_sig = static_cast<int>(si.ssi_signo);
        kill_hook();
        break;
      }
    }
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t w = ::write(in_w.get(), state.data() + written, state.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // Done, or the hook closed its stdin (EPIPE): either way no more to write.
      if (written == state.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) in_w.reset();
    }
    if (out_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t r = ::read(out_r.get(), buf, sizeof buf);
      if (r > 0) append_capped(output, cut, buf, static_cast<size_t>(r));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) out_open = false;
    }
    if (fds[0].revents & POLLIN) {
      if (out_open) {
        // Exited; drain what is left without blocking on grandchildren holding the pipe.
        ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
        char buf[4096];
        ssize_t r;
        while ((r = ::read(out_r.get(), buf, sizeof buf)) > 0) append_capped(output, cut, buf, static_cast<size_t>(r));
      }
      break;
    }
  }
  in_w.reset();
  int status = reap();
  while (!output.empty() && output.back() == '\n') output.pop_back();
  std::string tail = output.empty() ? "" : ": " + output;
  if (cut) tail += " [output cut at 64 KiB]";
  if (stop_sig) throw Error(what + ": interrupted by " + signal_name(stop_sig) + " (the hook was killed)" + tail);
  if (timed_out) throw Error(what + ": timed out after " + std::to_string(*h.timeout) + "s" + tail);
  if (WIFSIGNALED(status)) {
    // runc's words (Go's "signal: bad system call"), which its seccomp.bats matches.
    throw Error(what + ": signal: " + go_strsignal(WTERMSIG(status)) + " (signal " + std::to_string(WTERMSIG(status)) +
                ")" + tail);
  }
  if (WEXITSTATUS(status) != 0) throw Error(what + ": exit status " + std::to_string(WEXITSTATUS(status)) + tail);
}

}  // namespace

// runc 1.1.5's wording, which its tests match ("error running hook #1: ..."), then which hook:
// "error running hook #1: createRuntime hook /bin/false: exit status 1".
static std::string hook_name(const std::string& kind, size_t i, const oci::Hook& h) {
  return "error running hook #" + std::to_string(i) + ": " + kind + " hook " + h.path;
}

HookFiles HookFiles::open(const std::map<std::string, std::string>& annotations) {
  HookFiles f;
  auto open_one = [&](const char* key, UniqueFd& fd) {
    auto it = annotations.find(key);
    if (it == annotations.end()) return;
    fd.reset(::open(it->second.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0700));
    if (!fd) throw_errno(std::string("annotation ") + key + ": open " + it->second);
  };
  open_one("run.oci.hooks.stdout", f.out);
  open_one("run.oci.hooks.stderr", f.err);
  return f;
}

void run_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks, const std::string& state_json,
               HookOutput io) {
  for (size_t i = 0; i < hooks.size(); ++i)
    run_hook(hook_name(kind, i, hooks[i]), hooks[i], state_json, io);
}

std::vector<std::string> run_all_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks,
                                       const std::string& state_json, HookOutput io) {
  std::vector<std::string> failures;
  for (size_t i = 0; i < hooks.size(); ++i) {
    try {
      run_hook(hook_name(kind, i, hooks[i]), hooks[i], state_json, io);
    } catch (const Error& e) {
      failures.push_back(e.what());
    }
  }
  return failures;
}

}  // namespace berth::process
