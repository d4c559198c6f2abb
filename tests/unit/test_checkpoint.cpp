// criu's command lines for checkpoint and restore (container/checkpoint.hpp).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>

#include "berth/container/checkpoint.hpp"
#include "berth/util/error.hpp"

using namespace berth;
using container::CheckpointOptions;
using container::RestoreOptions;

namespace {

bool has(const std::vector<std::string>& a, const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); }
// The value after option `opt` (first occurrence).
std::string after(const std::vector<std::string>& a, const std::string& opt) {
  auto it = std::find(a.begin(), a.end(), opt);
  return it == a.end() || it + 1 == a.end() ? "" : *(it + 1);
}

oci::Spec spec_with_bind() {
  oci::Spec s;
  oci::Mount bind;
  bind.destination = "/data";
  bind.source = "/srv/data";
  bind.type = "none";
  bind.options = {"rbind", "ro"};
  oci::Mount proc;
  proc.destination = "/proc";
  proc.type = "proc";
  proc.source = "proc";
  s.mounts = {proc, bind};
  return s;
}

}  // namespace

TEST_CASE("criu dump: tree, images, root, bind mounts external, runc's flags") {
  CheckpointOptions o;
  o.image_path = "/img";
  o.work_path = "/work";
  o.leave_running = true;
  o.tcp_established = o.ext_unix_sk = o.shell_job = o.file_locks = true;
  auto a = container::criu_dump_args(o, spec_with_bind(), 1234, "/rootfs", "/sys/fs/cgroup/freezer/x");
  CHECK(a[0] == "dump");
  CHECK(after(a, "--tree") == "1234");
  CHECK(after(a, "--images-dir") == "/img");
  CHECK(after(a, "--work-dir") == "/work");
  CHECK(after(a, "--root") == "/rootfs");
  CHECK(after(a, "--freeze-cgroup") == "/sys/fs/cgroup/freezer/x");
  CHECK(after(a, "--ext-mount-map") == "/data:/data");
  CHECK(std::count(a.begin(), a.end(), "--ext-mount-map") == 1);  // proc is the container's own
  for (const char* f : {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks",
                        "--manage-cgroups=soft"})
    CHECK(has(a, f));
  CHECK_FALSE(has(a, "--track-mem"));
}

TEST_CASE("criu pre-dump and a dump on top of it") {
  CheckpointOptions o;
  o.image_path = "/img/2";
  o.pre_dump = true;
  auto pre = container::criu_dump_args(o, {}, 7, "/r", "");
  CHECK(pre[0] == "pre-dump");
  CHECK(has(pre, "--track-mem"));
  CHECK_FALSE(has(pre, "--freeze-cgroup"));
  o.pre_dump = false;
  o.parent_path = "../1";
  o.manage_cgroups_mode = "ignore";
  o.auto_dedup = true;
  auto dump = container::criu_dump_args(o, {}, 7, "/r", "");
  CHECK(dump[0] == "dump");
  CHECK(has(dump, "--track-mem"));
  CHECK(after(dump, "--prev-images-dir") == "../1");
  CHECK(has(dump, "--manage-cgroups=ignore"));
  CHECK(has(dump, "--auto-dedup"));
}

TEST_CASE("criu restore: detached with a pid file, binds mapped to their sources, cgroup roots") {
  RestoreOptions o;
  o.image_path = "/img";
  o.empty_ns = {"network"};
  oci::Spec s = spec_with_bind();
  s.linux.emplace();
  s.linux->maskedPaths = {"/proc/kcore"};
  auto a = container::criu_restore_args(o, s, "/state/criu-root", "/state/pid",
                                        {{"memory", "/berth/c1"}, {"", "/berth/c1"}});
  CHECK(a[0] == "restore");
  CHECK(has(a, "--restore-detached"));
  CHECK(after(a, "--pidfile") == "/state/pid");
  CHECK(after(a, "--root") == "/state/criu-root");
  CHECK(after(a, "--work-dir") == "/img");  // work path defaults to the image path
  CHECK(after(a, "--empty-ns") == "net");
  CHECK(has(a, "/data:/srv/data"));
  CHECK(has(a, "/proc/kcore:/dev/null"));
  CHECK(has(a, "memory:/berth/c1"));
  CHECK(has(a, "/berth/c1"));
}

TEST_CASE("find_criu: a missing path is a clear error") {
  try {
    container::find_criu("/nonexistent/criu");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/criu") != std::string::npos);
    CHECK(std::string(e.what()).find("--criu") != std::string::npos);
  }
  CHECK(container::find_criu("/bin/sh") == "/bin/sh");
}

TEST_CASE("criu: a cgroup mount without a cgroup namespace is binds, declared external") {
  oci::Spec s;
  oci::Mount m;
  m.destination = "/sys/fs/cgroup";
  m.type = "cgroup";
  s.mounts.push_back(m);
  const std::map<std::string, std::string> dirs = {{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/berth/c1"},
                                                   {"/sys/fs/cgroup", "/sys/fs/cgroup/berth/c1"}};
  // v1: one bind per hierarchy under /sys/fs/cgroup; a hierarchy without a container dir is its root
  auto v1 = container::cgroup_bind_mounts(s, dirs, false,
                                          {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd", "/elsewhere/cpu"});
  REQUIRE(v1.size() == 2);
  CHECK(v1[0] == std::pair<std::string, std::string>{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/berth/c1"});
  CHECK(v1[1] == std::pair<std::string, std::string>{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/systemd"});
  // v2: the container's directory at the destination
  auto v2 = container::cgroup_bind_mounts(s, dirs, true, {});
  REQUIRE(v2.size() == 1);
  CHECK(v2[0].second == "/sys/fs/cgroup/berth/c1");
  CheckpointOptions co;
  co.image_path = "/img";
  CHECK(has(container::criu_dump_args(co, s, 7, "/r", "", v2), "/sys/fs/cgroup:/sys/fs/cgroup"));
  RestoreOptions ro;
  ro.image_path = "/img";
  CHECK(has(container::criu_restore_args(ro, s, "/r", "/p", {}, v2), "/sys/fs/cgroup:/sys/fs/cgroup/berth/c1"));
  // with a cgroup namespace they are real cgroup mounts: nothing external
  s.linux.emplace();
  s.linux->namespaces.push_back({oci::NamespaceType::Cgroup, ""});
  CHECK(container::cgroup_bind_mounts(s, dirs, true, {}).empty());
}

TEST_CASE("criu lazy pages: the dump serves its pages, the restore takes them on demand") {
  CheckpointOptions o;
  o.image_path = "/img";
  o.lazy_pages = true;
  o.page_server = "0.0.0.0:27277";
  o.status_fd = 9;
  auto a = container::criu_dump_args(o, {}, 7, "/r", "");
  CHECK(has(a, "--lazy-pages"));
  CHECK_FALSE(has(a, "--page-server"));  // criu's own page server: --address/--port
  CHECK(after(a, "--address") == "0.0.0.0");
  CHECK(after(a, "--port") == "27277");
  CHECK(after(a, "--status-fd") == "9");
  // without --lazy-pages the pages are sent to a page server; the status fd is not used
  o.lazy_pages = false;
  a = container::criu_dump_args(o, {}, 7, "/r", "");
  CHECK(has(a, "--page-server"));
  CHECK_FALSE(has(a, "--lazy-pages"));
  CHECK_FALSE(has(a, "--status-fd"));
  RestoreOptions r;
  r.lazy_pages = true;
  CHECK(has(container::criu_restore_args(r, {}, "/root", "/pid", {}), "--lazy-pages"));
}

TEST_CASE("--page-server ADDRESS:PORT") {
  auto ps = container::parse_page_server("192.168.1.2:27");
  CHECK(ps.address == "192.168.1.2");
  CHECK(ps.port == "27");
  ps = container::parse_page_server("[::1]:1234");
  CHECK(ps.address == "::1");
  CHECK(ps.port == "1234");
  for (const char* bad : {"", "host", "host:", ":27", "host:0", "host:65536", "host:x1", "host:-1", "host:123456"})
    CHECK_THROWS_WITH_AS(container::parse_page_server(bad), doctest::Contains("--page-server"), Error);
}

TEST_CASE("runc's criu config file: org.criu.config, /etc/criu/runc.conf, its log-file") {
  CHECK(container::criu_config_file({}) == "/etc/criu/runc.conf");
  CHECK(container::criu_config_file({{"org.criu.config", "/x/criu.conf"}}) == "/x/criu.conf");
  CHECK(container::criu_config_file({{"org.criu.config", ""}}).empty());
  std::vector<std::string> base{"dump", "--tree", "7", "--log-file", "dump.log", "-v4"};
  auto a = base;
  CHECK(container::apply_criu_config(a, "", "/work") == "/work/dump.log");
  CHECK(a == base);
  CHECK(container::apply_criu_config(a, "/nonexistent/criu.conf", "/work") == "/work/dump.log");
  CHECK(a == base);
  char path[] = "/tmp/berth-unit-criu-conf-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string text = "# a comment\ntcp-established\n  log-file=my-criu.log  \n";
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  a = base;
  CHECK(container::apply_criu_config(a, path, "/work") == "/work/my-criu.log");
  CHECK(a[1] == "--config");
  CHECK(a[2] == path);
  CHECK_FALSE(has(a, "--log-file"));  // the file's log-file wins, as over runc's RPC
  CHECK(has(a, "-v4"));
  ::unlink(path);
}
