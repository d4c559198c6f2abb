// The shim's command line (Go flag syntax, as containerd calls it) and its socket address.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

TEST_CASE("shim bootstrap: shim_cgroup joins the one unified directory, or every v1 hierarchy that has it") {
  char tmpl[] = "/tmp/berth-test-shimcg-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string fs = tmpl;
  auto put = [&](const std::string& rel, const std::string& data) {
    std::string path = fs + "/" + rel;
    for (std::size_t i = fs.size() + 1; i < path.size(); ++i)
      if (path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
    std::ofstream(path) << data;
  };
  auto read = [&](const std::string& rel) {
    std::ifstream f(fs + "/" + rel);
    std::string s;
    std::getline(f, s);
    return s;
  };
  // v1 (hybrid): memory and cpu,cpuacct have /shims, pids has not, unified is skipped.
  put("memory/shims/cgroup.procs", "");
  put("cpu,cpuacct/shims/cgroup.procs", "");
  put("pids/cgroup.procs", "");
  put("unified/shims/cgroup.procs", "");
  REQUIRE(symlink("cpu,cpuacct", (fs + "/cpu").c_str()) == 0);
  berth::shim::join_cgroup(4242, "/shims", fs);
  CHECK(read("memory/shims/cgroup.procs") == "4242");
  CHECK(read("cpu,cpuacct/shims/cgroup.procs") == "4242");
  CHECK(read("unified/shims/cgroup.procs").empty());
  CHECK_THROWS_WITH(berth::shim::join_cgroup(4242, "/nowhere", fs), doctest::Contains("no cgroup hierarchy has /nowhere"));
  CHECK_THROWS_WITH(berth::shim::join_cgroup(4242, "/shims/../..", fs), doctest::Contains("\"..\" is not allowed"));
  // unified: the one directory
  put("cgroup.controllers", "memory pids");
  put("shims/cgroup.procs", "");
  berth::shim::join_cgroup(4343, "shims", fs);
  CHECK(read("shims/cgroup.procs") == "4343");
  CHECK_THROWS(berth::shim::join_cgroup(4343, "/absent", fs));
  CHECK(std::system(("rm -rf '" + fs + "'").c_str()) == 0);
}
