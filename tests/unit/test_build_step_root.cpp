// berth-build's native snapshotter (changes found by inode + birth time + ctime) and the tty
// progress display's geometry.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../../src/build/progress.hpp"
#include "../../src/build/step_root.hpp"
#include "berth/image/layer.hpp"
#include "berth/image/store.hpp"

using namespace berth::build;
namespace img = berth::image;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/berth-build-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { img::remove_tree(path); }
};

void put(const std::string& p, const std::string& data) { std::ofstream(p) << data; }
std::string get(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}
void mk(const std::string& p) { REQUIRE(::mkdir(p.c_str(), 0755) == 0); }

}  // namespace

TEST_CASE("native snapshotter: new, changed, removed, replaced entries") {
  TempDir t;
  img::Store store(t.path + "/store");
  std::string m = t.path + "/merged", u = t.path + "/upper";
  mk(m);
  mk(u);
  // what the lower layers hold
  for (const char* d : {"/a", "/a/sub", "/gone", "/gone/x", "/o", "/same", "/same/deep"}) mk(m + d);
  put(m + "/a/f", "1");
  put(m + "/a/sub/k", "keep");
  put(m + "/gone/x/y", "");
  put(m + "/rm", "");
  put(m + "/o/old", "");
  put(m + "/same/deep/untouched", "u");
  REQUIRE(::symlink("a", (m + "/lnk").c_str()) == 0);

  StepRoot r(Snapshotter::Native, store, {}, u, "", m);
  // the step
  put(m + "/a/f", "12");                                        // changed content
  REQUIRE(::unlink((m + "/rm").c_str()) == 0);                  // removed file
  img::remove_tree(m + "/gone");                                // replaced directory
  mk(m + "/gone");
  put(m + "/gone/new", "n");
  img::remove_tree(m + "/o");
  mk(m + "/o");
  REQUIRE(::chmod((m + "/a/sub").c_str(), 0700) == 0);          // changed metadata only
  REQUIRE(::link((m + "/a/f").c_str(), (m + "/a/hard").c_str()) == 0);
  mk(m + "/new");
  mk(m + "/new/deep");
  put(m + "/new/deep/f", "deep");
  REQUIRE(::unlink((m + "/lnk").c_str()) == 0);                 // a symlink replaced by a file
  put(m + "/lnk", "now a file");
  r.finish();

  CHECK(get(u + "/a/f") == "12");
  struct stat a {}, b {};
  REQUIRE(::stat((u + "/a/f").c_str(), &a) == 0);
  REQUIRE(::stat((u + "/a/hard").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);  // the hard link is kept in the upper dir
  CHECK(get(u + "/gone/new") == "n");
  CHECK(get(u + "/new/deep/f") == "deep");
  CHECK(get(u + "/lnk") == "now a file");
  struct stat sub {};
  REQUIRE(::stat((u + "/a/sub").c_str(), &sub) == 0);
  CHECK((sub.st_mode & 07777) == 0700);
  CHECK(!exists(u + "/a/sub/k"));          // unchanged: not copied up
  CHECK(!exists(u + "/same"));             // nothing changed below it
  CHECK(r.whiteouts() == std::set<std::string>{"rm"});
  CHECK(r.opaque_dirs() == std::set<std::string>{"gone", "o"});
  CHECK(!exists(u + "/gone/x"));

  // the layer: whiteouts sorted by the name they hide, opaque markers
  img::LayerWriteOptions lo;
  lo.whiteouts = r.whiteouts();
  lo.opaque_dirs = r.opaque_dirs();
  lo.compression = img::Compression::None;
  auto layer = img::write_layer(store, u, lo);
  std::string tarpath = store.root() + "/blobs/sha256/" + layer.blob.digest.substr(7);
  std::string listing;
  {
    FILE* p = ::popen(("tar tf " + tarpath).c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[256];
    while (fgets(buf, sizeof buf, p)) listing += buf;
    ::pclose(p);
  }
  CHECK(listing ==
        "a/\na/f\na/hard\na/sub/\ngone/\ngone/.wh..wh..opq\ngone/new\nlnk\nnew/\nnew/deep/\nnew/deep/f\no/\no/.wh..wh..opq\n.wh.rm\n");
}

TEST_CASE("native snapshotter: a read-only view is a plain copy, nothing compared") {
  TempDir t;
  img::Store store(t.path + "/store");
  std::string m = t.path + "/merged";
  mk(m);
  StepRoot r(Snapshotter::Native, store, {}, "", "", m);
  put(m + "/x", "x");
  r.finish();
  CHECK(r.whiteouts().empty());
  CHECK(r.native());
}

TEST_CASE("snapshotter names") {
  CHECK(parse_snapshotter("auto") == Snapshotter::Auto);
  CHECK(parse_snapshotter("overlayfs") == Snapshotter::Overlayfs);
  CHECK(parse_snapshotter("native") == Snapshotter::Native);
  CHECK_THROWS_WITH(parse_snapshotter("vfs"), "snapshotter \"vfs\": want auto, overlayfs or native");
}

TEST_CASE("progress: plain lines; the tty display never draws a row wider than the terminal") {
  std::ostringstream out;
  auto p = plain_progress(out);
  p->step(3, "[stage-0 3/8] RUN make");
  p->output(3, 0.0125, "hello");
  p->done(3, 1.234, "layer abc, 12 bytes");
  p->cached(4);
  CHECK(out.str() == "#3 [stage-0 3/8] RUN make\n#3 0.013 hello\n#3 DONE 1.23s (layer abc, 12 bytes)\n#4 CACHED\n");

  int fds[2];
  REQUIRE(::pipe(fds) == 0);  // not a terminal: 80 columns
  {
    auto tty = tty_progress(fds[1]);
    tty->step(1, "[stage-0 1/2] RUN " + std::string(200, 'x'));
    tty->output(1, 0, "line with \x1b[31mcolour\x1b[0m and a progress bar 10%\r20%\r30% " + std::string(300, 'y'));
    tty->tick();
    tty->done(1, 0.5, "layer 0123456789ab, 42 bytes");
    tty->step(2, "[stage-0 2/2] RUN false");
    tty->output(2, 0, "bad");
    tty->failed(2);
  }
  ::close(fds[1]);
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  std::istringstream lines(all);
  std::string l;
  int rows = 0;
  while (std::getline(lines, l)) {
    // a redraw starts with the cursor movement; what follows is one row
    size_t esc = l.rfind("\x1b[J");
    std::string row = esc == std::string::npos ? l : l.substr(esc + 3);
    CHECK(row.size() <= 79);
    CHECK(row.find('\x1b') == std::string::npos);  // the command's escapes are blanked
    ++rows;
  }
  CHECK(rows > 3);
  CHECK(all.find(" => ERROR [stage-0 2/2] RUN false") != std::string::npos);
  CHECK(all.find(" => => # bad") != std::string::npos);
  CHECK(all.find("0123456789ab, 42 bytes") != std::string::npos);
  CHECK(all.find("10%") == std::string::npos);  // only what follows the last carriage return
}
