#include "runtime.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "berth/util/fd.hpp"
#include "deadline.hpp"
#include "ttrpc_codec.hpp"

extern char** environ;

namespace berth::shim {

using ttrpc::Code;
using ttrpc::RpcError;

Runtime::Runtime(std::string binary, std::string root, std::vector<std::string> globals)
    : binary_(std::move(binary)), root_(std::move(root)), globals_(std::move(globals)) {}

std::string find_berth() {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    if (access((dir + "berth").c_str(), X_OK) == 0) return dir + "berth";
  }
  return "berth";
}

namespace {

// The last error berth logged (JSON lines), or a fallback.
std::string last_error(const std::string& log, std::size_t from) {
  std::ifstream f(log);
  if (!f) return {};
  f.seekg(static_cast<std::streamoff>(from));
  std::string line, msg;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg") && j["msg"].is_string())
      msg = j["msg"].get<std::string>();
  }
  return msg;
}

Code code_for(const std::string& msg) {
  if (msg.find("does not exist") != std::string::npos || msg.find("not found") != std::string::npos)
    return Code::NotFound;
  if (msg.find("already exists") != std::string::npos) return Code::AlreadyExists;
  if (msg.find("not running") != std::string::npos || msg.find("is paused") != std::string::npos ||
      msg.find("not paused") != std::string::npos || msg.find("cannot") != std::string::npos)
    return Code::FailedPrecondition;
  return Code::Unknown;
}

}  // namespace

void Runtime::run(const std::vector<std::string>& args, const std::string& log_, const Stdio& stdio,
                  std::string* out) const {
  std::vector<std::string> full = {binary_, "--root", root_};
  full.insert(full.end(), globals_.begin(), globals_.end());
  if (!log_.empty()) full.insert(full.end(), {"--log", log_, "--log-format", "json"});
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);

  struct stat st{};
  std::size_t log_size = !log_.empty() && stat(log_.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;

  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd pipe_r, pipe_w;
  if (out) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) throw RpcError(Code::Internal, std::string("pipe: ") + strerror(errno));
    pipe_r.reset(p[0]);
    pipe_w.reset(p[1]);
  }
  // Sources moved above fd 2 first, so the child's dup2s cannot overwrite one another.
  auto high = [&](int fd) { return UniqueFd(fcntl(fd >= 0 ? fd : devnull.get(), F_DUPFD_CLOEXEC, 10)); };
  UniqueFd in = high(stdio.in), o = high(out ? pipe_w.get() : stdio.out), e = high(stdio.err);
  if (!in || !o || !e) throw RpcError(Code::Internal, std::string("dup stdio for berth: ") + strerror(errno));

  pid_t pid = fork();
  if (pid < 0) throw RpcError(Code::Internal, std::string("fork berth: ") + strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(in.get(), 0) < 0 || dup2(o.get(), 1) < 0 || dup2(e.get(), 2) < 0) _exit(127);
    execve(argv[0], argv.data(), environ);
    if (!std::strchr(argv[0], '/')) execvp(argv[0], argv.data());
    _exit(127);
  }
  pipe_w.reset();
  in.reset();
  o.reset();
  e.reset();
  // Until berth exits (its pidfd readable) and its stdout is at EOF, or the request's deadline.
  // (syscall: glibc 2.36's sys/pidfd.h declares pidfd_open without extern "C")
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  auto deadline = RequestDeadline::current();
  bool out_open = out != nullptr, exited = false;
  while (out_open || !exited) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) {
        ::kill(pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw RpcError(Code::DeadlineExceeded, "berth " + (args.empty() ? std::string() : args[0]) +
                                                   " did not finish before the request's deadline: killed");
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p[2] = {{out_open ? pipe_r.get() : -1, POLLIN, 0}, {exited || !pidfd ? -1 : pidfd.get(), POLLIN, 0}};
    if (!pidfd && !exited && !out_open) break;  // no pidfd (old kernel): wait below without a deadline
    int n = poll(p, 2, !pidfd && !out_open ? 0 : wait_ms);
    if (n < 0 && errno != EINTR) throw RpcError(Code::Internal, std::string("poll berth: ") + strerror(errno));
    if (n <= 0) continue;
    if (p[0].revents) {
      char buf[8192];
      ssize_t r = read(pipe_r.get(), buf, sizeof buf);
      if (r > 0) out->append(buf, static_cast<std::size_t>(r));
      else if (r == 0 || (errno != EINTR && errno != EAGAIN)) out_open = false;
    }
    if (p[1].revents) exited = true;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string msg = log_.empty() ? std::string() : last_error(log_, log_size);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && msg.empty())
    throw RpcError(Code::Internal, "cannot run " + binary_);
  if (msg.empty()) msg = "berth " + (args.empty() ? std::string() : args[0]) + " failed";
  throw RpcError(code_for(msg), msg);
}

}  // namespace berth::shim
