#include "berth/util/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "berth/util/error.hpp"

namespace berth::log {
namespace {

struct Sink {
  int fd = STDERR_FILENO;
  bool file = false;
  Format format = Format::Text;
  bool debug = false;
};
Sink g_sink;

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
  }
  return "error";
}

std::string now_rfc3339() {
  char buf[96];
  std::time_t t = std::time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  // snprintf, not strftime: glibc's strftime reads /etc/localtime (tzset) on every call.
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

void init(const Options& opts) {
  g_sink.format = opts.format;
  g_sink.debug = opts.debug;
  if (g_sink.file) ::close(g_sink.fd);  // a second init (tests) replaces the sink
  g_sink.fd = STDERR_FILENO;
  g_sink.file = false;
  if (opts.path.empty()) return;
  // O_CLOEXEC: the log fd must never reach the container process.
  int fd = ::open(opts.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open log file " + opts.path);
  g_sink.fd = fd;  // lives for the whole process; closed by exit/exec (CLOEXEC)
  g_sink.file = true;
}

bool to_file() { return g_sink.file; }

int file_fd() { return g_sink.file ? g_sink.fd : -1; }

std::string quote_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string format_entry(Format f, Level level, const std::string& msg, const std::string& time) {
  if (f == Format::Json) {
    nlohmann::json j = {{"level", level_name(level)}, {"msg", msg}, {"time", time}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "time=\"" + time + "\" level=" + level_name(level) + " msg=" + quote_text(msg);
}

std::string prepare(Level level, const std::string& msg) {
  if (level == Level::Debug && !g_sink.debug) return {};
  return format_entry(g_sink.format, level, msg, now_rfc3339()) + "\n";
}

void write_prepared(const std::string& line) {
  if (line.empty()) return;
  // One write(2) per entry so concurrent writers (shim + runtime) do not interleave.
  ssize_t r = ::write(g_sink.fd, line.data(), line.size());
  (void)r;
}

void write(Level level, const std::string& msg) { write_prepared(prepare(level, msg)); }

}  // namespace berth::log
