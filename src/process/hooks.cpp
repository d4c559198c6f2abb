#include "berth/process/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::process {
namespace {

std::vector<char*> cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void run_hook(const std::string& what, const oci::Hook& h, const std::string& state) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) throw_errno(what + ": pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) throw_errno(what + ": pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  int pidfd = -1;
  pid_t pid = sys::clone3_fork(CLONE_PIDFD, &pidfd);
  if (pid < 0) throw_errno(what + ": fork");
  if (pid == 0) {
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(out_w.get(), 2);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    auto argv = cstrings(args);
    auto envp = cstrings(h.env);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    std::string msg = "exec " + h.path + ": " + std::strerror(errno);
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  UniqueFd pfd(pidfd);
  in_r.reset();
  out_w.reset();
  // The hook may not read stdin at all: ignore SIGPIPE for this one write (EPIPE is fine).
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  (void)!::write(in_w.get(), state.data(), state.size());
  ::sigaction(SIGPIPE, &old, nullptr);
  in_w.reset();

  std::string output;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout.value_or(0));
  bool timed_out = false, out_open = true;
  for (;;) {
    pollfd fds[2] = {{pfd.get(), POLLIN, 0}, {out_r.get(), POLLIN, 0}};
    int timeout_ms = -1;
    if (h.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      timeout_ms = left.count() < 0 ? 0 : static_cast<int>(left.count());
    }
    int n = ::poll(fds, out_open ? 2 : 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      timed_out = true;
      sys::pidfd_send_signal(pfd.get(), SIGKILL);
      break;
    }
    if (out_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      ssize_t r = ::read(out_r.get(), buf, sizeof buf);
      if (r > 0 && output.size() < 64 * 1024) output.append(buf, static_cast<size_t>(r));
      if (r <= 0) out_open = false;
    }
    if ((fds[0].revents & POLLIN) && !out_open) break;
    if ((fds[0].revents & POLLIN) && out_open) {
      // exited; drain what is left without blocking on grandchildren holding the pipe
      ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
      char buf[4096];
      ssize_t r;
      while ((r = ::read(out_r.get(), buf, sizeof buf)) > 0 && output.size() < 64 * 1024)
        output.append(buf, static_cast<size_t>(r));
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  while (!output.empty() && output.back() == '\n') output.pop_back();
  std::string tail = output.empty() ? "" : ": " + output;
  if (timed_out) throw Error(what + ": timed out after " + std::to_string(*h.timeout) + "s" + tail);
  if (WIFSIGNALED(status)) throw Error(what + ": killed by signal " + std::to_string(WTERMSIG(status)) + tail);
  if (WEXITSTATUS(status) != 0) throw Error(what + ": exit status " + std::to_string(WEXITSTATUS(status)) + tail);
}

}  // namespace

void run_hooks(const std::string& kind, const std::vector<oci::Hook>& hooks, const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i)
    run_hook(kind + " hook #" + std::to_string(i) + " (" + hooks[i].path + ")", hooks[i], state_json);
}

}  // namespace berth::process
