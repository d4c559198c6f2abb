#include <regex.h>

#include <memory>

#include "berth/container/container.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "cli.hpp"

namespace berth::cli {
namespace {

// crun's `delete --regex`: every container whose id the POSIX extended regex matches
// (anywhere in the id, as regexec does). Each one is deleted on its own; one that cannot be
// is reported and the others are still deleted, and then the command fails.
int delete_matching(const std::string& root, const std::string& pattern, bool force) {
  regex_t re;
  if (int rc = ::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
    char why[256];
    ::regerror(rc, &re, why, sizeof why);
    throw Error("delete --regex \"" + pattern + "\": " + why);
  }
  std::unique_ptr<regex_t, void (*)(regex_t*)> guard(&re, ::regfree);
  int failed = 0;
  for (const auto& s : container::list(root)) {
    const std::string id = s["id"].get<std::string>();
    if (::regexec(&re, id.c_str(), 0, nullptr, 0) != 0) continue;
    try {
      container::remove(root, id, force);
    } catch (const std::exception& e) {
      log::error(e.what());
      ++failed;
    }
  }
  if (failed) throw Error("delete --regex \"" + pattern + "\": " + std::to_string(failed) + " container(s) not deleted");
  return 0;
}

}  // namespace

void add_delete(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("delete", "delete a stopped container (--force: kill it first)");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto regex = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "container id (with --regex: a regular expression)")->required();
  cmd->add_flag("-f,--force", *force, "kill a running container before deleting it");
  cmd->add_flag("-r,--regex", *regex, "delete every container whose id matches (crun's)");
  cmd->callback([&g, &act, id, force, regex] {
    act = [&g, id, force, regex] {
      if (*regex) return delete_matching(g.root, *id, *force);
      container::remove(g.root, *id, *force);
      return 0;
    };
  });
}

}  // namespace berth::cli
