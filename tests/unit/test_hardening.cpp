// Issue #16 item 4: bounded reads of untrusted documents, hooks that cannot hold
// berth past their timeout, tmpcopyup that does not hide errors, container ids
// that fit a file name. Each case failed (or hung) before its fix.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/linux/copy_tree.hpp"
#include "berth/linux/procfs.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/oci/parse.hpp"
#include "berth/process/hooks.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/read_limited.hpp"
#include "error_of.hpp"

using namespace berth;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-hardening-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

oci::Hook sh_hook(const std::string& script, std::optional<int> timeout) {
  oci::Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", script};
  h.timeout = timeout;
  return h;
}

bool process_gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(st, line)) return true;
    auto rp = line.rfind(')');
    if (rp != std::string::npos && rp + 2 < line.size() && (line[rp + 2] == 'Z' || line[rp + 2] == 'X')) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("config.json / process.json reads are bounded and refuse devices") {
  TempDir t;
  const std::string small = t.path + "/config.json";
  write_text(small, "{}");
  CHECK(read_limited(small, kMaxConfigBytes) == "{}");

  // /dev/zero: read without a bound, berth grew to hundreds of MB before bad_alloc.
  CHECK(error_of([] { read_limited("/dev/zero", kMaxConfigBytes); }) ==
        "/dev/zero: not a regular file or a FIFO (a character device)");
  CHECK(error_of([&] { read_limited(t.path, kMaxConfigBytes); }) ==
        t.path + ": not a regular file or a FIFO (a directory)");

  // 100 MB (sparse): refused from its size, nothing read.
  const std::string big = t.path + "/big.json";
  {
    UniqueFd fd(::open(big.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(fd);
    REQUIRE(::ftruncate(fd.get(), 100 << 20) == 0);
  }
  auto t0 = std::chrono::steady_clock::now();
  CHECK(error_of([&] { read_limited(big, kMaxConfigBytes); }) ==
        big + ": 104857600 bytes, more than the limit of 16 MiB");
  CHECK(seconds_since(t0) < 1.0);
  // load_spec goes through it: the message names config.json's path.
  CHECK(error_of([&] { oci::load_spec(big); }).find("more than the limit of 16 MiB") != std::string::npos);

  // A FIFO is read (exec -p <(...)), held to the same limit.
  const std::string fifo = t.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // The reader gives up at the limit: the writer then gets EPIPE, not a SIGPIPE.
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  std::thread writer([&] {
    UniqueFd w(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
    std::string chunk(4096, 'x');
    for (int i = 0; i < 64 && w; ++i)
      if (::write(w.get(), chunk.data(), chunk.size()) < 0) break;
  });
  CHECK(error_of([&] { read_limited(fifo, 100000); }) == fifo + ": more than the limit of 100000 bytes");
  writer.join();
  ::sigaction(SIGPIPE, &old, nullptr);
  std::thread writer2([&] {
    // The reader opens first and waits for a writer that comes later.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    UniqueFd w(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
    (void)!::write(w.get(), "{\"a\":1}", 7);
  });
  CHECK(read_limited(fifo, kMaxConfigBytes) == "{\"a\":1}");
  writer2.join();
}

TEST_CASE("a FIFO nobody writes does not hold back a blocked SIGTERM") {
  TempDir t;
  const std::string fifo = t.path + "/config.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // As `berth run` does: the forwarded signals blocked before the config is read
    // (and SIGTERM's default action, not the test framework's handler).
    ::signal(SIGTERM, SIG_DFL);
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    try {
      read_limited(fifo, kMaxConfigBytes);
    } catch (...) {
    }
    ::_exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(pid, SIGTERM);
  int status = 0;
  auto t0 = std::chrono::steady_clock::now();
  pid_t r = 0;
  while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && seconds_since(t0) < 3)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (r == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  CHECK(r == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
}

TEST_CASE("a hook that does not read a state larger than a pipe times out on time") {
  // 1 MiB of state (annotations): more than a pipe holds; the hook never reads it.
  std::string state = "{\"annotations\":{\"a\":\"" + std::string(1 << 20, 'x') + "\"}}";
  auto t0 = std::chrono::steady_clock::now();
  std::string err = error_of([&] { process::run_hooks("prestart", {sh_hook("sleep 30", 1)}, state); });
  CHECK(err == "error running hook #0: prestart hook /bin/sh: timed out after 1s");
  CHECK(seconds_since(t0) < 5.0);
  // One that reads it all still gets it all.
  CHECK(error_of([&] { process::run_hooks("prestart", {sh_hook("test \"$(wc -c)\" -eq " + std::to_string(state.size()), 10)}, state); }) == "");
}

TEST_CASE("a hook that forks is killed with its children at its timeout") {
  TempDir t;
  const std::string pidfile = t.path + "/child.pid";
  std::string err = error_of([&] {
    process::run_hooks("poststop", {sh_hook("sleep 300 & echo $! > " + pidfile + "; wait", 1)}, "{}");
  });
  CHECK(err == "error running hook #0: poststop hook /bin/sh: timed out after 1s");
  std::ifstream in(pidfile);
  pid_t child = 0;
  in >> child;
  REQUIRE(child > 0);
  bool gone = process_gone(child);
  if (!gone) ::kill(child, SIGKILL);
  CHECK(gone);
}

TEST_CASE("a hook's output cut at 64 KiB says so") {
  std::string err = error_of([] {
    process::run_hooks("createRuntime", {sh_hook("yes a | tr -d '\\n' | head -c 100000; exit 3", 10)}, "{}");
  });
  REQUIRE(err.rfind("error running hook #0: createRuntime hook /bin/sh: exit status 3: aaa", 0) == 0);
  CHECK(err.size() < 65 * 1024);
  CHECK(err.ends_with("a [output cut at 64 KiB]"));
  // A short output is quoted whole, with no such note.
  CHECK(error_of([] { process::run_hooks("createRuntime", {sh_hook("echo no; exit 1", 10)}, "{}"); }) ==
        "error running hook #0: createRuntime hook /bin/sh: exit status 1: no");
  // Killed by a signal: runc's (Go's) words, which runc's seccomp.bats looks for.
  CHECK(error_of([] { process::run_hooks("startContainer", {sh_hook("kill -SYS $$", 10)}, "{}"); }) ==
        "error running hook #0: startContainer hook /bin/sh: signal: bad system call (signal 31)");
}

TEST_CASE("tmpcopyup reports a chown it cannot do") {
  TempDir t;
  const std::string src = t.path + "/src", dst = t.path + "/dst";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  REQUIRE(::mkdir(dst.c_str(), 0755) == 0);
  write_text(src + "/owned", "x");
  if (::chown((src + "/owned").c_str(), 1234, 1234) != 0) {
    MESSAGE("SKIP: cannot chown (not root)");
    return;
  }
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // A user namespace where uid 1234 has no mapping: chown to it fails (EINVAL).
    ::close(pipefd[0]);
    std::string result;
    if (::unshare(CLONE_NEWUSER) != 0) {
      result = "SKIP: unshare(CLONE_NEWUSER) failed";
    } else {
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 0 1";
      std::ofstream("/proc/self/gid_map") << "0 0 1";
      UniqueFd s(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      UniqueFd d(::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      result = error_of([&] { linux_::copy_tree(s.get(), d.get()); });
    }
    (void)!::write(pipefd[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string result;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) result.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  ::waitpid(pid, nullptr, 0);
  if (result.starts_with("SKIP")) {
    MESSAGE(result);
    return;
  }
  CHECK(result.rfind("tmpcopyup: chown owned to 65534:65534: ", 0) == 0);
}

TEST_CASE("tmpcopyup copies owner and exact mode") {
  TempDir t;
  const std::string src = t.path + "/src", dst = t.path + "/dst";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  REQUIRE(::mkdir(dst.c_str(), 0755) == 0);
  REQUIRE(::mkdir((src + "/d").c_str(), 0555) == 0);
  write_text(src + "/d/f", "hello");
  REQUIRE(::chmod((src + "/d/f").c_str(), 04777) == 0);
  REQUIRE(::symlink("/etc/passwd", (src + "/link").c_str()) == 0);
  {
    UniqueFd s(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    UniqueFd d(::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    mode_t old = ::umask(022);
    linux_::copy_tree(s.get(), d.get());
    ::umask(old);
  }
  struct stat st {};
  REQUIRE(::stat((dst + "/d/f").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04777);  // umask and chown did not eat the bits
  REQUIRE(::stat((dst + "/d").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0555);
  std::ifstream f(dst + "/d/f");
  std::string text;
  f >> text;
  CHECK(text == "hello");
  char target[64] = {};
  CHECK(::readlink((dst + "/link").c_str(), target, sizeof target - 1) == 11);
}

TEST_CASE("container ids longer than a file name are refused clearly") {
  CHECK(container::valid_id(std::string(255, 'a')));
  CHECK(!container::valid_id(std::string(256, 'a')));
  std::string id(300, 'a');
  CHECK(error_of([&] { container::check_id(id); }) ==
        "invalid container id \"" + std::string(32, 'a') + "...\": 300 characters, at most 255 (it names a directory)");
  CHECK(error_of([&] { container::StateDir::open("/nonexistent-root", id); }).find("300 characters") != std::string::npos);
}

TEST_CASE("state.json that is not an object is a clear error") {
  // Before record_from_state, HooksOnly's at("config") sat outside the catch:
  // a state.json without a config threw a bare nlohmann exception.
  for (auto what : {container::RecordSpec::None, container::RecordSpec::HooksOnly, container::RecordSpec::Full})
    CHECK(error_of([&] { container::record_from_state(nlohmann::json::array(), "state.json", what); }) ==
          "state.json: not a JSON object");
  nlohmann::json j = {{"pid", 1}, {"start_time", 2}, {"bundle", "/b"}, {"rootfs", "/r"}, {"created", "c"},
                      {"config", 5}};
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::HooksOnly); }) ==
        "state.json: config: not a JSON object");
  CHECK(error_of([&] { container::record_from_partial("x", "creating.json"); }) == "creating.json: not a JSON object");
  j.erase("config");
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::HooksOnly); }).rfind(
            "state.json: [json.exception.out_of_range.403] key 'config' not found", 0) == 0);
}

TEST_CASE("state.json integers are checked for type and range") {
  // tests/fuzz/state_json found it: a float start_time reached nlohmann's
  // float-to-integer conversion, undefined behaviour (UBSan: outside the range
  // of representable values of type 'unsigned long long').
  nlohmann::json j = {{"pid", 2442}, {"start_time", 9.4444e66}, {"bundle", "/b"}, {"rootfs", "/r"}, {"created", "c"}};
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::None); }) ==
        "state.json: start_time: not an integer in [0, 18446744073709551615]");
  CHECK(error_of([&] { container::record_from_partial(j, "creating.json"); }) ==
        "creating.json: start_time: not an integer in [0, 18446744073709551615]");
  j["start_time"] = 5;
  j["pid"] = 4294967296ULL;  // would truncate to 0
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::None); }) ==
        "state.json: pid: not an integer in [-2147483648, 2147483647]");
  j["pid"] = -1;
  j["start_time"] = -1;
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::None); }) ==
        "state.json: start_time: not an integer in [0, 18446744073709551615]");
  j["start_time"] = 18446744073709551615ULL;
  auto r = container::record_from_state(j, "state.json", container::RecordSpec::None);
  CHECK(r.pid == -1);
  CHECK(r.start_time == 18446744073709551615ULL);
  j.erase("pid");
  CHECK(error_of([&] { container::record_from_state(j, "state.json", container::RecordSpec::None); }) ==
        "state.json: pid: missing");
  CHECK(container::record_from_partial(j, "creating.json").pid == 0);
}

TEST_CASE("a rootfs that is the host's root directory is refused, naming the path and the link") {
  TempDir t;
  linux_::check_rootfs(t.path);  // a directory of its own: fine
  CHECK_THROWS_WITH(linux_::check_rootfs("/"), doctest::Contains("rootfs /: is the host's root directory; refused"));
  REQUIRE(::symlink("/", (t.path + "/to-root").c_str()) == 0);
  const std::string want = "rootfs " + t.path + "/to-root (a symlink to /): is the host's root directory";
  CHECK_THROWS_WITH(linux_::check_rootfs(t.path + "/to-root"), doctest::Contains(want.c_str()));
  // Through a symlink further up the path.
  REQUIRE(::symlink("/etc", (t.path + "/etc-link").c_str()) == 0);
  CHECK_THROWS_WITH(linux_::check_rootfs(t.path + "/etc-link/.."),
                    doctest::Contains("(resolves to / through a symlink): is the host's root directory"));
  std::ofstream(t.path + "/file") << "x";
  CHECK_THROWS_WITH(linux_::check_rootfs(t.path + "/file"), doctest::Contains("/file: not a directory"));
  CHECK_THROWS_WITH(linux_::check_rootfs(t.path + "/missing"), doctest::Contains("/missing: No such file or directory"));
}

TEST_CASE("procfs writes reach procfs's own file: no mount crossed, no symlink followed (CVE-2025-52881)") {
  UniqueFd proc = linux_::open_procfs_root();
  CHECK(linux_::open_in_procfs(proc.get(), "sys/kernel/ostype", O_RDONLY));
  CHECK(linux_::open_in_procfs(proc.get(), "self/status", O_RDONLY));
  CHECK(linux_::open_in_procfs(proc.get(), "thread-self/attr/current", O_RDONLY));
  CHECK_THROWS_WITH(linux_::open_in_procfs(proc.get(), "mounts", O_RDONLY),
                    doctest::Contains("open /proc/mounts: a symlink on its way; refused"));
  CHECK_THROWS_WITH(linux_::open_in_procfs(proc.get(), "self/cwd/x", O_RDONLY), doctest::Contains("symlink on its way"));
  CHECK_THROWS_WITH(linux_::open_in_procfs(proc.get(), "../etc/passwd", O_RDONLY), doctest::Contains("/proc/../etc/passwd"));
  CHECK_THROWS_WITH(linux_::open_procfs_root("/tmp"), doctest::Contains("/tmp: not a procfs"));
  CHECK_THROWS_WITH(linux_::open_procfs_root("/proc/sys"), doctest::Contains("/proc/sys: a directory of a procfs, not its root"));

  if (::geteuid() != 0) {
    MESSAGE("not root: the bind-mount case is not run");
    return;
  }
  // A procfs of our own in a private mount namespace, a file bind-mounted over
  // one of its sysctls and a directory over one of its directories: refused, the
  // decoy unchanged.
  TempDir t;
  std::ofstream(t.path + "/decoy") << "decoy";
  ::mkdir((t.path + "/proc").c_str(), 0755);
  ::mkdir((t.path + "/dir").c_str(), 0755);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 10;
    try {
      if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(2);
      const std::string p = t.path + "/proc";
      if (::mount("proc", p.c_str(), "proc", 0, nullptr) < 0) ::_exit(3);
      if (::mount((t.path + "/decoy").c_str(), (p + "/sys/kernel/domainname").c_str(), nullptr, MS_BIND, nullptr) < 0)
        ::_exit(4);
      if (::mount((t.path + "/dir").c_str(), (p + "/sys/vm").c_str(), nullptr, MS_BIND, nullptr) < 0) ::_exit(5);
      UniqueFd root = linux_::open_procfs_root(p);
      code = 11;
      try {
        linux_::open_in_procfs(root.get(), "sys/kernel/domainname", O_WRONLY);
      } catch (const Error& e) {
        if (std::string(e.what()).find("a mount covers it") != std::string::npos) code = 12;
      }
      try {
        linux_::open_in_procfs(root.get(), "sys/vm/swappiness", O_RDONLY);
      } catch (const Error& e) {
        if (code == 12 && std::string(e.what()).find("a mount covers it") != std::string::npos) code = 0;
      }
    } catch (...) {
    }
    ::_exit(code);
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  std::ifstream in(t.path + "/decoy");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "decoy");
}
