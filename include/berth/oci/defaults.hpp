// Documents berth writes: `berth spec` (default config.json, as runc's) and
// `berth features`.
#pragma once
#include <nlohmann/json.hpp>

namespace berth::oci {

// runc's default config.json; rootless adapts it the way `runc spec --rootless` does.
nlohmann::json default_spec(bool rootless);
// The runtime-spec features document; states only what berth really supports.
nlohmann::json features();

}  // namespace berth::oci
