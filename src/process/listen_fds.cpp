#include "berth/process/listen_fds.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

namespace berth::process {
namespace {

// A whole decimal number in [min, max], or -1.
long long parse_number(const char* s, long long min, long long max) {
  if (!s || !*s) return -1;
  long long v = 0;
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, v);
  if (ec != std::errc() || p != end || v < min || v > max) return -1;
  return v;
}

bool has_var(const std::vector<std::string>& env, const std::string& name) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
}

}  // namespace

ListenFds listen_fds_from(const char* listen_fds, const char* listen_pid, const char* listen_fdnames, pid_t self) {
  ListenFds l;
  // An fd count beyond INT_MAX - 3 cannot be fds; the caller checks it against RLIMIT_NOFILE.
  long long n = parse_number(listen_fds, 1, INT_MAX - 3);
  if (n < 0) return l;
  if (listen_pid && *listen_pid && parse_number(listen_pid, 1, INT_MAX) != self) return l;
  l.count = static_cast<int>(n);
  if (listen_fdnames) l.names = listen_fdnames;
  return l;
}

std::vector<std::string> with_listen_env(std::vector<std::string> env, const ListenFds& l, pid_t pid_inside) {
  if (l.count <= 0) return env;
  std::erase_if(env, [](const std::string& e) { return e.rfind("LISTEN_PID=", 0) == 0; });
  if (!has_var(env, "LISTEN_FDS")) env.push_back("LISTEN_FDS=" + std::to_string(l.count));
  if (!l.names.empty() && !has_var(env, "LISTEN_FDNAMES")) env.push_back("LISTEN_FDNAMES=" + l.names);
  env.push_back("LISTEN_PID=" + std::to_string(pid_inside));
  return env;
}

}  // namespace berth::process
