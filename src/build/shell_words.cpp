#include "berth/build/shell_words.hpp"

#include <cctype>

#include "berth/util/error.hpp"

namespace berth::build {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// One pass over a word. When `split` is set, unquoted whitespace (also inside an unquoted
// variable's value) separates words; otherwise the whole text is one word.
class Lexer {
 public:
  Lexer(std::string_view s, const Lookup& env, char esc) : s_(s), env_(env), esc_(esc) {}

  std::vector<std::string> run(bool split) {
    std::vector<std::string> words;
    std::string cur;
    bool have = false;  // cur holds a word (possibly empty, e.g. "")
    auto flush = [&] {
      if (have) words.push_back(cur);
      cur.clear();
      have = false;
    };
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (split && std::isspace(static_cast<unsigned char>(c))) {
        flush();
        ++i_;
        continue;
      }
      if (c == '\'') {
        ++i_;
        cur += single_quoted();
        have = true;
      } else if (c == '"') {
        ++i_;
        cur += double_quoted();
        have = true;
      } else if (c == '$') {
        ++i_;
        std::string v = dollar();
        if (!split) {
          cur += v;
          have = have || !v.empty();
          continue;
        }
        // Unquoted expansion is split on whitespace, as a shell would.
        for (char vc : v) {
          if (std::isspace(static_cast<unsigned char>(vc))) {
            flush();
          } else {
            cur += vc;
            have = true;
          }
        }
      } else if (c == esc_) {
        ++i_;
        if (i_ < s_.size()) cur += s_[i_++];  // escape at the very end is dropped
        have = true;
      } else {
        cur += c;
        have = true;
        ++i_;
      }
    }
    if (!split) {
      words.push_back(cur);
      return words;
    }
    flush();
    return words;
  }

 private:
  std::string single_quoted() {
    std::string out;
    while (i_ < s_.size() && s_[i_] != '\'') out += s_[i_++];
    if (i_ >= s_.size()) throw Error("unexpected end of statement while looking for matching single-quote");
    ++i_;
    return out;
  }

  std::string double_quoted() {
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_];
      if (c == '$') {
        ++i_;
        out += dollar();
        continue;
      }
      if (c == esc_ && i_ + 1 < s_.size()) {
        char n = s_[i_ + 1];
        if (n == '"' || n == '$' || n == esc_) {
          out += n;
          i_ += 2;
          continue;
        }
      }
      out += c;
      ++i_;
    }
    if (i_ >= s_.size()) throw Error("unexpected end of statement while looking for matching double-quote");
    ++i_;
    return out;
  }

  std::optional<std::string> get(const std::string& name) { return env_ ? env_(name) : std::nullopt; }

  // After a '$'.
  std::string dollar() {
    if (i_ >= s_.size()) return "$";
    if (s_[i_] != '{') {
      std::string name;
      while (i_ < s_.size() && is_name_char(s_[i_])) name += s_[i_++];
      if (name.empty()) return "$";
      return get(name).value_or("");
    }
    ++i_;  // '{'
    std::string name;
    while (i_ < s_.size() && is_name_char(s_[i_])) name += s_[i_++];
    if (i_ >= s_.size()) throw Error("missing '}' in variable substitution");
    if (name.empty()) throw Error("bad substitution: empty variable name in ${}");
    if (s_[i_] == '}') {
      ++i_;
      return get(name).value_or("");
    }
    bool colon = false;
    if (s_[i_] == ':') {
      colon = true;
      ++i_;
      if (i_ >= s_.size()) throw Error("missing '}' in variable substitution");
    }
    char op = s_[i_];
    if (op != '-' && op != '+' && op != '?') {
      throw Error(std::string("unsupported modifier (") + op + ") in substitution ${" + name + "...}");
    }
    ++i_;
    // The operand is itself a word (may hold quotes and nested variables) up to the '}'.
    std::string operand;
    while (i_ < s_.size() && s_[i_] != '}') {
      char c = s_[i_];
      if (c == '$') {
        ++i_;
        operand += dollar();
      } else if (c == '\'') {
        ++i_;
        operand += single_quoted();
      } else if (c == '"') {
        ++i_;
        operand += double_quoted();
      } else if (c == esc_ && i_ + 1 < s_.size()) {
        operand += s_[i_ + 1];
        i_ += 2;
      } else {
        operand += c;
        ++i_;
      }
    }
    if (i_ >= s_.size()) throw Error("missing '}' in variable substitution");
    ++i_;
    auto v = get(name);
    bool set = v.has_value() && (!colon || !v->empty());
    switch (op) {
      case '-':
        return set ? *v : operand;
      case '+':
        return set ? operand : "";
      default:  // '?'
        if (!set) throw Error(name + ": " + (operand.empty() ? "is not allowed to be empty" : operand));
        return *v;
    }
  }

  std::string_view s_;
  const Lookup& env_;
  char esc_;
  size_t i_ = 0;
};

}  // namespace

std::string expand_word(std::string_view word, const Lookup& env, char escape) {
  return Lexer(word, env, escape).run(false).front();
}

std::vector<std::string> expand_words(std::string_view text, const Lookup& env, char escape) {
  return Lexer(text, env, escape).run(true);
}

std::vector<std::string> split_words_raw(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string cur;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
      continue;
    }
    if (c == escape && quote != '\'' && i + 1 < text.size()) {
      cur += c;
      cur += text[++i];
      continue;
    }
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (quote == c) {
      quote = 0;
    }
    cur += c;
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

}  // namespace berth::build
