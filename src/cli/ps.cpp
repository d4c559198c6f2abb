#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "berth/container/container.hpp"
#include "berth/util/error.hpp"
#include "cli.hpp"

namespace berth::cli {
namespace {

std::string run_ps(const std::vector<std::string>& args) {
  std::string cmd = "ps";
  for (const auto& a : args) {
    std::string q = "'";
    for (char c : a) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    cmd += " " + q + "'";
  }
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) throw_errno("run ps");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = ::pclose(f);
  if (st != 0) throw Error("ps " + (args.empty() ? std::string() : args[0]) + ": exit status " + std::to_string(WEXITSTATUS(st)));
  return out;
}

}  // namespace

void add_ps(CLI::App& app, Globals& g, Action& act) {
  auto* cmd = app.add_subcommand("ps", "list the processes running inside a container");
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto psargs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("container-id", *id, "container id")->required();
  // runc's `ps ID [ps options]`: what follows the id goes to ps unparsed, dashes included
  // (`berth ps ID -e -x`), in its order.
  cmd->prefix_command();
  cmd->fallthrough(false);
  cmd->footer("Everything after <container-id> is passed to ps(1) (default: -ef).");
  cmd->callback([&g, &act, cmd, id, format, psargs] {
    *psargs = cmd->remaining();
    act = [&g, id, format, psargs] {
      auto pids = container::pids(g.root, *id);
      if (*format == "json") {
        std::cout << nlohmann::json(pids).dump() << "\n";
        return 0;
      }
      std::vector<std::string> args = psargs->empty() ? std::vector<std::string>{"-ef"} : *psargs;
      std::istringstream out(run_ps(args));
      std::string header;
      std::getline(out, header);
      std::istringstream hs(header);
      std::string col;
      int pid_col = -1, i = 0;
      while (hs >> col) {
        if (col == "PID") pid_col = i;
        ++i;
      }
      if (pid_col < 0) throw Error("ps output has no PID column");
      std::cout << header << "\n";
      std::string line;
      while (std::getline(out, line)) {
        std::istringstream ls(line);
        std::string f;
        for (int k = 0; k <= pid_col && ls >> f; ++k) {}
        pid_t p = static_cast<pid_t>(std::atoi(f.c_str()));
        if (std::find(pids.begin(), pids.end(), p) != pids.end()) std::cout << line << "\n";
      }
      return 0;
    };
  });
}

}  // namespace berth::cli
