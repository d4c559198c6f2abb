#include <doctest/doctest.h>
#include <sys/mount.h>
#include <linux/mount.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "berth/container/state_store.hpp"
#include "berth/linux/mount_flags.hpp"
#include "berth/linux/namespaces.hpp"
#include "berth/linux/safepath.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/util/error.hpp"
#include "berth/util/signals.hpp"

using namespace berth;

TEST_CASE("clean_path and split_parent never climb above /") {
  CHECK(linux_::clean_path("/a//b/./c/") == "/a/b/c");
  CHECK(linux_::clean_path("../../etc") == "/etc");
  CHECK(linux_::clean_path("/a/../../b") == "/b");
  CHECK(linux_::clean_path("") == "/");
  CHECK(linux_::split_parent("/a/b/c") == std::pair<std::string, std::string>{"/a/b", "c"});
  CHECK(linux_::split_parent("/c") == std::pair<std::string, std::string>{"/", "c"});
  CHECK(linux_::split_parent("/") == std::pair<std::string, std::string>{"/", ""});
}

TEST_CASE("open_in_root keeps symlinks inside the root") {
  char tmpl[] = "/tmp/berth-ut-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  std::string root = tmpl;
  REQUIRE(::mkdir((root + "/inside").c_str(), 0755) == 0);
  REQUIRE(::symlink("/../../../etc", (root + "/evil").c_str()) == 0);
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // "evil" points at /etc: resolved inside the root it is <root>/etc, which does not exist.
  UniqueFd fd = linux_::try_open_in_root(rootfd.get(), "/evil/passwd", O_PATH);
  CHECK(!fd);
  CHECK(errno == ENOENT);
  // A dangling symlink in the way is an error, not a path to the host...
  CHECK_THROWS_AS(linux_::mkdir_all_in_root(rootfd.get(), "/evil/berth-ut-dir"), Error);
  struct stat st {};
  CHECK(::stat((root + "/etc").c_str(), &st) != 0);
  // ...or, for a mount destination, followed inside the root, as runc's SecureJoin + MkdirAll
  // and crun do: mkdir -p makes <root>/etc/x, never /etc/x.
  linux_::mkdir_all_in_root(rootfd.get(), "/evil/berth-ut-dir", 0755, true);
  CHECK(::stat((root + "/etc/berth-ut-dir").c_str(), &st) == 0);
  CHECK(::stat("/etc/berth-ut-dir", &st) != 0);
  UniqueFd f = linux_::ensure_file_in_root(rootfd.get(), "/inside/a/file");
  CHECK(bool(f));
  CHECK(::stat((root + "/inside/a/file").c_str(), &st) == 0);
  // A file destination that is a dangling symlink: the file is made where it points (crun's
  // test_mounts.py mount-symlink-not-existing), relative to the link's directory...
  REQUIRE(::symlink("../foo/bar/not/here", (root + "/inside/not-existing").c_str()) == 0);
  CHECK(bool(linux_::ensure_file_in_root(rootfd.get(), "/inside/not-existing")));
  CHECK(::stat((root + "/foo/bar/not/here").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  // ...an absolute target inside the root, never on the host.
  REQUIRE(::symlink("/../../tmp/berth-ut-escape", (root + "/inside/abs").c_str()) == 0);
  CHECK(bool(linux_::ensure_file_in_root(rootfd.get(), "/inside/abs")));
  CHECK(::stat((root + "/tmp/berth-ut-escape").c_str(), &st) == 0);
  CHECK(::stat("/tmp/berth-ut-escape", &st) != 0);
  // A loop of symlinks is an error, not a hang.
  REQUIRE(::symlink("loop-b", (root + "/inside/loop-a").c_str()) == 0);
  REQUIRE(::symlink("loop-a", (root + "/inside/loop-b").c_str()) == 0);
  CHECK_THROWS_AS(linux_::ensure_file_in_root(rootfd.get(), "/inside/loop-a"), Error);
  CHECK_THROWS_AS(linux_::mkdir_all_in_root(rootfd.get(), "/inside/loop-a/d", 0755, true), Error);
  CHECK(std::system(("rm -rf " + root).c_str()) == 0);
}

TEST_CASE("mount options map to flags, propagation, recursive attrs and data") {
  auto m = linux_::parse_mount_options({"nosuid", "noexec", "ro", "rbind", "rprivate", "size=64k", "mode=755", "rro"});
  CHECK(m.flags == (MS_NOSUID | MS_NOEXEC | MS_RDONLY));
  CHECK(m.bind);
  CHECK(m.recursive_bind);
  CHECK(m.propagation == (MS_PRIVATE | MS_REC));
  CHECK(m.rec_set == MOUNT_ATTR_RDONLY);
  CHECK(m.data == "size=64k,mode=755");
  auto rw = linux_::parse_mount_options({"ro", "rw", "suid"});
  CHECK(rw.flags == 0);
  CHECK((rw.clear & MS_RDONLY) != 0);
  CHECK(linux_::parse_mount_options({"idmap"}).idmap);
  CHECK(linux_::parse_mount_options({"tmpcopyup"}).tmpcopyup);
}

TEST_CASE("a bind remount over locked flags follows runc's rules (mounts_sshfs.bats)") {
  using linux_::remount_over_locked;
  // Unnamed lockable flags of the source are kept; nosymfollow is not lockable.
  auto r = remount_over_locked(MS_NODEV, 0, MS_RDONLY | MS_NOSUID | MS_RELATIME);
  CHECK(r.refused.empty());
  CHECK(r.flags == (MS_NODEV | MS_RDONLY | MS_NOSUID));
  // Clearing one the source has is refused, naming it; clearing one it lacks is not.
  r = remount_over_locked(MS_NOSUID, MS_RDONLY, MS_RDONLY | MS_RELATIME);
  CHECK(r.refused == "the source mount's ro is locked in the container's user namespace");
  CHECK(remount_over_locked(MS_RDONLY, MS_NOEXEC, MS_RELATIME).refused.empty());
  // An atime flag asked for must give the source's setting exactly.
  CHECK(remount_over_locked(MS_STRICTATIME, 0, MS_NODIRATIME | MS_RELATIME).refused ==
        "the source mount's atime setting (nodiratime,relatime) is locked in the container's user namespace");
  CHECK(!remount_over_locked(MS_RELATIME, 0, MS_NOATIME).refused.empty());    // the kernel would drop relatime
  CHECK(!remount_over_locked(MS_RELATIME, 0, 0).refused.empty());             // strictatime source
  CHECK(!remount_over_locked(MS_NOATIME, 0, 0).refused.empty());
  CHECK(remount_over_locked(MS_NOATIME | MS_NODIRATIME, 0, MS_NOATIME | MS_NODIRATIME).refused.empty());
  CHECK(remount_over_locked(MS_STRICTATIME, 0, 0).refused.empty());
  CHECK(remount_over_locked(MS_NODIRATIME, 0, MS_NODIRATIME | MS_RELATIME).refused.empty());
  // Options that only clear an atime flag keep the source's setting (not refused).
  CHECK(remount_over_locked(0, MS_NODIRATIME | MS_RELATIME, MS_NODIRATIME | MS_RELATIME).refused.empty());
  CHECK(remount_over_locked(0, MS_STRICTATIME, 0).refused.empty());
}

TEST_CASE("signals parse like runc's") {
  CHECK(parse_signal("TERM") == SIGTERM);
  CHECK(parse_signal("SIGKILL") == SIGKILL);
  CHECK(parse_signal("kill") == SIGKILL);
  CHECK(parse_signal("9") == 9);
  CHECK(parse_signal("RTMIN+2") == SIGRTMIN + 2);
  CHECK_THROWS_WITH_AS(parse_signal("FOO"), "unknown signal \"FOO\"", Error);
  CHECK_THROWS_AS(parse_signal("0"), Error);
}

TEST_CASE("container ids are validated like runc's") {
  CHECK(container::valid_id("abc-1_2+3.4"));
  CHECK(!container::valid_id(""));
  CHECK(!container::valid_id(".hidden"));
  CHECK(!container::valid_id("a/b"));
  CHECK(!container::valid_id("../x"));
  CHECK(!container::valid_id("a b"));
}

TEST_CASE("id maps are written as the kernel reads them") {
  CHECK(linux_::format_id_map({{0, 100000, 65536}, {65536, 1, 1}}) == "0 100000 65536\n65536 1 1\n");
}

TEST_CASE("exec checks say which file and why") {
  auto missing = process::find_executable("no-such-binary-berth", {"PATH=/usr/bin:/bin"});
  CHECK(missing.status == 127);
  CHECK(missing.error == "exec: \"no-such-binary-berth\": executable file not found in $PATH");
  auto sh = process::find_executable("sh", {"PATH=/nonexistent:/bin"});
  CHECK(sh.error.empty());
  CHECK(sh.path == "/bin/sh");
  auto abs = process::find_executable("/nonexistent/prog", {});
  CHECK(abs.status == 127);
  CHECK(abs.error.find("no such file or directory") != std::string::npos);

  char tmpl[] = "/tmp/berth-ut-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  std::string dir = tmpl;
  auto write_script = [&](const std::string& name, const std::string& body, mode_t mode = 0755) {
    std::string p = dir + "/" + name;
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode));
    REQUIRE(::write(fd.get(), body.data(), body.size()) == static_cast<ssize_t>(body.size()));
    return p;
  };
  auto notexec = process::find_executable(write_script("plain", "data\n", 0644), {});
  CHECK(notexec.status == 126);
  CHECK(notexec.error.find("permission denied") != std::string::npos);
  auto crlf = process::find_executable(write_script("crlf.sh", "#!/bin/sh\r\necho hi\r\n"), {});
  CHECK(crlf.status == 127);
  CHECK(crlf.error.find("CRLF") != std::string::npos);
  auto interp = process::find_executable(write_script("interp.sh", "#!/no/such/interpreter\n"), {});
  CHECK(interp.error.find("interpreter \"/no/such/interpreter\"") != std::string::npos);
  CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
}
