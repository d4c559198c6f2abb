// The Dockerfile syntax tree: parser directives, line continuations and comments resolved,
// each instruction with its keyword, first line, flags and arguments (JSON or shell form).
// Expansion of variables happens later, per stage (build/stages.hpp), because its values
// depend on ARG/ENV in effect at that point.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::build {

struct Flag {
  std::string name;                  // without the leading "--"
  std::optional<std::string> value;  // --name=value; nullopt for a bare --name
};

// A here-document of RUN, COPY or ADD (`<<EOF` ... `EOF`, BuildKit's syntax).
struct Heredoc {
  std::string name;     // the delimiter word
  std::string content;  // the lines between, each ending in '\n'
  bool quoted = false;  // <<"EOF" / <<'EOF': no variable expansion in COPY's content
};

struct Instruction {
  std::string keyword;            // upper case: "COPY"
  int line = 0;                   // line of the keyword (1-based)
  std::string text;               // the whole instruction, continuations joined (history)
  std::vector<Flag> flags;        // leading --flags, in order
  std::string args;               // the arguments after the flags, trimmed
  bool json = false;              // exec form: args was a JSON array of strings
  std::vector<std::string> argv;  // JSON form: the array; shell form: empty
  std::vector<Heredoc> heredocs;  // RUN/COPY/ADD shell form; RUN's are also folded into args

  const Flag* flag(std::string_view name) const;
};

struct Dockerfile {
  std::string name = "Dockerfile";  // as shown in errors: "Dockerfile:7: ..."
  char escape = '\\';
  std::vector<Instruction> instructions;
  std::vector<std::string> warnings;
};

// Parses Dockerfile text. Throws berth::Error "NAME:LINE: KEYWORD: why" on a syntax error.
Dockerfile parse_dockerfile(std::string_view text, const std::string& name = "Dockerfile");

// "NAME:LINE: KEYWORD: msg" as an Error, for the stages that check arguments later.
[[noreturn]] void fail_at(const Dockerfile& df, const Instruction& ins, const std::string& msg);

}  // namespace berth::build
