#include "berth/util/signals.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "berth/util/error.hpp"

namespace berth {
namespace {
struct Sig {
  std::string_view name;
  int num;
};
constexpr Sig kSignals[] = {
    {"SIGABRT", SIGABRT}, {"SIGALRM", SIGALRM}, {"SIGBUS", SIGBUS},     {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},  {"SIGCONT", SIGCONT}, {"SIGFPE", SIGFPE},     {"SIGHUP", SIGHUP},
    {"SIGILL", SIGILL},   {"SIGINT", SIGINT},   {"SIGIO", SIGIO},       {"SIGIOT", SIGIOT},
    {"SIGKILL", SIGKILL}, {"SIGPIPE", SIGPIPE}, {"SIGPOLL", SIGPOLL},   {"SIGPROF", SIGPROF},
    {"SIGPWR", SIGPWR},   {"SIGQUIT", SIGQUIT}, {"SIGSEGV", SIGSEGV},   {"SIGSTKFLT", SIGSTKFLT},
    {"SIGSTOP", SIGSTOP}, {"SIGSYS", SIGSYS},   {"SIGTERM", SIGTERM},   {"SIGTRAP", SIGTRAP},
    {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU},   {"SIGURG", SIGURG},
    {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGVTALRM", SIGVTALRM}, {"SIGWINCH", SIGWINCH},
    {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
};
}  // namespace

int parse_signal(const std::string& s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    long n = std::strtol(s.c_str(), nullptr, 10);
    if (n <= 0 || n > SIGRTMAX) throw Error("unknown signal \"" + s + "\"");
    return static_cast<int>(n);
  }
  std::string up = s;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (up.rfind("SIG", 0) != 0) up = "SIG" + up;
  for (const auto& sig : kSignals)
    if (sig.name == up) return sig.num;
  // SIGRTMIN+n / SIGRTMAX-n
  struct Rt {
    const char* prefix;
    int base, dir;
  };
  const Rt rts[] = {{"SIGRTMIN", SIGRTMIN, 1}, {"SIGRTMAX", SIGRTMAX, -1}};
  for (const auto& [prefix, base, dir] : rts) {
    std::string p = prefix;
    if (up.rfind(p, 0) != 0) continue;
    std::string rest = up.substr(p.size());
    int off = 0;
    if (!rest.empty()) {
      if ((dir > 0 && rest[0] != '+') || (dir < 0 && rest[0] != '-') || rest.size() < 2) break;
      off = std::atoi(rest.c_str() + 1);
    }
    int n = base + dir * off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw Error("unknown signal \"" + s + "\"");
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.num == sig) return std::string(s.name);
  return std::to_string(sig);
}

}  // namespace berth
