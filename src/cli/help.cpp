// Help in runc's layout (urfave/cli's): NAME / USAGE / COMMANDS / OPTIONS
// sections, `<prog> <command> - <description>` on the second line. Scripts and
// runc's own integration tests read these lines; the program's name is the one
// it was invoked as (urfave/cli's default), so a berth installed as `runc`
// answers as runc would.
#include <algorithm>
#include <string>
#include <vector>

#include "cli.hpp"

namespace berth::cli {
namespace {

constexpr const char* kAbout =
    "berth is a command line client for running applications packaged according to\n"
    "the Open Container Initiative (OCI) format and is a compliant implementation of the\n"
    "Open Container Initiative specification, a drop-in replacement for runc.\n"
    "\n"
    "Containers are configured using bundles. A bundle for a container is a directory\n"
    "that includes a specification file named \"config.json\" and a root filesystem.\n"
    "\n"
    "To start a new instance of a container:\n"
    "\n"
    "    # berth run [ -b bundle ] <container-id>\n";

struct Row {
  std::string label;
  std::string text;
};

std::string table(const std::vector<Row>& rows) {
  size_t w = 0;
  for (const auto& r : rows) w = std::max(w, r.label.size());
  std::string out;
  for (const auto& r : rows) {
    out += "   " + r.label;
    if (!r.text.empty()) out += std::string(w - r.label.size() + 2, ' ') + r.text;
    out += "\n";
  }
  return out;
}

// "--bundle value, -b value" / "--force, -f"
std::string option_label(const CLI::Option* o) {
  const bool takes_value = o->get_expected_max() != 0;
  std::string label;
  auto add = [&](const std::string& n) {
    if (!label.empty()) label += ", ";
    label += n + (takes_value ? " value" : "");
  };
  for (const auto& l : o->get_lnames()) add("--" + l);
  for (const auto& s : o->get_snames()) add("-" + s);
  return label;
}

std::vector<Row> option_rows(const CLI::App* app) {
  std::vector<Row> rows;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_positional() || !o->nonpositional()) continue;
    const auto& l = o->get_lnames();
    if (std::find(l.begin(), l.end(), "help") != l.end() || std::find(l.begin(), l.end(), "version") != l.end())
      continue;
    rows.push_back({option_label(o), o->get_description()});
  }
  return rows;
}

std::string positionals(const CLI::App* app) {
  std::string s;
  for (const CLI::Option* o : app->get_options()) {
    if (!o->get_positional()) continue;
    std::string n = "<" + o->get_name(true, false) + ">";
    s += " " + (o->get_required() ? n : "[" + n + "]");
  }
  return s;
}

class RuncHelp final : public CLI::FormatterBase {
 public:
  std::string make_help(const CLI::App* app, std::string prev, CLI::AppFormatMode) const override {
    if (app->get_parent() == nullptr) return top(app, prev);
    std::string out = "NAME:\n   " + prev + " - " + app->get_description() + "\n\n";
    out += "USAGE:\n   " + prev + " [command options]" + positionals(app) + "\n";
    if (!app->get_footer().empty()) out += "\n" + app->get_footer() + "\n";
    std::vector<Row> rows = option_rows(app);
    rows.push_back({"--help, -h", "show help"});
    out += "\nOPTIONS:\n" + table(rows);
    return out;
  }

 private:
  static std::string top(const CLI::App* app, const std::string& prog) {
    std::string out = "NAME:\n   " + prog + " - Open Container Initiative runtime\n\n" + kAbout;
    out += "\nUSAGE:\n   " + prog + " [global options] command [command options] [arguments...]\n";
    std::vector<Row> cmds;
    for (const CLI::App* c : app->get_subcommands([](const CLI::App*) { return true; }))
      cmds.push_back({c->get_name(), c->get_description()});
    std::sort(cmds.begin(), cmds.end(), [](const Row& a, const Row& b) { return a.label < b.label; });
    cmds.push_back({"help, h", "Shows a list of commands or help for one command"});
    out += "\nCOMMANDS:\n" + table(cmds);
    std::vector<Row> rows = option_rows(app);
    rows.push_back({"--help, -h", "show help"});
    rows.push_back({"--version, -v", "print the version"});
    out += "\nGLOBAL OPTIONS:\n" + table(rows);
    return out;
  }
};

}  // namespace

std::shared_ptr<CLI::FormatterBase> runc_style_help() { return std::make_shared<RuncHelp>(); }

}  // namespace berth::cli
