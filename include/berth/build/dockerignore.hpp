// .dockerignore and the glob matching COPY/ADD sources share: Go's filepath.Match syntax
// (*, ?, [a-z], [^a], \x) on '/'-separated paths, plus "**" for any number of directories.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace berth::build {

// Matches a whole '/'-separated path against a pattern; '*' and '?' never match '/'.
// A malformed pattern (unterminated '[') matches nothing.
bool path_match(std::string_view pattern, std::string_view path);

// True when s holds glob metacharacters.
bool has_glob(std::string_view s);

class DockerIgnore {
 public:
  DockerIgnore() = default;
  // Parses the file's text: one pattern a line, '#' comments, '!' exceptions.
  explicit DockerIgnore(std::string_view text);

  // path: relative to the context root, '/'-separated, no leading "./".
  // A path is excluded when the last pattern matching it or one of its parent
  // directories is not an exception.
  bool excluded(const std::string& path) const;
  // Whether any exception could re-include something below an excluded directory
  // (then the walk must still descend into it).
  bool has_exceptions() const { return has_exceptions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string glob;
    bool exception;
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace berth::build
