// Logging the way runc does it, because engines parse it: containerd's shim
// reads the last {"level":"error","msg":...} line of the --log file.
//   no --log:   entries go to stderr as logrus text: time="..." level=error msg="..."
//   --log FILE: entries are appended to FILE (text or json); a fatal error is
//               additionally printed plainly on stderr.
#pragma once
#include <string>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

struct Options {
  std::string path;  // empty: stderr
  Format format = Format::Text;
  bool debug = false;
};

// Configures the sink (replacing an earlier one). Throws berth::Error if the file cannot be opened.
void init(const Options& opts);
// True when a --log file is in use (fatal errors then also go to stderr plainly).
bool to_file();
// The --log file's fd, or -1 when logging goes to stderr. The init and the exec child keep
// it open through their fd closing (it is close-on-exec): their log lines must reach the
// file, and a closed number reused by a later open would take log lines into another file.
int file_fd();

void write(Level level, const std::string& msg);
inline void debug(const std::string& m) { write(Level::Debug, m); }
inline void info(const std::string& m) { write(Level::Info, m); }
inline void warn(const std::string& m) { write(Level::Warn, m); }
inline void error(const std::string& m) { write(Level::Error, m); }
// An entry formatted now and written later by write_prepared (one write(2), no allocation):
// for a process that may no longer allocate, e.g. the init under its seccomp filter. Empty
// when the level is not logged.
std::string prepare(Level level, const std::string& msg);
void write_prepared(const std::string& line);

// Formats one entry (no trailing newline); exposed for unit tests.
std::string format_entry(Format f, Level level, const std::string& msg, const std::string& time);
// Quotes a string the way logrus' text formatter does (Go %q subset).
std::string quote_text(const std::string& s);

}  // namespace berth::log
