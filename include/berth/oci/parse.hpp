// JSON <-> model for config.json and process.json, with validation.
// Every error is a berth::Error whose message starts with the document name and
// the JSON path: `config.json: linux.namespaces[2].type: unknown namespace "foo"`.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "berth/oci/spec.hpp"

namespace berth::oci {

// Parses and validates a whole config.json document. `doc` names the source in
// error messages (usually "config.json").
Spec parse_spec(const nlohmann::json& j, const std::string& doc = "config.json");
// Reads the file, parses the JSON (syntax errors name line/byte), then parse_spec.
Spec load_spec(const std::string& path);

// A process.json (berth exec --process); validated like config.json's process.
Process parse_process(const nlohmann::json& j, const std::string& doc = "process.json");

// A LinuxResources object on its own (`berth update -r resources.json`),
// validated like config.json's linux.resources; errors start with `doc`.
Resources parse_resources(const nlohmann::json& j, const std::string& doc);

// A parse warns (log::warn) about what it takes but changes or what has no effect (a deny
// rule's unknown access letter dropped, a nice value beside a real-time policy). A container's
// config read back from its state by every later command was warned about at create: those
// parses run under this guard, which keeps them quiet on this thread while it lives.
class QuietParseWarnings {
 public:
  QuietParseWarnings();
  ~QuietParseWarnings();
  QuietParseWarnings(const QuietParseWarnings&) = delete;
  QuietParseWarnings& operator=(const QuietParseWarnings&) = delete;
};

// Back to JSON (omits empty optional members), for round-trips and `berth spec`.
nlohmann::json to_json(const Spec& s);
nlohmann::json to_json(const Process& p);
nlohmann::json to_json(const Seccomp& s);

// The hooks object alone (a stored config read back for start/delete); errors start with `doc`.
Hooks parse_hooks(const nlohmann::json& j, const std::string& doc);

// Name <-> enum for namespaces: "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time".
const char* namespace_name(NamespaceType t);
// CLONE_NEW* flag for a namespace type.
int namespace_clone_flag(NamespaceType t);
// Name of the /proc/<pid>/ns/<name> entry ("net", "mnt", ...).
const char* namespace_proc_name(NamespaceType t);
// A sysctl of the IPC namespace (runc's list, and fs.mqueue.*).
bool is_ipc_sysctl(std::string_view key);

}  // namespace berth::oci
