// CVE-2019-5736: the commands that put a process into a container run from a
// sealed copy of berth, never from the binary on disk (linux/exe_seal.hpp). The
// re-exec happens in a constructor that runs before berth's other static
// initializers (CLI11's, libstdc++'s streams): the process that is replaced
// does as little as possible.
#include <cstdio>
#include <string_view>

#include "berth/linux/exe_seal.hpp"
#include "cli.hpp"

namespace berth::cli {

// The command word: the first argument that is not a global flag or a global
// option's value. Global options that take a value, in both `--x v` and `--x=v` form.
std::string_view command_name(int argc, char** argv) {
  static constexpr std::string_view kValued[] = {"--root",    "--log",      "--log-format",
                                                  "--criu",    "--rootless", "--cgroup-manager"};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view();
    if (a.empty() || a[0] != '-') return a;
    for (auto v : kValued)
      if (a == v) {
        ++i;
        break;
      }
  }
  return {};
}

namespace {

__attribute__((constructor(101))) void reexec_sealed_early(int argc, char** argv, char** /*envp*/) {
  const std::string_view cmd = command_name(argc, argv);
  if (cmd != "create" && cmd != "run" && cmd != "exec") return;
  try {
    linux_::reexec_sealed(argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth: %s\n", e.what());
    std::_Exit(1);
  }
}

}  // namespace
}  // namespace berth::cli
