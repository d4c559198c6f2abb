// The shim's command line (Go flag syntax, as containerd calls it) and its socket address.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "berth/util/error.hpp"
#include "bootstrap.hpp"
#include "flags.hpp"
#include "stdio.hpp"
#include "ttrpc_codec.hpp"

using namespace berth::shim;

TEST_CASE("shim flags: containerd's start line, --flag=value, bools, the action") {
  Flags f = parse_flags({"-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock", "-publish-binary",
                         "/usr/bin/containerd", "-id", "abc", "-debug", "start"});
  CHECK(f.namespace_ == "k8s.io");
  CHECK(f.address == "/run/containerd/containerd.sock");
  CHECK(f.publish_binary == "/usr/bin/containerd");
  CHECK(f.id == "abc");
  CHECK(f.debug);
  CHECK(f.action == "start");
  Flags g = parse_flags({"--namespace=ns", "--id=x", "-debug=false", "--bundle", "/b", "delete"});
  CHECK(g.namespace_ == "ns");
  CHECK(g.id == "x");
  CHECK_FALSE(g.debug);
  CHECK(g.bundle == "/b");
  CHECK(g.action == "delete");
  CHECK(parse_flags({"-v"}).version);
  CHECK(parse_flags({"-namespace", "n", "--", "-x"}).action == "-x");
  CHECK(parse_flags({"-namespace", "n"}).action.empty());
  CHECK_THROWS_WITH_AS(parse_flags({"-nope", "1"}), "flag provided but not defined: -nope", berth::Error);
  CHECK_THROWS_WITH_AS(parse_flags({"-id"}), "flag needs an argument: -id", berth::Error);
  CHECK_THROWS_AS(parse_flags({"-debug=maybe"}), berth::Error);
  CHECK_THROWS_AS(parse_flags({"---id", "x"}), berth::Error);
}

TEST_CASE("shim socket address: sha256 of filepath.Join(address, namespace, group) under /run/containerd/s") {
  // printf %s /run/containerd/containerd.sock/default/g1 | sha256sum
  CHECK(socket_address("/run/containerd/containerd.sock", "default", "g1") ==
        "unix:///run/containerd/s/d654df5fe313cf9367de7519df2c0462fe0a304e98692432f956c2177ad4f4d4");
}

TEST_CASE("shim group: sandbox id, then the runc group annotation, else the container id") {
  char tmpl[] = "/tmp/berth-test-group-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string cfg = std::string(tmpl) + "/config.json";
  auto write = [&](const std::string& s) { std::ofstream(cfg) << s; };
  write(R"({"annotations":{"io.kubernetes.cri.sandbox-id":"sb","io.containerd.runc.v2.group":"g"}})");
  CHECK(group_of(cfg, "c") == "sb");
  write(R"({"annotations":{"io.containerd.runc.v2.group":"g"}})");
  CHECK(group_of(cfg, "c") == "g");
  write(R"({"annotations":{"io.containerd.runc.v2.group":""}})");
  CHECK(group_of(cfg, "c") == "c");
  write("not json");
  CHECK(group_of(cfg, "c") == "c");
  std::remove(cfg.c_str());
  CHECK(group_of(cfg, "c") == "c");
  rmdir(tmpl);
}

TEST_CASE("shim socket address: the address is cleaned as filepath.Join does") {
  CHECK(socket_address("/run/containerd//containerd.sock/", "default", "g1") ==
        socket_address("/run/containerd/containerd.sock", "default", "g1"));
}

TEST_CASE("shim stdio: a binary:// URI becomes the logging binary's argv") {
  CHECK(berth::shim::logging_binary_argv("binary:///usr/bin/logger") == std::vector<std::string>{"/usr/bin/logger"});
  CHECK(berth::shim::logging_binary_argv("binary:///bin/l%20x?id=a%2Fb&flag&k=v+w") ==
        std::vector<std::string>{"/bin/l x", "id", "a/b", "flag", "k", "v w"});
  CHECK_THROWS_AS(berth::shim::logging_binary_argv("binary://relative"), berth::shim::ttrpc::RpcError);
  CHECK_THROWS_AS(berth::shim::logging_binary_argv("binary:///x?a=%zz"), berth::shim::ttrpc::RpcError);
}
