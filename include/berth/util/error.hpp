// berth::Error: the one exception type of libberth. It carries a message that
// names what failed and on what, plus the errno that caused it (0 if none), so
// that the program boundary can print "mount proc on /proc: Permission denied".
#pragma once
#include <cerrno>
#include <stdexcept>
#include <string>

namespace berth {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, int err = 0);
  // errno value that caused the failure, 0 if it was not a system call.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Throws Error("<what>: <strerror(errno)>") using the current errno.
[[noreturn]] void throw_errno(const std::string& what);
// Throws Error("<what>: <strerror(err)>").
[[noreturn]] void throw_errno(const std::string& what, int err);

// strerror and strsignal as Go prints them ("no such file or directory", "bad system call"):
// runc's messages carry Go's texts, and engines and runc's tests match those phrases.
std::string go_strerror(int err);
std::string go_strsignal(int sig);

}  // namespace berth
