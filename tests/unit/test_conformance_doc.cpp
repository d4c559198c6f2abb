// docs/conformance.md says, for every runtime-spec field and every runc flag, what berth does
// and which test proves it. Checked here so that it cannot lie: every cited test exists, every
// quoted refusal is in the sources, every field of the full config (full_config.hpp: every
// field of the model) has a row, and the CLI table has exactly the flags src/cli defines
// (a flag marked "not defined" must not be, every other must be).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "berth/oci/parse.hpp"
#include "full_config.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in, "cannot read " << p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path source(const std::string& rel) { return fs::path(BERTH_SOURCE_DIR) / rel; }

std::string doc() { return slurp(source("docs/conformance.md")); }

// Table rows ("| `first cell` | status | evidence |") of the section starting at `heading`.
struct Row {
  std::string field, status, evidence;
};
std::vector<Row> rows(const std::string& text, const std::string& heading) {
  size_t a = text.find(heading);
  REQUIRE_MESSAGE(a != std::string::npos, "docs/conformance.md has no " << heading);
  size_t b = text.find("\n## ", a + heading.size());
  std::istringstream in(text.substr(a, b == std::string::npos ? std::string::npos : b - a));
  std::vector<Row> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("| `")) continue;
    std::vector<std::string> cells;
    size_t i = 1;
    while (i < line.size()) {
      size_t j = line.find(" | ", i);
      if (j == std::string::npos) j = line.rfind(" |");
      cells.push_back(line.substr(i, j - i));
      i = j + 3;
      if (j + 2 >= line.size()) break;
    }
    REQUIRE_MESSAGE(cells.size() == 3, "not a 3-cell row: " << line);
    for (auto& c : cells) {
      while (!c.empty() && c.front() == ' ') c.erase(0, 1);
      while (!c.empty() && c.back() == ' ') c.pop_back();
    }
    out.push_back({cells[0], cells[1], cells[2]});
  }
  REQUIRE(!out.empty());
  return out;
}

// `a`, `b` -> {a, b}
std::vector<std::string> code_spans(const std::string& cell) {
  std::vector<std::string> out;
  static const std::regex span("`([^`]+)`");
  for (std::sregex_iterator it(cell.begin(), cell.end(), span), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

std::string all_sources() {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(source("src")))
    if (e.is_regular_file() && (e.path().extension() == ".cpp" || e.path().extension() == ".hpp"))
      all += slurp(e.path());
  return all;
}

// Leaf paths of a config: "process.user.uid", "mounts[].options", "linux.sysctl" (maps whose
// keys are data stop at the map), "linux.netDevices.*.name".
void flatten(const json& j, const std::string& path, std::set<std::string>& out) {
  static const std::set<std::string> maps = {"annotations", "linux.sysctl", "linux.resources.unified",
                                             "linux.resources.rdma", "linux.timeOffsets"};
  if (maps.count(path)) {
    out.insert(path);
    return;
  }
  if (path == "linux.netDevices") {
    out.insert(path);
    for (const auto& [dev, v] : j.items())
      for (const auto& [k, _] : v.items()) out.insert(path + ".*." + k);
    return;
  }
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array() && !j.empty() && (j[0].is_object() || j[0].is_array())) {
    for (const auto& e : j) flatten(e, path + "[]", out);
  } else {
    out.insert(path);
  }
}

}  // namespace

TEST_CASE("docs/conformance.md: every cited test exists") {
  const std::string d = doc();
  static const std::regex sh("`([a-z0-9_]+\\.sh):(test_[a-z0-9_]+)`");
  static const std::regex cpp("`([a-z0-9_]+\\.cpp):\"((?:[^\"\\\\]|\\\\.)+)\"`");
  size_t n = 0;
  for (std::sregex_iterator it(d.begin(), d.end(), sh), end; it != end; ++it, ++n) {
    const std::string file = (*it)[1], name = (*it)[2];
    CAPTURE(file);
    CAPTURE(name);
    const std::string text = "\n" + slurp(source("tests/integration/" + file));
    CHECK(text.find("\n" + name + "() {") != std::string::npos);
  }
  for (std::sregex_iterator it(d.begin(), d.end(), cpp), end; it != end; ++it, ++n) {
    const std::string file = (*it)[1], name = (*it)[2];
    CAPTURE(file);
    CAPTURE(name);
    CHECK(slurp(source("tests/unit/" + file)).find("TEST_CASE(\"" + name) != std::string::npos);
  }
  CHECK(n > 150);
}

TEST_CASE("docs/conformance.md: every quoted refusal or warning is berth's wording") {
  const std::string d = doc();
  const std::string src = all_sources();
  static const std::regex quoted("«([^»]+)»");
  size_t n = 0;
  for (std::sregex_iterator it(d.begin(), d.end(), quoted), end; it != end; ++it, ++n) {
    const std::string msg = (*it)[1];
    CAPTURE(msg);
    CHECK(src.find(msg) != std::string::npos);
  }
  CHECK(n >= 8);
}

TEST_CASE("docs/conformance.md: every field of the model has a row with a known status") {
  const std::string d = doc();
  std::set<std::string> listed;
  for (const auto* heading : {"## config.json\n", "## config.json: linux\n"}) {
    for (const Row& r : rows(d, heading)) {
      CAPTURE(r.field);
      const bool known = r.status == "implemented" || r.status == "refused" || r.status == "ignored" || r.status == "n/a";
      CHECK(known);
      // Implemented or refused: a test says so.
      if (r.status == "implemented" || r.status == "refused")
        CHECK((r.evidence.find(".sh:test_") != std::string::npos || r.evidence.find(".cpp:\"") != std::string::npos ||
               r.evidence.find("as enableCMT") != std::string::npos));
      for (const auto& f : code_spans(r.field)) listed.insert(f);
    }
  }
  // The full config of the parser's round-trip test: nothing in it is lost by to_json, and
  // every field path it has is on the page (itself, the array it is in, or hooks.*[]).
  const json full = json::parse(berth_test::kFullConfig);
  REQUIRE(berth::oci::to_json(berth::oci::parse_spec(full)) == full);
  std::set<std::string> paths;
  flatten(full, "", paths);
  CHECK(paths.size() > 100);
  for (std::string p : paths) {
    CAPTURE(p);
    static const std::regex hook("^hooks\\.[a-zA-Z]+\\[\\]\\.");
    if (std::regex_search(p, hook)) p = std::regex_replace(p, std::regex("^hooks\\.[a-zA-Z]+"), "hooks.*");
    bool covered = listed.count(p) > 0;
    // An array of objects is covered by its own row ("linux.uidMappings" or "mounts[]"-style).
    for (size_t at = p.find("[]"); !covered && at != std::string::npos; at = p.find("[]", at + 2))
      covered = listed.count(p.substr(0, at + 2)) > 0 || listed.count(p.substr(0, at)) > 0;
    CHECK(covered);
  }
}

TEST_CASE("docs/conformance.md: the CLI table has exactly the flags src/cli defines") {
  std::set<std::string> defined;
  static const std::regex flag("add_(?:option|flag)\\(\"(?:-[a-zA-Z],)?(--[a-z0-9-]+)");
  for (const auto& e : fs::directory_iterator(source("src/cli"))) {
    const std::string text = slurp(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), flag), end; it != end; ++it) defined.insert((*it)[1]);
  }
  REQUIRE(defined.size() > 50);
  std::set<std::string> listed;
  static const std::regex dashed("(--[a-z0-9-]+)");
  for (const Row& r : rows(doc(), "## runc command line\n")) {
    CAPTURE(r.field);
    const bool undefined = r.evidence.find("not defined") != std::string::npos;
    for (std::sregex_iterator it(r.field.begin(), r.field.end(), dashed), end; it != end; ++it) {
      const std::string f = (*it)[1];
      listed.insert(f);
      CAPTURE(f);
      CHECK(defined.count(f) == (undefined ? 0U : 1U));
    }
  }
  for (const auto& f : defined) {
    CAPTURE(f);
    CHECK(listed.count(f) == 1);
  }
}
