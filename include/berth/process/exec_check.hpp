// Finds the container's executable the way execvp would (in the container's
// PATH) and explains why it cannot be executed, before `create` succeeds:
// which file, and why (missing, missing interpreter or ELF loader, CRLF
// shebang, not executable). Users get a message instead of runc's famous
// "no such file or directory".
#pragma once
#include <string>
#include <vector>

namespace berth::process {

struct ExecTarget {
  std::string path;   // resolved path to execve
  std::string error;  // empty if it looks executable
  int status = 0;     // 127 not found, 126 found but not executable
};

// `arg0` from process.args; `env` is process.env (PATH is taken from it).
ExecTarget find_executable(const std::string& arg0, const std::vector<std::string>& env);

// runc's rules: a variable given more than once is set once, to its last value
// (where it first appeared), and an unset or empty HOME is the user's home from
// /etc/passwd of the current root ("/" if the user has no entry). Call after pivot_root.
std::vector<std::string> with_home(std::vector<std::string> env, unsigned uid);
// The first half alone (pure).
std::vector<std::string> dedupe_env(const std::vector<std::string>& env);

// Why execve(path) failed with `err`, as a sentence naming the file.
std::string explain_exec_failure(const std::string& path, int err);

}  // namespace berth::process
