// registries.conf (the containers subset) and the auth files: parsing, matching, rewriting.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "berth/image/auth_file.hpp"
#include "berth/image/registries_conf.hpp"
#include "berth/image/store.hpp"
#include "berth/util/error.hpp"

using namespace berth::image;

namespace {
RegistriesConf conf_of(const std::string& text) {
  RegistriesConf c;
  merge_registries_conf(c, text, "test.conf");
  return c;
}
std::string conf_err(const std::string& text) {
  try {
    conf_of(text);
  } catch (const berth::Error& e) {
    return e.what();
  }
  return "";
}
std::vector<std::string> sources(const RegistriesConf& c, const std::string& ref) {
  std::vector<std::string> out;
  for (const auto& s : pull_sources(c, parse_reference(ref))) out.push_back(s.ref.str() + (s.insecure ? " insecure" : "") + (s.mirror ? " mirror" : ""));
  return out;
}
}  // namespace

TEST_CASE("registries.conf: mirrors come first, then the location") {
  auto c = conf_of(R"(
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "127.0.0.1:5000"
[[registry.mirror]]
location = "mirror.example:443/hub"
insecure = true
)");
  CHECK(sources(c, "busybox") == std::vector<std::string>{"127.0.0.1:5000/library/busybox:latest mirror",
                                                         "mirror.example:443/hub/library/busybox:latest insecure mirror",
                                                         "docker.io/library/busybox:latest"});
  // the image keeps its own name whatever source served it
  CHECK(pull_sources(c, parse_reference("busybox"))[0].name.str() == "docker.io/library/busybox:latest");
  // other registries are untouched
  CHECK(sources(c, "quay.io/a/b:1") == std::vector<std::string>{"quay.io/a/b:1"});
}

TEST_CASE("registries.conf: prefix, location rewrite, longest prefix, wildcard, blocked, insecure") {
  auto c = conf_of(R"(
[[registry]]
prefix = "example.com/team"
location = "internal.example:5000/mirror/team"
[[registry]]
location = "example.com"
insecure = true
[[registry]]
prefix = "*.bad.example"
blocked = true
[[registry]]
location = "digests.example"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.example"
)");
  CHECK(sources(c, "example.com/team/app:2") == std::vector<std::string>{"internal.example:5000/mirror/team/app:2"});
  CHECK(sources(c, "example.com/teams/app") == std::vector<std::string>{"example.com/teams/app:latest insecure"});
  CHECK(sources(c, "example.com/other@sha256:" + std::string(64, 'a')) ==
        std::vector<std::string>{"example.com/other@sha256:" + std::string(64, 'a') + " insecure"});
  CHECK_THROWS_WITH(pull_sources(c, parse_reference("x.bad.example/a")), doctest::Contains("blocked by registries.conf"));
  CHECK_THROWS_WITH(push_destination(c, parse_reference("x.bad.example/a")), doctest::Contains("blocked"));
  CHECK(sources(c, "bad.example/a") == std::vector<std::string>{"bad.example/a:latest"});  // *.x is subdomains only
  CHECK(sources(c, "digests.example/a:1") == std::vector<std::string>{"digests.example/a:1"});
  CHECK(sources(c, "digests.example/a@sha256:" + std::string(64, 'b')).size() == 2);
  CHECK(push_destination(c, parse_reference("example.com/team/x")).ref.str() == "internal.example:5000/mirror/team/x:latest");
}

TEST_CASE("registries.conf: unqualified-search-registries for short names only") {
  auto c = conf_of(R"(unqualified-search-registries = ["quay.io", "docker.io"])");
  CHECK(sources(c, "busybox") == std::vector<std::string>{"quay.io/busybox:latest", "docker.io/library/busybox:latest"});
  CHECK(pull_sources(c, parse_reference("busybox"))[0].name.str() == "quay.io/busybox:latest");
  CHECK(sources(c, "docker.io/busybox") == std::vector<std::string>{"docker.io/library/busybox:latest"});
  CHECK(sources(RegistriesConf{}, "busybox") == std::vector<std::string>{"docker.io/library/busybox:latest"});
}

TEST_CASE("registries.conf: v1 tables, drop-in override, ignored keys") {
  auto c = conf_of(R"(
[registries.search]
registries = ["r1.example"]
[registries.insecure]
registries = ["r2.example:5000"]
[registries.block]
registries = ["r3.example"]
)");
  CHECK(c.unqualified_search == std::vector<std::string>{"r1.example"});
  CHECK(sources(c, "r2.example:5000/a") == std::vector<std::string>{"r2.example:5000/a:latest insecure"});
  CHECK_THROWS(pull_sources(c, parse_reference("r3.example/a")));
  // a later file replaces the entry of the same prefix
  RegistriesConf d;
  merge_registries_conf(d, "[[registry]]\nlocation = \"a.example\"\ninsecure = true\n", "one.conf");
  merge_registries_conf(d, "[[registry]]\nlocation = \"a.example\"\nblocked = true\n", "two.conf");
  REQUIRE(d.registries.size() == 1);
  CHECK(d.registries[0].blocked);
  CHECK_FALSE(d.registries[0].insecure);
  // what berth-build does not apply is accepted (Debian's shortnames.conf has [aliases])
  CHECK(conf_err("short-name-mode = \"enforcing\"\n[aliases]\n\"busybox\" = \"docker.io/library/busybox\"\n").empty());
}

TEST_CASE("registries.conf: errors name the file, the line and the field") {
  CHECK(conf_err("[[registry]]\nlocation = 5\n") == "test.conf:2: location must be a string");
  CHECK(conf_err("[[registry]]\ninsecure = \"yes\"\nlocation = \"a.io\"\n") == "test.conf:2: insecure must be true or false");
  CHECK(conf_err("[[registry]]\ninsecure = true\n") == "test.conf:1: [[registry]] needs a location or a prefix");
  CHECK(conf_err("[[registry]]\nlocation = \"https://a.io\"\n") == "test.conf:1: location: \"https://a.io\": no scheme allowed (mark the registry insecure for plain HTTP)");
  CHECK(conf_err("[[registry]]\nprefix = \"*.a.io\"\nlocation = \"b.io\"\n") == "test.conf:1: prefix \"*.a.io\": a wildcard prefix takes no location");
  CHECK(conf_err("[[registry\n").rfind("test.conf:1:", 0) == 0);
  CHECK(conf_err("[registries.search]\nregistries = [\"a\"]\n[[registry]]\nlocation = \"b.io\"\n") ==
        "test.conf: mixes the v1 [registries.*] tables with v2 [[registry]] entries");
  CHECK(conf_err("unqualified-search-registries = \"docker.io\"\n") == "test.conf:1: unqualified-search-registries must be an array of strings");
}

TEST_CASE("registries.conf: an explicit file must exist") {
  CHECK_THROWS_WITH(load_registries_conf("/nonexistent/registries.conf"), doctest::Contains("/nonexistent/registries.conf"));
}

TEST_CASE("auth files: base64, most specific key, docker's legacy keys, store and remove") {
  CHECK(base64_encode("tester:s3cret") == "dGVzdGVyOnMzY3JldA==");
  CHECK(base64_decode("dGVzdGVyOnMzY3JldA==") == "tester:s3cret");
  CHECK(base64_decode(base64_encode("ab")) == "ab");
  CHECK(base64_decode("") == "");
  CHECK_THROWS(base64_decode("abc"));
  CHECK_THROWS(base64_decode("ab!="));

  char tmpl[] = "/tmp/berth-auth-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = tmpl;
  std::string file = dir + "/sub/auth.json";
  store_credentials(file, "h:5000", {"u1", "p1"});
  store_credentials(file, "h:5000/team/app", {"u2", "p:2"});
  auto c = find_credentials(file, "h:5000", "team/app");
  REQUIRE(c);
  CHECK(c->username == "u2");
  CHECK(c->password == "p:2");
  c = find_credentials(file, "h:5000", "other");
  REQUIRE(c);
  CHECK(c->username == "u1");
  CHECK_FALSE(find_credentials(file, "h:50", ""));
  CHECK(access(file.c_str(), R_OK) == 0);
  CHECK(remove_credentials(file, "h:5000"));
  CHECK_FALSE(remove_credentials(file, "h:5000"));
  CHECK(find_credentials(file, "h:5000", "team/app")->username == "u2");
  remove_all_credentials(file);
  CHECK_FALSE(find_credentials(file, "h:5000", "team/app"));

  // docker's config.json with its legacy Hub key, read through $DOCKER_CONFIG
  std::string dcfg = dir + "/docker";
  REQUIRE(mkdir(dcfg.c_str(), 0700) == 0);
  std::ofstream(dcfg + "/config.json") << R"({"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"}, "q.io": {"auth": "%%%"}}})";
  setenv("DOCKER_CONFIG", dcfg.c_str(), 1);
  c = find_credentials(file, "docker.io", "library/busybox");
  REQUIRE(c);
  CHECK(c->username == "hub");
  CHECK(c->password == "pw");
  CHECK_THROWS_WITH(find_credentials(file, "q.io", "a"), doctest::Contains("auths[\"q.io\"].auth: not base64"));
  unsetenv("DOCKER_CONFIG");
  remove_tree(dir);
}
