#include "berth/linux/caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "berth/util/error.hpp"

namespace berth::linux_ {

int cap_number(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) < 0) throw Error("unknown capability \"" + name + "\"");
  return v;
}

int cap_last_cap() {
  // libcap probes the kernel's bounding set size once, when it is loaded (in
  // berth's parent, before the init is cloned): no /proc read in the init.
  static int last = [] {
    int bits = static_cast<int>(::cap_max_bits());
    return bits > 0 ? bits - 1 : CAP_LAST_CAP;
  }();
  return last;
}

std::vector<std::string> known_cap_names() {
  std::vector<std::string> out;
  for (int c = 0; c <= cap_last_cap(); ++c) {
    char* n = cap_to_name(c);
    if (!n) continue;
    std::string s = n;
    cap_free(n);
    if (s.rfind("cap_", 0) != 0) continue;  // numeric name: unknown to libcap
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::toupper(ch); });
    out.push_back(s);
  }
  return out;
}

namespace {
// Names the kernel does not know (newer than it) are skipped, as runc does.
std::vector<cap_value_t> to_values(const std::vector<std::string>& names) {
  std::vector<cap_value_t> v;
  for (const auto& n : names) {
    int c = cap_number(n);
    if (c <= cap_last_cap()) v.push_back(c);
  }
  return v;
}

bool contains(const std::vector<cap_value_t>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}
}  // namespace

void apply_bounding(const oci::Capabilities& caps) {
  auto keep = to_values(caps.bounding);
  for (int c = 0; c <= cap_last_cap(); ++c) {
    if (contains(keep, c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      throw_errno("drop capability " + std::to_string(c) + " from the bounding set");
  }
}

void apply_caps(const oci::Capabilities& caps) {
  std::unique_ptr<_cap_struct, int (*)(void*)> st(cap_init(), cap_free);
  if (!st) throw_errno("cap_init");
  auto set = [&](const std::vector<std::string>& names, cap_flag_t flag) {
    auto v = to_values(names);
    if (!v.empty() && cap_set_flag(st.get(), flag, static_cast<int>(v.size()), v.data(), CAP_SET) < 0)
      throw_errno("cap_set_flag");
  };
  set(caps.effective, CAP_EFFECTIVE);
  set(caps.permitted, CAP_PERMITTED);
  set(caps.inheritable, CAP_INHERITABLE);
  if (cap_set_proc(st.get()) < 0) throw_errno("set process capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    throw_errno("clear ambient capabilities");
  for (cap_value_t c : to_values(caps.ambient)) {
    // The kernel refuses ambient caps that are not permitted+inheritable; runc ignores that too.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
      throw_errno("raise ambient capability " + std::to_string(c));
  }
}

}  // namespace berth::linux_
