// Docker's shell lexer for Dockerfile words: quote removal, escapes and $VAR,
// ${VAR}, ${VAR:-x}, ${VAR:+x}, ${VAR-x}, ${VAR+x}, ${VAR:?msg} expansion. Used by
// every instruction whose arguments the builder itself expands (not RUN's shell form).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::build {

// Looks a variable up; nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// Expands one word: quotes removed, escapes applied, variables substituted.
// Throws berth::Error for an unterminated quote or ${...} and for ${V:?msg} with V unset.
std::string expand_word(std::string_view word, const Lookup& env, char escape = '\\');

// Expands and splits on unquoted whitespace (EXPOSE, VOLUME, COPY sources): a
// variable's value is split too unless quoted, as Docker's ProcessWords does.
std::vector<std::string> expand_words(std::string_view text, const Lookup& env, char escape = '\\');

// Splits on unquoted whitespace keeping quotes and escapes in place (no expansion):
// the first pass of ENV/LABEL/ARG "key=value" parsing.
std::vector<std::string> split_words_raw(std::string_view text, char escape = '\\');

}  // namespace berth::build
