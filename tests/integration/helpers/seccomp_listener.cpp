// seccomp_listener: a minimal seccomp agent for the integration tests (test-only, not installed).
//
//   seccomp_listener SOCKET LOG [--errno SYSCALL=ERRNO]... [--continue SYSCALL]... [--timeout SECONDS]
//
// Listens on the unix socket SOCKET (linux.seccomp.listenerPath). Each connection carries what the
// runtime-spec calls the container process state: one JSON object
//   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata"?, "state": {...}}
// with the seccomp notify fd in an SCM_RIGHTS message. The agent logs the fields it saw to LOG, checks
// the shape, then answers notifications: SYSCALL from --errno gets -ERRNO, SYSCALL from --continue
// is resumed with SECCOMP_USER_NOTIF_FLAG_CONTINUE, anything else gets ENOSYS. Log lines:
//   state ociVersion=1.3.0 status=creating pid=123 state.pid=123 id=x fds=["seccompFd"] metadata=m
//   check ok                       (or "check FAILED: <why>")
//   notify pid=123 nr=83 syscall=mkdir -> errno 122   (or "-> continue")
//   error: <what failed>
//
// The socket appears only once it accepts connections (bound as SOCKET.tmp, renamed), so a test
// can wait for the file. The agent exits 0 when every notify fd it received has hung up (all the
// processes using those filters are gone), and exits 3 after --timeout seconds (default 30) in any
// case, so that it never outlives a test.
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

std::ofstream g_log;

void logln(const std::string& s) { g_log << s << std::endl; }

// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Policy {
  std::map<std::string, int> errnos;  // syscall name -> errno to return
  std::vector<std::string> continued;  // syscall names resumed in the kernel
};

std::string errstr(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// Reads the message and the fd that came with it. The end of the message is where the JSON is
// complete, not EOF: runc 1.1 keeps the connection open until it exits.
bool receive_state(int conn, std::string& payload, Fd& notify_fd, std::string& err) {
  while (!nlohmann::json::accept(payload)) {
    char buf[4096];
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)] = {};
    iovec iov{buf, sizeof buf};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n = ::recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errstr("recvmsg", errno);
      return false;
    }
    if (n == 0) break;
    payload.append(buf, static_cast<size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < nfds; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (!notify_fd) {
          notify_fd = Fd(fd);
        } else {
          ::close(fd);
          err = "more than one fd received";
        }
      }
    }
  }
  if (!notify_fd) {
    err = "no fd received with the state (SCM_RIGHTS)";
    return false;
  }
  return err.empty();
}

// Logs the fields of the container process state and checks its shape (runtime-spec
// ContainerProcessState): returns "" when it is as the spec says, else why not.
std::string check_state(const std::string& payload) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(payload);
  } catch (const nlohmann::json::exception& e) {
    logln("state (not JSON): " + payload);
    return std::string("payload is not JSON: ") + e.what();
  }
  auto str = [&](const nlohmann::json& o, const char* k) {
    return o.contains(k) ? (o[k].is_string() ? o[k].get<std::string>() : o[k].dump()) : "<missing>";
  };
  const nlohmann::json st = j.value("state", nlohmann::json::object());
  logln("state ociVersion=" + str(j, "ociVersion") + " status=" + str(st, "status") + " pid=" + str(j, "pid") +
        " state.pid=" + str(st, "pid") + " id=" + str(st, "id") + " fds=" +
        (j.contains("fds") ? j["fds"].dump() : "<missing>") + " metadata=" + str(j, "metadata"));
  logln("json " + payload);
  if (!j.contains("ociVersion") || !j["ociVersion"].is_string() || j["ociVersion"].get<std::string>().empty())
    return "ociVersion missing or not a non-empty string";
  if (!j.contains("fds") || j["fds"] != nlohmann::json::array({"seccompFd"}))
    return "fds is not [\"seccompFd\"]";
  if (!j.contains("pid") || !j["pid"].is_number_integer() || j["pid"].get<long>() <= 0)
    return "pid missing or not a positive integer";
  if (j.contains("metadata") && !j["metadata"].is_string()) return "metadata is not a string";
  if (!j.contains("state") || !j["state"].is_object()) return "state missing or not an object";
  for (const char* k : {"ociVersion", "id", "status", "bundle"})
    if (!st.contains(k) || !st[k].is_string()) return std::string("state.") + k + " missing or not a string";
  return "";
}

// Answers one notification by the policy. Returns false when the fd is unusable.
bool answer(int fd, const Policy& policy) {
  seccomp_notif* req = nullptr;
  seccomp_notif_resp* resp = nullptr;
  if (int rc = seccomp_notify_alloc(&req, &resp); rc < 0) {
    logln("error: " + errstr("seccomp_notify_alloc", -rc));
    return false;
  }
  bool ok = true;
  int rc = seccomp_notify_receive(fd, req);
  if (rc < 0) {
    // ENOENT: the target died (or was interrupted) between poll and receive: not an error.
    if (rc != -ENOENT && rc != -EINTR) {
      logln("error: " + errstr("seccomp_notify_receive", -rc));
      ok = false;
    }
  } else {
    char* name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
    std::string sname = name ? name : "?";
    std::free(name);
    std::memset(resp, 0, sizeof *resp);
    resp->id = req->id;
    std::string verdict;
    if (auto it = policy.errnos.find(sname); it != policy.errnos.end()) {
      resp->error = -it->second;
      verdict = "errno " + std::to_string(it->second);
    } else if (std::find(policy.continued.begin(), policy.continued.end(), sname) != policy.continued.end()) {
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      verdict = "continue";
    } else {
      resp->error = -ENOSYS;
      verdict = "errno " + std::to_string(ENOSYS) + " (not in the policy)";
    }
    logln("notify pid=" + std::to_string(req->pid) + " nr=" + std::to_string(req->data.nr) + " syscall=" + sname +
          " -> " + verdict);
    // The id check an agent must make before acting on what it read about the target; the
    // target may have been killed meanwhile, then there is nobody to answer.
    if (seccomp_notify_id_valid(fd, req->id) != 0) {
      logln("notify id " + std::to_string(req->id) + " no longer valid (target gone)");
    } else if (int r = seccomp_notify_respond(fd, resp); r < 0 && r != -ENOENT) {
      logln("error: " + errstr("seccomp_notify_respond", -r));
    }
  }
  seccomp_notify_free(req, resp);
  return ok;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: seccomp_listener SOCKET LOG [--errno SYSCALL=ERRNO]... [--continue SYSCALL]... "
               "[--timeout SECONDS]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) usage();
  const std::string sock_path = argv[1];
  g_log.open(argv[2], std::ios::app);
  if (!g_log) {
    std::fprintf(stderr, "seccomp_listener: open log %s: %s\n", argv[2], std::strerror(errno));
    return 2;
  }
  Policy policy;
  unsigned timeout = 30;
  try {
    for (int i = 3; i < argc; ++i) {
      std::string a = argv[i];
      if (i + 1 >= argc) usage();
      std::string v = argv[++i];
      if (a == "--errno") {
        auto eq = v.find('=');
        if (eq == std::string::npos) usage();
        policy.errnos[v.substr(0, eq)] = std::stoi(v.substr(eq + 1));
      } else if (a == "--continue") {
        policy.continued.push_back(v);
      } else if (a == "--timeout") {
        timeout = static_cast<unsigned>(std::stoul(v));
      } else {
        usage();
      }
    }
  } catch (const std::logic_error&) {  // stoi/stoul: not a number
    usage();
  }
  // SIGALRM's default action ends the process: the safety net against a hanging test.
  ::alarm(timeout);
  std::signal(SIGPIPE, SIG_IGN);

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string tmp = sock_path + ".tmp";
  if (tmp.size() >= sizeof addr.sun_path) {
    logln("error: socket path too long: " + tmp);
    return 2;
  }
  std::memcpy(addr.sun_path, tmp.c_str(), tmp.size());
  Fd lsock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::unlink(tmp.c_str());
  if (!lsock || ::bind(lsock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(lsock.get(), 8) < 0 || ::rename(tmp.c_str(), sock_path.c_str()) < 0) {
    logln("error: " + errstr("listen on " + sock_path, errno));
    return 2;
  }
  logln("listening on " + sock_path);

  std::vector<Fd> notify_fds;
  bool received_any = false;
  for (;;) {
    std::vector<pollfd> pfds{{lsock.get(), POLLIN, 0}};
    for (const Fd& f : notify_fds) pfds.push_back({f.get(), POLLIN, 0});
    if (::poll(pfds.data(), pfds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      logln("error: " + errstr("poll", errno));
      return 1;
    }
    if (pfds[0].revents & POLLIN) {
      Fd conn(::accept4(lsock.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) {
        logln("error: " + errstr("accept", errno));
      } else {
        std::string payload, err;
        Fd nfd;
        bool ok = receive_state(conn.get(), payload, nfd, err);
        std::string why = check_state(payload);
        if (!ok) why = err;
        logln(why.empty() ? "check ok" : "check FAILED: " + why);
        if (nfd) {
          notify_fds.push_back(std::move(nfd));
          received_any = true;
        }
      }
    }
    // Notifications first, then hang-ups: a process may notify and exit in one poll round.
    for (size_t i = notify_fds.size(); i-- > 0;) {
      short re = pfds[i + 1].revents;
      bool drop = false;
      if (re & POLLIN)
        drop = !answer(notify_fds[i].get(), policy);
      else if (re & (POLLHUP | POLLERR | POLLNVAL))
        drop = true;
      if (drop) notify_fds.erase(notify_fds.begin() + static_cast<long>(i));
    }
    if (received_any && notify_fds.empty()) {
      logln("all notify fds closed; exiting");
      ::unlink(sock_path.c_str());
      return 0;
    }
  }
}
