// Store, reproducible layer writing, safe extraction with whiteouts.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "berth/image/digest.hpp"
#include "berth/image/layer.hpp"
#include "berth/image/store.hpp"
#include "error_of.hpp"

using namespace berth::image;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/berth-image-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { remove_tree(path); }
};

void put(const std::string& p, const std::string& data, mode_t mode = 0644) {
  std::ofstream(p) << data;
  chmod(p.c_str(), mode);
}
std::string get(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
bool exists(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0;
}

// A tar with the given entries (name, type, content/target), for hostile-input tests.
std::string make_tar(const std::string& dir, const std::vector<std::tuple<std::string, int, std::string>>& entries) {
  std::string path = dir + "/t.tar";
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, path.c_str());
  for (const auto& [name, type, data] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, static_cast<unsigned>(type));
    archive_entry_set_perm(e, 0644);
    if (type == AE_IFLNK) archive_entry_set_symlink(e, data.c_str());
    if (type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, e);
    if (type == AE_IFREG) archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

}  // namespace

TEST_CASE("digest") {
  CHECK(sha256_digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(valid_digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(valid_digest("sha256:E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(valid_digest("sha256:../../etc/passwd"));
  CHECK(error_of([] { digest_hex("md5:x"); }).find("invalid digest") == 0);
}

TEST_CASE("store: layout, blobs, tags") {
  TempDir t;
  Store s(t.path + "/store");
  CHECK(exists(t.path + "/store/oci-layout"));
  CHECK(get(t.path + "/store/index.json").find("\"manifests\":[]") != std::string::npos);
  auto d = s.put_blob("hello", kMediaConfig);
  CHECK(s.read_blob(d.digest) == "hello");
  put(s.blob_path(d.digest), "tampered");
  CHECK(error_of([&] { s.read_blob(d.digest); }).find("does not match its digest") != std::string::npos);
  auto m = s.put_blob("{}", kMediaManifest);
  s.tag("foo", m);
  s.tag("foo:v1", m);
  s.tag("foo", m);  // replaces, no duplicate
  CHECK(s.manifests().size() == 2);
  CHECK(s.find("foo:latest")->digest == m.digest);
  CHECK(s.find(m.digest.substr(7, 12))->digest == m.digest);
  CHECK_FALSE(s.find("bar"));
  CHECK(s.untag("foo"));
  CHECK_FALSE(s.untag("foo"));
  CHECK(error_of([&] { s.tag("bad name", m); }).find("invalid image name") == 0);
  CHECK(normalize_ref("a/b") == "a/b:latest");
  CHECK(normalize_ref("host:5000/a") == "host:5000/a:latest");
  CHECK(normalize_ref("a:1") == "a:1");
}

TEST_CASE("layers: reproducible writing, whiteouts, round trip") {
  TempDir t;
  Store s(t.path + "/store");
  std::string up = t.path + "/upper";
  mkdir(up.c_str(), 0755);
  mkdir((up + "/d").c_str(), 0750);
  put(up + "/d/f", "data", 0600);
  put(up + "/a", "aaa");
  link((up + "/a").c_str(), (up + "/d/hard").c_str());
  symlink("../a", (up + "/d/link").c_str());
  mknod((up + "/gone").c_str(), S_IFCHR, makedev(0, 0));
  mkdir((up + "/opq").c_str(), 0755);
  setxattr((up + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0);
  put(up + "/opq/new", "n");
  chown((up + "/d/f").c_str(), 1000, 1001);

  auto l1 = write_layer(s, up, {});
  auto l2 = write_layer(s, up, {});
  CHECK(l1.blob.digest == l2.blob.digest);
  CHECK(l1.diff_id == l2.diff_id);
  CHECK(l1.blob.digest != l1.diff_id);
  CHECK(s.has_blob(l1.blob.digest));
  // the gzip header carries no timestamp (bytes 4..7 are zero)
  std::string blob = get(s.blob_path(l1.blob.digest));
  CHECK(blob.substr(0, 2) == "\x1f\x8b");
  CHECK(blob.substr(4, 4) == std::string(4, '\0'));
  // a changed mtime does not change the layer (mtimes are fixed to 0 without an epoch)
  struct timespec ts[2] = {{12345, 0}, {12345, 0}};
  utimensat(AT_FDCWD, (up + "/a").c_str(), ts, 0);
  CHECK(write_layer(s, up, {}).blob.digest == l1.blob.digest);
  CHECK(write_layer(s, up, {.epoch = 100000}).blob.digest != l1.blob.digest);

  // Overlay form: same shape as the upper dir.
  std::string ov = t.path + "/ov";
  mkdir(ov.c_str(), 0755);
  extract_layer(s, l1, ov, ExtractMode::Overlay);
  struct stat st {};
  REQUIRE(lstat((ov + "/gone").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  char v[2] = {};
  CHECK(getxattr((ov + "/opq").c_str(), "trusted.overlay.opaque", v, 1) == 1);
  CHECK(get(ov + "/d/f") == "data");
  REQUIRE(lstat((ov + "/d/f").c_str(), &st) == 0);
  CHECK(st.st_uid == 1000);
  CHECK(st.st_gid == 1001);
  CHECK((st.st_mode & 07777) == 0600);
  struct stat sa {}, sh {};
  lstat((ov + "/a").c_str(), &sa);
  lstat((ov + "/d/hard").c_str(), &sh);
  CHECK(sa.st_ino == sh.st_ino);
  char target[64] = {};
  CHECK(readlink((ov + "/d/link").c_str(), target, sizeof target) == 4);

  // Apply form onto a rootfs that has what the whiteouts remove.
  std::string rf = t.path + "/rootfs";
  mkdir(rf.c_str(), 0755);
  put(rf + "/gone", "old");
  mkdir((rf + "/opq").c_str(), 0755);
  put(rf + "/opq/old", "old");
  put(rf + "/keep", "k");
  extract_layer(s, l1, rf, ExtractMode::Apply);
  CHECK_FALSE(exists(rf + "/gone"));
  CHECK_FALSE(exists(rf + "/opq/old"));
  CHECK(get(rf + "/opq/new") == "n");
  CHECK(get(rf + "/keep") == "k");
  CHECK_FALSE(exists(rf + "/opq/.wh..wh..opq"));

  // prune keeps nothing that no image or cache names
  auto r = s.prune();
  CHECK(r.blobs >= 2);
  CHECK_FALSE(s.has_blob(l1.blob.digest));
}

TEST_CASE("layers: hostile tars stay inside the target") {
  TempDir t;
  std::string dest = t.path + "/dest";
  mkdir(dest.c_str(), 0755);
  std::string outside = t.path + "/outside";
  mkdir(outside.c_str(), 0755);
  auto tar1 = make_tar(t.path, {{"../evil", AE_IFREG, "x"}});
  CHECK(error_of([&] { extract_tar_file(tar1, dest, ExtractMode::Apply, "t"); }).find("\"..\"") != std::string::npos);
  CHECK_FALSE(exists(t.path + "/evil"));
  auto tar2 = make_tar(t.path, {{"/abs", AE_IFREG, "x"}});
  extract_tar_file(tar2, dest, ExtractMode::Apply, "t");
  CHECK(get(dest + "/abs") == "x");
  // a symlink to the outside, then a file through it: lands inside dest
  auto tar3 = make_tar(t.path, {{"l", AE_IFLNK, outside}, {"l/x", AE_IFREG, "through"}});
  // (the link's target is resolved inside dest, where it does not exist: an error)
  CHECK(error_of([&] { extract_tar_file(tar3, dest, ExtractMode::Apply, "t"); }).find("entry \"l/x\"") != std::string::npos);
  CHECK_FALSE(exists(outside + "/x"));
  mkdir((dest + "/tmp").c_str(), 0755);
  auto tar3b = make_tar(t.path, {{"l2", AE_IFLNK, "/tmp"}, {"l2/x", AE_IFREG, "through"}});
  extract_tar_file(tar3b, dest, ExtractMode::Apply, "t");
  CHECK(get(dest + "/tmp/x") == "through");
  // a symlink as the final component is replaced, never written through
  put(outside + "/victim", "safe");
  auto tar4 = make_tar(t.path, {{"v", AE_IFLNK, outside + "/victim"}, {"v", AE_IFREG, "overwritten"}});
  extract_tar_file(tar4, dest, ExtractMode::Apply, "t");
  CHECK(get(outside + "/victim") == "safe");
  CHECK(get(dest + "/v") == "overwritten");
  // whiteouts cannot name the parent
  auto tar5 = make_tar(t.path, {{"d/.wh..", AE_IFREG, ""}});
  CHECK(error_of([&] { extract_tar_file(tar5, dest, ExtractMode::Apply, "t"); }).find("invalid whiteout") != std::string::npos);
  // garbage is an error, not a crash
  put(t.path + "/junk", std::string(3000, 'j'));
  CHECK(!error_of([&] { extract_tar_file(t.path + "/junk", dest, ExtractMode::Apply, "junk"); }).empty());
}
