// The Dockerfile grammar: parser directives at the top, comments, continuation lines ending
// in the escape character, one instruction per logical line, leading --flags, and the JSON
// (exec) form where an instruction allows it. Also checks each instruction's shape, so that
// a bad Dockerfile fails before anything is built.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "berth/build/dockerfile.hpp"
#include "berth/util/error.hpp"

namespace berth::build {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Flags each instruction accepts (others are refused with a clear error).
const std::vector<std::string>* allowed_flags(const std::string& kw) {
  static const std::vector<std::string> from{"platform"}, copy{"from", "chown", "chmod", "link"},
      add{"chown", "chmod", "link", "checksum"}, run{"mount", "network", "security"},
      health{"interval", "timeout", "start-period", "start-interval", "retries"}, none{};
  if (kw == "FROM") return &from;
  if (kw == "COPY") return &copy;
  if (kw == "ADD") return &add;
  if (kw == "RUN") return &run;
  if (kw == "HEALTHCHECK") return &health;
  return &none;
}

const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k{"FROM",   "RUN",        "CMD",    "LABEL",      "MAINTAINER", "EXPOSE",
                                       "ENV",    "ADD",        "COPY",   "ENTRYPOINT", "VOLUME",     "USER",
                                       "WORKDIR", "ARG",       "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"};
  return k;
}

// Instructions whose arguments may be a JSON array.
bool json_allowed(const std::string& kw) {
  return kw == "RUN" || kw == "CMD" || kw == "ENTRYPOINT" || kw == "SHELL" || kw == "COPY" || kw == "ADD" ||
         kw == "VOLUME";
}

std::optional<std::vector<std::string>> parse_json_array(const std::string& s) {
  if (s.empty() || s.front() != '[') return std::nullopt;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

struct Line {
  int number;
  std::string text;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& name) {
    df_.name = name;
    size_t pos = 0;
    int n = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines_.push_back({++n, std::string(l)});
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
  }

  Dockerfile run() {
    size_t i = directives();
    while (i < lines_.size()) {
      std::string t = trim(lines_[i].text);
      if (t.empty() || t[0] == '#') {
        ++i;
        continue;
      }
      i = instruction(i);
    }
    check_stages();
    return std::move(df_);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& msg) {
    throw Error(df_.name + ":" + std::to_string(line) + ": " + msg);
  }

  // "# key=value" lines before anything else; the first other line ends them.
  size_t directives() {
    std::set<std::string> seen;
    size_t i = 0;
    for (; i < lines_.size(); ++i) {
      std::string t = trim(lines_[i].text);
      if (t.empty() || t[0] != '#') break;
      std::string body = trim(std::string_view(t).substr(1));
      size_t eq = body.find('=');
      if (eq == std::string::npos) break;
      std::string key = lower(trim(std::string_view(body).substr(0, eq)));
      std::string value = trim(std::string_view(body).substr(eq + 1));
      if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }) ||
          !std::isalpha(static_cast<unsigned char>(key[0]))) {
        break;
      }
      if (key != "escape" && key != "syntax" && key != "check") break;  // unknown: a comment
      if (!seen.insert(key).second) fail(lines_[i].number, "only one " + key + " parser directive can be used");
      if (key == "escape") {
        if (value != "\\" && value != "`") fail(lines_[i].number, "invalid escape token '" + value + "' does not match ` or \\");
        df_.escape = value[0];
      } else if (key == "syntax") {
        df_.warnings.push_back(df_.name + ":" + std::to_string(lines_[i].number) + ": syntax directive ignored (" +
                               value + "): berth-build has its own frontend");
      }
    }
    return i;
  }

  // True when the line continues on the next one (ends with the escape character).
  bool continues(std::string& s) const {
    size_t e = s.size();
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    if (e == 0 || s[e - 1] != df_.escape) return false;
    // An escaped escape character ("\\") at the end is a literal one, not a continuation.
    size_t n = 0;
    while (n < e && s[e - 1 - n] == df_.escape) ++n;
    if (n % 2 == 0) return false;
    s.resize(e - 1);
    return true;
  }

  size_t instruction(size_t i) {
    Instruction ins;
    ins.line = lines_[i].number;
    std::string joined = lines_[i].text;
    bool more = continues(joined);
    ++i;
    while (more && i < lines_.size()) {
      std::string next = lines_[i].text;
      std::string t = trim(next);
      ++i;
      if (!t.empty() && t[0] == '#') continue;  // comment lines inside a continuation are dropped
      if (t.empty()) continue;                  // so are empty ones (Docker warns; accepts)
      more = continues(next);
      joined += next;
    }
    std::string all = trim(joined);
    size_t sp = 0;
    while (sp < all.size() && !std::isspace(static_cast<unsigned char>(all[sp]))) ++sp;
    std::string word = all.substr(0, sp);
    ins.keyword = upper(word);
    ins.text = all;
    if (!known_keywords().count(ins.keyword)) fail(ins.line, "unknown instruction: " + word);
    std::string rest = trim(std::string_view(all).substr(sp));
    parse_flags(ins, rest);
    ins.args = rest;
    if (json_allowed(ins.keyword)) {
      if (auto arr = parse_json_array(rest)) {
        ins.json = true;
        ins.argv = std::move(*arr);
      }
    }
    if (!ins.json && (ins.keyword == "RUN" || ins.keyword == "COPY" || ins.keyword == "ADD")) i = heredocs(ins, i);
    check(ins);
    df_.instructions.push_back(std::move(ins));
    return i;
  }

  // Markers (<<WORD, <<-WORD, <<"WORD", <<'WORD') outside quotes in the arguments; the bodies
  // follow the instruction's last line, in order. RUN: a lone marker makes the body the
  // script; otherwise the shell gets the text with its here-documents, as written.
  size_t heredocs(Instruction& ins, size_t i) {
    const std::string& a = ins.args;
    struct Marker {
      std::string text, name;
      bool strip, quoted;
    };
    std::vector<Marker> ms;
    char q = 0;
    for (size_t k = 0; k + 1 < a.size(); ++k) {
      char c = a[k];
      if (q) {
        if (c == q) q = 0;
        continue;
      }
      if (c == '\'' || c == '"') {
        q = c;
        continue;
      }
      if (c != '<' || a[k + 1] != '<' || (k + 2 < a.size() && a[k + 2] == '<') || (k > 0 && a[k - 1] == '<')) continue;
      size_t j = k + 2;
      Marker m{"", "", false, false};
      if (j < a.size() && a[j] == '-') {
        m.strip = true;
        ++j;
      }
      char mq = 0;
      if (j < a.size() && (a[j] == '"' || a[j] == '\'')) mq = a[j++];
      size_t nb = j;
      while (j < a.size() && (std::isalnum(static_cast<unsigned char>(a[j])) || a[j] == '_')) ++j;
      if (j == nb) continue;  // "<<" without a word: not a here-document
      m.name = a.substr(nb, j - nb);
      if (mq) {
        if (j >= a.size() || a[j] != mq) continue;
        ++j;
        m.quoted = true;
      }
      m.text = a.substr(k, j - k);
      ms.push_back(m);
      k = j - 1;
    }
    if (ms.empty()) return i;
    std::string raw;  // the bodies and terminators as written (for the shell)
    for (const auto& m : ms) {
      Heredoc h{m.name, "", m.quoted};
      bool closed = false;
      while (i < lines_.size()) {
        std::string l = lines_[i++].text;
        raw += l + "\n";
        std::string t = l;
        if (m.strip) t.erase(0, t.find_first_not_of('\t') == std::string::npos ? t.size() : t.find_first_not_of('\t'));
        if (t == m.name) {
          closed = true;
          break;
        }
        h.content += t + "\n";
      }
      if (!closed) fail(ins.line, ins.keyword + ": unterminated here-document " + m.text + " (no line \"" + m.name + "\")");
      ins.heredocs.push_back(std::move(h));
    }
    if (ins.keyword == "RUN") {
      ins.args = (ms.size() == 1 && trim(a) == ms[0].text) ? ins.heredocs[0].content : a + "\n" + raw;
    }
    return i;
  }

  void parse_flags(Instruction& ins, std::string& rest) {
    const auto* allowed = allowed_flags(ins.keyword);
    while (rest.rfind("--", 0) == 0) {
      size_t e = 0;
      while (e < rest.size() && !std::isspace(static_cast<unsigned char>(rest[e]))) ++e;
      std::string f = rest.substr(2, e - 2);
      if (f.empty()) break;  // "--" alone: an argument, not a flag
      Flag flag;
      size_t eq = f.find('=');
      flag.name = f.substr(0, eq);
      if (eq != std::string::npos) flag.value = f.substr(eq + 1);
      if (std::find(allowed->begin(), allowed->end(), flag.name) == allowed->end()) {
        fail(ins.line, ins.keyword + ": unknown flag: --" + flag.name);
      }
      for (const auto& g : ins.flags) {
        if (g.name == flag.name && flag.name != "mount") fail(ins.line, ins.keyword + ": duplicate flag: --" + flag.name);
      }
      ins.flags.push_back(std::move(flag));
      rest = trim(std::string_view(rest).substr(e));
    }
  }

  void need(const Instruction& ins, bool ok, const std::string& msg) {
    if (!ok) fail(ins.line, ins.keyword + ": " + msg);
  }

  void check(const Instruction& ins) {
    const auto& k = ins.keyword;
    bool empty = ins.args.empty();
    if (k != "HEALTHCHECK" && k != "ONBUILD") {
      need(ins, !empty, "requires at least one argument");
    }
    if (k == "FROM") {
      auto w = split_ws(ins.args);
      need(ins, w.size() == 1 || (w.size() == 3 && lower(w[1]) == "as"),
           "requires either one or three arguments (FROM IMAGE [AS NAME])");
      if (w.size() == 3) {
        std::string n = lower(w[2]);
        need(ins, std::all_of(n.begin(), n.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
             }) && std::isalpha(static_cast<unsigned char>(n[0])),
             "invalid stage name \"" + w[2] + "\": must start with a letter and hold only letters, digits, '-', '_', '.'");
      }
    } else if (k == "COPY" || k == "ADD") {
      size_t n = ins.json ? ins.argv.size() : split_ws(ins.args).size();
      need(ins, n >= 1, "requires at least two arguments");
      need(ins, n >= 2, "no source files were specified");
      for (const auto& f : ins.flags) {
        need(ins, (f.value.has_value() && !f.value->empty()) || f.name == "link", "--" + f.name + " requires a value");
        need(ins, f.name != "checksum", "--checksum verifies URL sources, which berth-build does not fetch");
      }
    } else if (k == "SHELL") {
      need(ins, ins.json, "requires the arguments to be in JSON form");
      need(ins, !ins.argv.empty(), "requires at least one argument");
    } else if (k == "RUN" || k == "CMD" || k == "ENTRYPOINT") {
      if (k == "RUN") {
        for (const auto& f : ins.flags) {
          if (f.name == "mount") need(ins, f.value && !f.value->empty(), "--mount requires a value");
          if (f.name == "security") need(ins, false, "--security is not supported");
          if (f.name == "network") {
            need(ins, f.value && (*f.value == "none" || *f.value == "host" || *f.value == "default"),
                 "--network must be none, host or default");
          }
        }
      }
    } else if (k == "HEALTHCHECK") {
      need(ins, !empty, "requires at least one argument");
      auto w = split_ws(ins.args);
      std::string first = upper(w[0]);
      if (first == "NONE") {
        need(ins, w.size() == 1, "NONE takes no arguments");
        need(ins, ins.flags.empty(), "options are not allowed with NONE");
      } else {
        need(ins, first == "CMD", "the first argument must be CMD or NONE, not \"" + w[0] + "\"");
        need(ins, w.size() >= 2, "CMD requires a command");
      }
    } else if (k == "ONBUILD") {
      need(ins, !empty, "requires at least one argument");
      std::string t = upper(split_ws(ins.args)[0]);
      need(ins, t != "ONBUILD", "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      need(ins, t != "FROM" && t != "MAINTAINER", t + " isn't allowed as an ONBUILD trigger");
      need(ins, known_keywords().count(t) > 0, "unknown instruction: " + t);
    } else if (k == "STOPSIGNAL" || k == "WORKDIR" || k == "USER" || k == "MAINTAINER") {
      // one word (USER may be user:group); WORKDIR and MAINTAINER take the whole rest
      if (k == "STOPSIGNAL") need(ins, split_ws(ins.args).size() == 1, "requires exactly one argument");
    }
  }

  static std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }

  void check_stages() {
    if (df_.instructions.empty()) throw Error(df_.name + ": file with no instructions");
    for (const auto& ins : df_.instructions) {
      if (ins.keyword == "FROM") return;
      if (ins.keyword != "ARG") fail(ins.line, ins.keyword + ": no build stage in current context (only ARG may come before the first FROM)");
    }
    throw Error(df_.name + ": no FROM instruction");
  }

  std::vector<Line> lines_;
  Dockerfile df_;
};

}  // namespace

const Flag* Instruction::flag(std::string_view n) const {
  for (const auto& f : flags) {
    if (f.name == n) return &f;
  }
  return nullptr;
}

Dockerfile parse_dockerfile(std::string_view text, const std::string& name) { return Parser(text, name).run(); }

void fail_at(const Dockerfile& df, const Instruction& ins, const std::string& msg) {
  throw Error(df.name + ":" + std::to_string(ins.line) + ": " + ins.keyword + ": " + msg);
}

}  // namespace berth::build
