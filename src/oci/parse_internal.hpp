// Internal to src/oci: the pieces of config.json parsing shared across files.
// Each parse_* reads one JSON object at `c`, validates what can be validated
// locally, and fails through the cursor (so errors carry the JSON path).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "berth/oci/spec.hpp"
#include "cursor.hpp"

namespace berth::oci::detail {

Process parse_process_object(const Cursor& c);
Linux parse_linux(const Cursor& c);
Resources parse_resources(const Cursor& c);
std::vector<IdMapping> parse_id_mappings(const Cursor& c);

// A CPU or node list ("0-3,7", `what` = "CPU" or "node"); the numbers it names
// are added to `numbers` when given.
std::string parse_number_list(const Cursor& c, const char* what, std::vector<unsigned long>* numbers);

// log::warn unless a QuietParseWarnings guard is alive on this thread.
void warn(const std::string& message);

// Fails unless the string at `c` is an absolute path; returns it.
std::string absolute_path(const Cursor& c);

// Checks that need more than one part of the document (user namespace vs id
// mappings, hostname vs UTS namespace, sysctl vs namespaces, ...).
void validate_cross_references(const Spec& s, const Cursor& root);

}  // namespace berth::oci::detail
