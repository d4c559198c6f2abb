// container::exec_process: the process `berth exec` runs, built like runc's
// (config.json's process or a process.json, then the command line's overrides).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "berth/container/exec.hpp"
#include "berth/linux/caps.hpp"
#include "berth/util/error.hpp"

namespace container = berth::container;
namespace oci = berth::oci;

namespace {

oci::Spec container_spec() {
  oci::Spec s;
  oci::Process p;
  p.terminal = true;
  p.args = {"sleep", "1000"};
  p.env = {"PATH=/bin", "TERM=xterm", "FOO=config"};
  p.cwd = "/srv";
  p.user.uid = 0;
  p.user.gid = 7;
  p.user.additionalGids = {5};
  oci::Capabilities c;
  c.bounding = c.effective = c.permitted = {"CAP_KILL"};
  p.capabilities = c;
  p.rlimits = {{"RLIMIT_NOFILE", 200, 100}};
  p.oomScoreAdj = 42;
  p.noNewPrivileges = false;
  s.process = p;
  return s;
}

std::string error_of(const oci::Spec& s, const container::ExecOptions& o) {
  try {
    container::exec_process(s, o);
  } catch (const berth::Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("exec_process: the container's process with the command line's command") {
  container::ExecOptions o;
  o.args = {"sh", "-c", "ls -l"};
  oci::Process p = container::exec_process(container_spec(), o);
  CHECK(p.args == std::vector<std::string>{"sh", "-c", "ls -l"});
  CHECK_FALSE(p.terminal);  // only with -t, whatever config.json says
  CHECK(p.cwd == "/srv");
  CHECK(p.env == std::vector<std::string>{"PATH=/bin", "TERM=xterm", "FOO=config"});
  CHECK(p.user.gid == 7);
  REQUIRE(p.capabilities);
  CHECK(p.capabilities->effective == std::vector<std::string>{"CAP_KILL"});
  CHECK(p.rlimits.size() == 1);
  CHECK(p.oomScoreAdj == 42);
}

TEST_CASE("exec_process: overrides") {
  container::ExecOptions o;
  o.args = {"id"};
  o.tty = true;
  o.cwd = "/tmp";
  o.env = {"FOO=bar", "NEW=1", "FOO=last"};
  o.uid = 1000;
  o.additional_gids = {10, 20};
  o.caps = {"CAP_SYS_ADMIN", "net_raw"};
  o.no_new_privs = true;
  o.apparmor = "prof";
  o.process_label = "label";
  oci::Process p = container::exec_process(container_spec(), o);
  CHECK(p.terminal);
  CHECK(p.cwd == "/tmp");
  // a later value replaces an earlier one in its place; new names are appended
  CHECK(p.env == std::vector<std::string>{"PATH=/bin", "TERM=xterm", "FOO=last", "NEW=1"});
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 7);  // -u without :gid keeps the gid
  CHECK(p.user.additionalGids == std::vector<uint32_t>{5, 10, 20});
  REQUIRE(p.capabilities);
  for (const char* c : {"CAP_KILL", "CAP_SYS_ADMIN", "CAP_NET_RAW"}) {
    CHECK(has(p.capabilities->bounding, c));
    CHECK(has(p.capabilities->effective, c));
    CHECK(has(p.capabilities->permitted, c));
  }
  // no inheritable set: --cap adds neither inheritable nor ambient (runc 1.1, CVE-2022-29162)
  CHECK(p.capabilities->inheritable.empty());
  CHECK(p.capabilities->ambient.empty());
  CHECK(p.noNewPrivileges);
  CHECK(p.apparmorProfile == "prof");
  CHECK(p.selinuxLabel == "label");
}

TEST_CASE("exec_process: --cap adds ambient when the process has inheritable capabilities") {
  oci::Spec s = container_spec();
  s.process->capabilities->inheritable = {"CAP_KILL"};
  container::ExecOptions o;
  o.args = {"true"};
  o.caps = {"CAP_CHOWN"};
  oci::Process p = container::exec_process(s, o);
  CHECK(has(p.capabilities->ambient, "CAP_CHOWN"));
  CHECK_FALSE(has(p.capabilities->inheritable, "CAP_CHOWN"));
}

TEST_CASE("exec_process: errors") {
  container::ExecOptions o;
  CHECK(error_of(container_spec(), o) == "process args cannot be empty");
  o.args = {"true"};
  o.cwd = "relative";
  CHECK(error_of(container_spec(), o).find("must be an absolute path") != std::string::npos);
  o.cwd.reset();
  o.env = {"NOEQUALS"};
  CHECK(error_of(container_spec(), o).find("invalid environment variable \"NOEQUALS\"") != std::string::npos);
  o.env = {"=x"};
  CHECK(error_of(container_spec(), o).find("invalid environment variable") != std::string::npos);
  o.env.clear();
  // An unknown name grants nothing: kept (skipped when applied, with a warning), as runc does.
  o.caps = {"no_such"};
  CHECK(error_of(container_spec(), o).empty());
  CHECK(berth::linux_::unavailable_caps(*container::exec_process(container_spec(), o).capabilities) ==
        std::vector<std::string>{"CAP_NO_SUCH"});
}

TEST_CASE("exec_process: process.json, with the container's values where it has none") {
  char path[] = "/tmp/berth-unit-process-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream f(path);
    f << R"({"args": ["echo", "hi"], "cwd": "/", "env": ["A=1"], "terminal": true,
             "user": {"uid": 5, "gid": 6}})";
  }
  container::ExecOptions o;
  o.process_path = path;
  oci::Process p = container::exec_process(container_spec(), o);
  CHECK(p.args == std::vector<std::string>{"echo", "hi"});
  CHECK(p.terminal);
  CHECK(p.env == std::vector<std::string>{"A=1"});
  CHECK(p.user.uid == 5);
  CHECK(p.user.additionalGids.empty());
  REQUIRE(p.capabilities);  // from the container
  CHECK(p.capabilities->bounding == std::vector<std::string>{"CAP_KILL"});
  CHECK(p.rlimits.size() == 1);
  CHECK(p.oomScoreAdj == 42);
  // flags given explicitly still override it
  o.tty = false;
  o.env = {"B=2"};
  p = container::exec_process(container_spec(), o);
  CHECK_FALSE(p.terminal);
  CHECK(p.env == std::vector<std::string>{"A=1", "B=2"});
  {
    std::ofstream f(path);
    f << R"({"args": [], "cwd": "/"})";
  }
  CHECK(error_of(container_spec(), o).find("args") != std::string::npos);
  {
    std::ofstream f(path);
    f << "{not json";
  }
  CHECK(error_of(container_spec(), o).find("invalid JSON") != std::string::npos);
  std::remove(path);
}
