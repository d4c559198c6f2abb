// state.json / creating.json -> Record: pure JSON work, no files or syscalls, so
// that the fuzzer (tests/fuzz/state_json.cpp) can reach it on its own.
#include "berth/container/record.hpp"

#include <limits>
#include <optional>
#include <type_traits>

#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"

namespace berth::container {
namespace {

// An integer member in [lo, hi]. nlohmann's get<> converts a float (1e66) to an
// integer type with undefined behaviour and a large integer by truncation: the
// type and range are checked here first (found by tests/fuzz/state_json).
template <class T>
T integer(const nlohmann::json& j, const char* key, const std::string& doc, std::optional<T> fallback = std::nullopt) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (fallback) return *fallback;
    throw Error(doc + ": " + key + ": missing");
  }
  const T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  bool ok = false;
  if (it->is_number_unsigned()) {
    ok = it->template get<unsigned long long>() <= static_cast<unsigned long long>(hi);
  } else if (it->is_number_integer()) {
    long long v = it->template get<long long>();
    ok = v >= 0 ? static_cast<unsigned long long>(v) <= static_cast<unsigned long long>(hi)
                : std::is_signed_v<T> && v >= static_cast<long long>(lo);
  }
  if (!ok) throw Error(doc + ": " + key + ": not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return it->template get<T>();
}

}  // namespace

Record record_from_partial(const nlohmann::json& p, const std::string& doc) {
  Record r;
  r.partial = true;
  try {
    if (!p.is_object()) throw Error(doc + ": not a JSON object");
    r.pid = integer<int>(p, "pid", doc, 0);
    r.start_time = integer<unsigned long long>(p, "start_time", doc, 0ULL);
    r.bundle = p.value("bundle", "");
    r.rootfs = p.value("rootfs", "");
    r.created = p.value("created", "");
    r.cgroup = p.value("cgroup", nlohmann::json());
    r.rootless = p.value("rootless", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(doc + ": " + e.what());
  }
  return r;
}

Record record_from_state(const nlohmann::json& j, const std::string& doc, RecordSpec what) {
  Record r;
  try {
    if (!j.is_object()) throw Error(doc + ": not a JSON object");
    r.pid = integer<int>(j, "pid", doc);
    r.start_time = integer<unsigned long long>(j, "start_time", doc);
    r.bundle = j.at("bundle").get<std::string>();
    r.rootfs = j.at("rootfs").get<std::string>();
    r.created = j.at("created").get<std::string>();
    r.owner = j.value("owner", "");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    r.cgroup = j.value("cgroup", nlohmann::json());
    r.rootless = j.value("rootless", false);
    const std::string config_doc = doc + ": config";
    const oci::QuietParseWarnings quiet;  // given by create already
    if (what == RecordSpec::Full) {
      r.spec = oci::parse_spec(j.at("config"), config_doc);
    } else if (what == RecordSpec::HooksOnly) {
      const nlohmann::json& config = j.at("config");
      if (!config.is_object()) throw Error(config_doc + ": not a JSON object");
      // What delete gives back to the host (container/host_attach) needs the whole config.
      auto lx = config.find("linux");
      if (lx != config.end() && lx->is_object() && (lx->contains("netDevices") || lx->contains("intelRdt"))) {
        r.spec = oci::parse_spec(config, config_doc);
        return r;
      }
      auto it = config.find("hooks");
      if (it != config.end()) r.spec.hooks = oci::parse_hooks(*it, config_doc + ": hooks");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(doc + ": " + e.what());
  }
  return r;
}

}  // namespace berth::container
