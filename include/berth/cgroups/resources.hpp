// linux.resources -> cgroup files (runc 1.1's choices; see resources.cpp).
#pragma once
#include <map>
#include <string>

#include "berth/oci/spec.hpp"

namespace berth::cgroups {

// v1: `dirs` maps each hierarchy mount point to the container's directory in it.
void apply_v1(const std::map<std::string, std::string>& dirs, const oci::Resources& r);
void apply_v2(const std::string& dir, const oci::Resources& r);

// Warns about settings that are accepted but ignored (kernel memory), with
// runc's wording. Manager::apply calls it; `update` calls it on its input.
void warn_ignored_resources(const oci::Resources& r);

}  // namespace berth::cgroups
