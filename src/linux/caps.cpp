#include "berth/linux/caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::linux_ {

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
// The number of a capability name that grants something here, if it does.
std::optional<cap_value_t> available(const std::string& name) {
  bool well_formed = name.size() > 4 && name.compare(0, 4, "CAP_") == 0;
  for (size_t i = 4; well_formed && i < name.size(); ++i)
    well_formed = (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_';
  if (!well_formed) return std::nullopt;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) < 0 || v > cap_last_cap()) return std::nullopt;
  return v;
}

// unavailable_caps() lists what is skipped here (warned about by create and exec).
std::vector<cap_value_t> to_values(const std::vector<std::string>& names) {
  std::vector<cap_value_t> v;
  for (const auto& n : names)
    if (auto c = available(n)) v.push_back(*c);
  return v;
}

bool contains(const std::vector<cap_value_t>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}
}  // namespace

std::vector<std::string> unavailable_caps(const oci::Capabilities& caps) {
  std::vector<std::string> out;
  for (const auto* set : {&caps.bounding, &caps.effective, &caps.inheritable, &caps.permitted, &caps.ambient})
    for (const auto& n : *set)
      if (!available(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

void warn_unavailable_caps(const oci::Capabilities& caps) {
  const auto names = unavailable_caps(caps);
  if (names.empty()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : " ") + n;
  log::warn("ignoring unknown or unavailable capabilities: [" + list + "]");
}

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
