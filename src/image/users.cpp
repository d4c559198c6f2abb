#include "berth/image/users.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <sstream>

#include "berth/linux/safepath.hpp"
#include "berth/util/error.hpp"

namespace berth::image {
namespace {

std::optional<uint32_t> number(const std::string& s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::vector<std::string>> read_db(int rootfd, const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  berth::UniqueFd fd = linux_::try_open_in_root(rootfd, path, O_RDONLY);
  if (!fd) return rows;
  std::string data;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0 && data.size() < (16u << 20)) data.append(buf, static_cast<size_t>(n));
  std::istringstream in(data);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == ':') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    rows.push_back(f);
  }
  return rows;
}

}  // namespace

ResolvedUser resolve_user(int rootfd, const std::string& spec) {
  ResolvedUser r;
  if (spec.empty()) return r;
  size_t colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto passwd = read_db(rootfd, "/etc/passwd");
  std::string user_name;
  bool found = false;
  if (auto n = number(user)) {
    r.uid = *n;
    for (const auto& row : passwd) {
      if (row.size() >= 4 && number(row[2]) == *n) {
        user_name = row[0];
        if (auto g = number(row[3])) r.gid = *g;
        break;
      }
    }
    found = true;
  } else {
    for (const auto& row : passwd) {
      if (row.size() >= 4 && row[0] == user) {
        auto u = number(row[2]);
        auto g = number(row[3]);
        if (!u || !g) throw Error("user \"" + user + "\": bad entry in /etc/passwd of the image");
        r.uid = *u;
        r.gid = *g;
        user_name = user;
        found = true;
        break;
      }
    }
  }
  if (!found) throw Error("user \"" + user + "\": no such user in /etc/passwd of the image");
  auto groups = read_db(rootfd, "/etc/group");
  if (!group.empty()) {
    if (auto n = number(group)) {
      r.gid = *n;
    } else {
      bool ok = false;
      for (const auto& row : groups) {
        if (row.size() >= 3 && row[0] == group) {
          auto g = number(row[2]);
          if (!g) throw Error("group \"" + group + "\": bad entry in /etc/group of the image");
          r.gid = *g;
          ok = true;
          break;
        }
      }
      if (!ok) throw Error("group \"" + group + "\": no such group in /etc/group of the image");
    }
  } else if (!user_name.empty()) {
    for (const auto& row : groups) {
      if (row.size() < 4) continue;
      std::istringstream members(row[3]);
      std::string m;
      while (std::getline(members, m, ',')) {
        if (m == user_name) {
          if (auto g = number(row[2]); g && *g != r.gid) r.additional_gids.push_back(*g);
        }
      }
    }
  }
  return r;
}

}  // namespace berth::image
