// Image references normalised as docker (distribution/reference) does.
#include <doctest/doctest.h>

#include "berth/image/reference.hpp"
#include "berth/util/error.hpp"

using namespace berth::image;

namespace {
std::string norm(const std::string& s) { return parse_reference(s).str(); }
std::string err(const std::string& s) {
  try {
    parse_reference(s);
  } catch (const berth::Error& e) {
    return e.what();
  }
  return "";
}
const std::string D = "sha256:" + std::string(64, 'a');
}  // namespace

TEST_CASE("reference: docker hub short names") {
  CHECK(norm("busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("busybox:1.36") == "docker.io/library/busybox:1.36");
  CHECK(norm("user/app") == "docker.io/user/app:latest");
  CHECK(norm("index.docker.io/library/busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(norm("a/b/c") == "docker.io/a/b/c:latest");
  CHECK(parse_reference("busybox").familiar() == "busybox:latest");
  CHECK(parse_reference("docker.io/user/app:1").familiar() == "user/app:1");
}

TEST_CASE("reference: registries, ports, digests") {
  auto r = parse_reference("host:5000/a/b@" + D);
  CHECK(r.domain == "host:5000");
  CHECK(r.path == "a/b");
  CHECK(r.tag.empty());
  CHECK(r.digest == D);
  CHECK(r.manifest_ref() == D);
  CHECK(r.str() == "host:5000/a/b@" + D);
  CHECK(norm("localhost/x") == "localhost/x:latest");
  CHECK(norm("127.0.0.1:5000/x:v1") == "127.0.0.1:5000/x:v1");
  CHECK(norm("quay.io/a/b:t@" + D) == "quay.io/a/b:t@" + D);
  CHECK(norm("Registry.Example/x") == "Registry.Example/x:latest");
  CHECK(norm("[::1]:5000/x") == "[::1]:5000/x:latest");
  CHECK(norm("a__b/c--d") == "docker.io/a__b/c--d:latest");
  CHECK(norm("x:" + std::string(128, 't')) == "docker.io/library/x:" + std::string(128, 't'));
}

TEST_CASE("reference: malformed names are refused with the reason") {
  CHECK(err("").find("empty") != std::string::npos);
  CHECK(err("BusyBox").find("must be lowercase") != std::string::npos);
  CHECK(err("busybox:").find("tag \"\"") != std::string::npos);
  CHECK(err("busybox:-x").find("tag") != std::string::npos);
  CHECK(err("x:" + std::string(129, 't')).find("tag") != std::string::npos);
  CHECK(err("busybox@sha256:abc").find("64") != std::string::npos);
  CHECK(err("busybox@md5:" + std::string(32, 'a')).find("not supported") != std::string::npos);
  CHECK(err("busybox@").find("ALGORITHM:HEX") != std::string::npos);
  CHECK(err("a//b").find("path component") != std::string::npos);
  CHECK(err("a/-b").find("path component") != std::string::npos);
  CHECK(err("a/b_").find("path component") != std::string::npos);
  CHECK(err("a/b..c").find("path component") != std::string::npos);
  CHECK(err("a/b___c").find("path component") != std::string::npos);
  CHECK(err("host:port/x").find("registry") != std::string::npos);
  CHECK(err("-h.io/x").find("registry") != std::string::npos);
  CHECK(err(":tag").find("no repository") != std::string::npos);
  CHECK(err(std::string(64, 'a')).find("image ID") != std::string::npos);
  CHECK(err("a b").find("path component") != std::string::npos);
  CHECK(err("h.io/" + std::string(260, 'a')).find("255") != std::string::npos);
}

#include "berth/image/registry.hpp"

TEST_CASE("registry: WWW-Authenticate challenges") {
  auto c = parse_auth_challenge(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  CHECK(c.scheme == "bearer");
  CHECK(c.params["realm"] == "https://auth.docker.io/token");
  CHECK(c.params["service"] == "registry.docker.io");
  CHECK(c.params["scope"] == "repository:library/busybox:pull");
  auto b = parse_auth_challenge(R"(Basic realm="Registry Realm")");
  CHECK(b.scheme == "basic");
  CHECK(b.params["realm"] == "Registry Realm");
  CHECK(parse_auth_challenge(R"(Bearer realm="a\"b", x=tok)").params["x"] == "tok");
  CHECK_THROWS_WITH(parse_auth_challenge(""), doctest::Contains("no scheme"));
  CHECK_THROWS_WITH(parse_auth_challenge(R"(Bearer realm="open)"), doctest::Contains("unterminated"));
  CHECK_THROWS_WITH(parse_auth_challenge("Bearer realm"), doctest::Contains("has no value"));
  CHECK_THROWS_WITH(parse_auth_challenge(R"(Bearer realm="a" service="b")"), doctest::Contains("expected \",\""));
}
