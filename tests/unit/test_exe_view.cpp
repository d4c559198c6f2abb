// The persistent view of the berth binary (linux/exe_view.hpp): its name, and what is not
// accepted as one. (Making a view needs root and mounts: tests/integration/test_escapes.sh.)
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "berth/linux/exe_view.hpp"

using namespace berth;

TEST_CASE("a view is named by the binary's device, inode, size, mtime (ns, 9 digits) and name") {
  struct stat st {};
  st.st_dev = 65024;
  st.st_ino = 1234;
  st.st_size = 35894240;
  st.st_mtim.tv_sec = 1796282080;
  st.st_mtim.tv_nsec = 5;
  CHECK(linux_::exe_view_name(st, "berth") == "65024-1234-35894240-1796282080.000000005-berth");
  st.st_mtim.tv_nsec = 355454533;
  CHECK(linux_::exe_view_name(st, "my-berth") == "65024-1234-35894240-1796282080.355454533-my-berth");
}

TEST_CASE("a file that is not on a read-only overlayfs is never taken for a view") {
  char path[] = "/tmp/berth-unit-view-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  berth::UniqueFd file(::open(path, O_PATH | O_CLOEXEC));
  REQUIRE(file);
  CHECK_FALSE(linux_::is_readonly_view_of(file.get(), st));  // the same file, but writable
  ::close(fd);
  ::unlink(path);
  berth::UniqueFd self(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  REQUIRE(self);
  CHECK_FALSE(linux_::is_readonly_view_of(self.get(), st));  // another file
}
