// containerd-shim-berth-v2: containerd's shim v2 for berth (docs/shim.md).
//   start   (containerd, cwd = bundle): daemonise on the group's socket, print its address
//   delete  (containerd, after a shim died): force-delete the container, print a DeleteResponse
//   -v      version
//   (none)  the daemon: serve the task service on fd 3 until Shutdown
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "bootstrap.hpp"
#include "event_loop.hpp"
#include "flags.hpp"
#include "idle_trim.hpp"
#include "publisher.hpp"
#include "runtime.hpp"
#include "task_service.hpp"
#include "ttrpc_server.hpp"

using namespace berth;
using namespace berth::shim;

namespace {

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw_errno("readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

// The shim's log goes to the bundle's `log` fifo, which containerd reads into its own log.
// Opened read-write and non-blocking: it never blocks the shim, whether or not containerd
// has opened its end yet, and a full fifo drops lines rather than stalling requests.
void open_log(const std::string& bundle, bool debug) {
  std::string path = bundle + "/log";
  if (mkfifo(path.c_str(), 0700) < 0 && errno != EEXIST) return;
  int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  dup2(fd, 2);
  close(fd);
  log::init({"", log::Format::Text, debug});
}

int serve(const Flags& f) {
  std::string bundle = f.bundle;
  if (bundle.empty()) {
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) throw_errno("getcwd");
    bundle = buf;
  }
  open_log(bundle, f.debug);
  // The listening socket `start` handed over as fd 3.
  // Taken before anything else can be given fd 3.
  int type = 0;
  socklen_t tlen = sizeof type;
  if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM)
    throw Error("fd 3 is not the shim's socket: run `containerd-shim-berth-v2 ... start`, which passes it");
  UniqueFd listen_fd(fcntl(3, F_DUPFD_CLOEXEC, 3));
  if (!listen_fd) throw_errno("the shim socket (fd 3)");
  close(3);
  fcntl(listen_fd.get(), F_SETFL, fcntl(listen_fd.get(), F_GETFL) | O_NONBLOCK);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("become a subreaper");
  // One malloc arena for both threads: the publisher's own arena would keep its pages.
  mallopt(M_ARENA_MAX, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) throw_errno("sigprocmask");
  UniqueFd sfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd) throw_errno("signalfd");

  sockaddr_un sa{};
  socklen_t salen = sizeof sa;
  std::string socket_path;
  if (getsockname(listen_fd.get(), reinterpret_cast<sockaddr*>(&sa), &salen) == 0 && sa.sun_path[0])
    socket_path = sa.sun_path;

  std::string root = berth_root(f.namespace_);
  // The root is made by the first Create that uses it (the runtime options may name another).
  const char* ttrpc_address = getenv("TTRPC_ADDRESS");
  Publisher publisher(ttrpc_address ? ttrpc_address : "", f.namespace_);
  Runtime runtime(find_berth(), root);
  Loop loop;
  ttrpc::Server server(loop, std::move(listen_fd));
  TaskService tasks(loop, publisher, runtime, f.namespace_);
  tasks.register_methods(server);
  tasks.on_shutdown = [&loop] { loop.stop(); };
  bool terminate = false;
  loop.add(sfd.get(), 1 /*EPOLLIN*/, [&](std::uint32_t) {
    signalfd_siginfo si;
    while (read(sfd.get(), &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) terminate = true;
    }
    // One SIGCHLD may stand for many exits: collect every child that has exited.
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      tasks.child_exited(pid, status);
    }
    if (terminate && tasks.empty()) loop.stop();
  });
  log::debug("shim serving on " + socket_path);
  // Idle for 1 s after serving something: hand back the pages that work mapped (idle_trim.hpp).
  loop.run(1000, [] { trim_idle_memory(); });
  publisher.close(5000);
  if (!socket_path.empty()) unlink(socket_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A NOTIFY_SOCKET inherited from containerd (a systemd Type=notify unit) is not the
  // containers': berth would give it to them and `start` wait for their READY (go-runc
  // filters it out for runc the same way).
  ::unsetenv("NOTIFY_SOCKET");
  Flags f;
  try {
    f = parse_flags(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "containerd-shim-berth-v2: " << e.what() << "\n";
    return 2;
  }
  if (f.version) {
    std::cout << argv[0] << ":\n  Version:  " << BERTH_VERSION << "\n  Revision: " << BERTH_COMMIT
              << "\n  Runtime:  berth\n\n";
    return 0;
  }
  try {
    if (f.namespace_.empty()) throw Error("shim namespace cannot be empty");
    if (f.action == "start") return start_action(f, self_exe());
    if (f.action == "delete") return delete_action(f);
    if (!f.action.empty()) throw Error("unknown action \"" + f.action + "\" (start, delete, or none to serve)");
    return serve(f);
  } catch (const std::exception& e) {
    std::cerr << "containerd-shim-berth-v2: " << e.what() << "\n";
    return 1;
  }
}
