// docs/architecture.md's "path of create" lists the parent's and the init's
// steps by name: compared with the code's lists (plan.hpp), so the document
// cannot drift from the code again.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "berth/process/plan.hpp"

using namespace berth;

namespace {

std::string read_doc() {
  std::ifstream in(std::string(BERTH_SOURCE_DIR) + "/docs/architecture.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The section that starts with `heading`, up to the next "## ".
std::string section(const std::string& doc, const std::string& heading) {
  size_t a = doc.find(heading);
  REQUIRE(a != std::string::npos);
  size_t b = doc.find("\n## ", a + heading.size());
  return doc.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// Names of the bullets "- `name`: ..." between `marker` and the next "<!--".
std::vector<std::string> listed(const std::string& text, const std::string& marker) {
  size_t a = text.find(marker);
  REQUIRE_MESSAGE(a != std::string::npos, "docs/architecture.md has no " << marker);
  a += marker.size();
  size_t b = text.find("<!--", a);
  std::string part = text.substr(a, b == std::string::npos ? std::string::npos : b - a);
  static const std::regex bullet(R"(^\s*- `([a-z0-9_]+)`)");
  std::vector<std::string> out;
  std::istringstream lines(part);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line))
    if (std::regex_search(line, m, bullet)) out.push_back(m[1]);
  return out;
}

template <class S>
std::vector<std::string> names(const std::vector<S>& steps) {
  std::vector<std::string> out;
  for (S s : steps) out.emplace_back(process::step_name(s));
  return out;
}

}  // namespace

TEST_CASE("docs/architecture.md: the path of create lists the code's steps, in order") {
  std::string create = section(read_doc(), "## The path of `berth create`");
  CHECK(listed(create, "<!-- parent steps -->") == names(process::parent_steps()));
  CHECK(listed(create, "<!-- init steps -->") == names(process::init_steps()));
}
