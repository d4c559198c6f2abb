#include <pwd.h>
#include <sys/stat.h>

#include <iostream>

#include "berth/container/container.hpp"
#include "cli.hpp"

namespace berth::cli {
namespace {

std::string owner_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return "";
  if (passwd* pw = ::getpwuid(st.st_uid)) return pw->pw_name;
  return "#" + std::to_string(st.st_uid);
}

// Go's text/tabwriter as runc configures it: minwidth 12, padding 3, spaces.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      if (width.size() <= i) width.resize(i + 1, 12);
      width[i] = std::max(width[i], r[i].size() + 3);
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size(), ' ');
    }
    std::cout << line << "\n";
  }
}

}  // namespace

void add_list(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("list", "list containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "print only container ids");
  cmd->callback([&g, &act, format, quiet] {
    act = [&g, format, quiet] {
      auto states = container::list(g.root);
      for (auto& s : states) s["owner"] = owner_of(g.root + "/" + s["id"].get<std::string>());
      if (*quiet) {
        for (const auto& s : states) std::cout << s["id"].get<std::string>() << "\n";
      } else if (*format == "json") {
        // runc prints `null` for no containers (a nil Go slice).
        std::cout << (states.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(states)).dump()
                  << "\n";
      } else {
        std::vector<std::vector<std::string>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
        for (const auto& s : states)
          rows.push_back({s["id"], std::to_string(s["pid"].get<int>()), s["status"], s["bundle"], s["created"],
                          s["owner"]});
        print_table(rows);
      }
      return 0;
    };
  });
}

}  // namespace berth::cli
