// Image config -> runtime config (image-spec conversion rules) and USER resolution.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "berth/image/bundle.hpp"
#include "berth/image/store.hpp"
#include "berth/image/users.hpp"
#include "error_of.hpp"

using namespace berth::image;
using nlohmann::json;

namespace {
struct Rootfs {
  std::string path;
  int fd = -1;
  Rootfs() {
    char t[] = "/tmp/berth-bundle-test.XXXXXX";
    path = mkdtemp(t);
    mkdir((path + "/etc").c_str(), 0755);
    std::ofstream(path + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nbad:x:zz:1::/:/bin/sh\n";
    std::ofstream(path + "/etc/group") << "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:app\nstaff:x:50:\n";
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
  }
  ~Rootfs() {
    close(fd);
    remove_tree(path);
  }
};
}  // namespace

TEST_CASE("users: names, numbers, groups, errors") {
  Rootfs r;
  auto u = resolve_user(r.fd, "app");
  CHECK(u.uid == 1000);
  CHECK(u.gid == 1001);
  CHECK(u.additional_gids == std::vector<gid_t>{10, 29});
  u = resolve_user(r.fd, "1000:staff");
  CHECK(u.uid == 1000);
  CHECK(u.gid == 50);
  CHECK(u.additional_gids.empty());
  u = resolve_user(r.fd, "4242");  // a uid not in /etc/passwd is fine, gid 0
  CHECK(u.uid == 4242);
  CHECK(u.gid == 0);
  u = resolve_user(r.fd, "app:77");
  CHECK(u.gid == 77);
  CHECK(error_of([&] { resolve_user(r.fd, "nobody2"); }) == "user \"nobody2\": no such user in /etc/passwd of the image");
  CHECK(error_of([&] { resolve_user(r.fd, "app:nogroup"); }) == "group \"nogroup\": no such group in /etc/group of the image");
  CHECK(error_of([&] { resolve_user(r.fd, "bad"); }).find("bad entry") != std::string::npos);
}

TEST_CASE("users: /etc/passwd is read inside the rootfs") {
  Rootfs r;
  unlink((r.path + "/etc/passwd").c_str());
  symlink("/etc/passwd", (r.path + "/etc/passwd").c_str());  // would be the host's if followed out
  CHECK(error_of([&] { resolve_user(r.fd, "root"); }).find("no such user") != std::string::npos);
}

TEST_CASE("bundle: conversion rules") {
  Rootfs r;
  json img = {{"created", "2023-11-14T22:13:20Z"},
              {"architecture", "amd64"},
              {"os", "linux"},
              {"config",
               {{"Entrypoint", {"/bin/app", "--flag"}},
                {"Cmd", {"default"}},
                {"Env", {"A=1"}},
                {"WorkingDir", "/srv"},
                {"User", "app"},
                {"ExposedPorts", {{"80/tcp", json::object()}, {"53/udp", json::object()}}},
                {"Volumes", {{"/data", json::object()}}},
                {"StopSignal", "SIGINT"},
                {"Labels", {{"l", "v"}}}}}};
  auto spec = runtime_config(img, r.fd, {});
  CHECK(spec["process"]["args"] == json({"/bin/app", "--flag", "default"}));
  CHECK(spec["process"]["env"] == json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"}));
  CHECK(spec["process"]["cwd"] == "/srv");
  CHECK(spec["process"]["user"]["uid"] == 1000);
  CHECK(spec["process"]["user"]["gid"] == 1001);
  CHECK(spec["process"]["user"]["additionalGids"] == json({10, 29}));
  CHECK(spec["process"]["terminal"] == false);
  CHECK(spec["root"]["path"] == "rootfs");
  CHECK(spec["annotations"]["org.opencontainers.image.exposedPorts"] == "53/udp,80/tcp");
  CHECK(spec["annotations"]["org.opencontainers.image.stopSignal"] == "SIGINT");
  CHECK(spec["annotations"]["io.berth.image.volumes"] == "/data");
  CHECK(spec["annotations"]["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z");
  CHECK(spec["annotations"]["l"] == "v");
  // a command given replaces Cmd, keeps the Entrypoint
  CHECK(runtime_config(img, r.fd, {"x"})["process"]["args"] == json({"/bin/app", "--flag", "x"}));
  // nothing to run: empty args (the caller warns)
  CHECK(runtime_config(json{{"config", json::object()}}, r.fd, {})["process"]["args"].empty());
  img["config"]["User"] = "ghost";
  CHECK(error_of([&] { runtime_config(img, r.fd, {}); }).find("user \"ghost\"") == 0);
}
