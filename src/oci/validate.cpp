// Rules that relate different parts of config.json. They mirror runc's
// libcontainer/configs/validate where runc has a rule, so a config accepted or
// refused by runc is accepted or refused by berth, and all of them run before
// anything is created.
#include <array>
#include <string_view>

#include "berth/oci/parse.hpp"
#include "parse_internal.hpp"

namespace berth::oci::detail {

namespace {

void check_user_namespace(const Spec& s, const Cursor& linux_c) {
  const Namespace* user = s.find_namespace(NamespaceType::User);
  const Linux& l = *s.linux;
  if (user == nullptr) {
    if (!l.uidMappings.empty() || !l.gidMappings.empty()) {
      const char* key = l.uidMappings.empty() ? "gidMappings" : "uidMappings";
      linux_c[key].fail("user namespace mappings specified, but user namespace isn't enabled in the config");
    }
    return;
  }
  // Joining an existing user namespace brings its mappings along; a new one
  // without mappings gets crun's default maps at create (linux/userns_maps.hpp:
  // default_id_map), where runc refuses it.
}

void check_uts(const Spec& s, const Cursor& root) {
  if (s.has_namespace(NamespaceType::Uts)) return;
  if (!s.hostname.empty()) root["hostname"].fail("unable to set hostname without a private UTS namespace");
  if (!s.domainname.empty()) root["domainname"].fail("unable to set domainname without a private UTS namespace");
}

// Offsets are written to /proc/<pid>/timens_offsets before the first process
// enters the new namespace: impossible for a namespace joined by path.
void check_time_offsets(const Spec& s, const Cursor& linux_c) {
  if (s.linux->timeOffsets.empty()) return;
  const Namespace* time_ns = s.find_namespace(NamespaceType::Time);
  if (time_ns == nullptr)
    linux_c["timeOffsets"].fail("time namespace offsets specified, but time namespace isn't enabled in the config");
  if (!time_ns->path.empty())
    linux_c["timeOffsets"].fail("time namespace offsets cannot be set when joining an existing time namespace");
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A sysctl is only settable when it belongs to a namespace the container owns;
// anything else would change the host. Whether a namespace joined by path is
// berth's own is a runtime question: linux_::check_joined_namespaces.
void check_sysctl(const Spec& s, const Cursor& sysctl_c) {
  for (const auto& [key, value] : s.linux->sysctl) {
    const Cursor c = sysctl_c[key];
    if (oci::is_ipc_sysctl(key)) {
      if (!s.has_namespace(NamespaceType::Ipc)) c.fail("sysctl is not allowed in the host's ipc namespace");
      continue;
    }
    if (starts_with(key, "net.")) {
      if (!s.has_namespace(NamespaceType::Network)) c.fail("sysctl is not allowed in the host's network namespace");
      continue;
    }
    if (s.has_namespace(NamespaceType::Uts)) {
      if (key == "kernel.domainname") continue;
      if (key == "kernel.hostname") c.fail("sysctl conflicts with the OCI \"hostname\" field");
    }
    c.fail("sysctl is not in a separate kernel namespace");
  }
}

}  // namespace

void validate_cross_references(const Spec& s, const Cursor& root) {
  check_uts(s, root);
  if (!s.linux) return;
  const Cursor linux_c = root["linux"];
  check_user_namespace(s, linux_c);
  check_time_offsets(s, linux_c);
  if (!s.linux->sysctl.empty()) check_sysctl(s, linux_c["sysctl"]);
  // Moving an interface into the host's own namespace would move nothing (runc's words).
  if (!s.linux->netDevices.empty() && !s.has_namespace(NamespaceType::Network))
    linux_c["netDevices"].fail("unable to move network devices without a NET namespace");
}

}  // namespace berth::oci::detail

namespace berth::oci {

bool is_ipc_sysctl(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kIpc = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                                           "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                                           "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (auto k : kIpc)
    if (key == k) return true;
  return key.substr(0, 10) == "fs.mqueue.";
}

}  // namespace berth::oci
