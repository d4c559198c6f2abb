#include "berth/image/oci.hpp"

#include <ctime>

#include "berth/image/digest.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j = {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

Descriptor Descriptor::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": not an object");
  Descriptor d;
  auto str = [&](const char* k, bool required) -> std::string {
    if (!j.contains(k)) {
      if (required) throw Error(where + ": " + k + ": missing");
      return "";
    }
    if (!j[k].is_string()) throw Error(where + ": " + k + ": not a string");
    return j[k].get<std::string>();
  };
  d.media_type = str("mediaType", false);
  d.digest = str("digest", true);
  if (!valid_digest(d.digest)) throw Error(where + ": digest: invalid \"" + d.digest.substr(0, 80) + "\"");
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0) {
    throw Error(where + ": size: missing or not a non-negative integer");
  }
  d.size = j["size"].get<int64_t>();
  if (j.contains("annotations")) {
    if (!j["annotations"].is_object()) throw Error(where + ": annotations: not an object");
    for (const auto& [k, v] : j["annotations"].items()) {
      if (!v.is_string()) throw Error(where + ": annotations." + k + ": not a string");
      d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

std::string normalize_ref(const std::string& ref) {
  if (ref.empty()) throw Error("image name is empty");
  if (ref.size() > 255) throw Error("image name \"" + ref.substr(0, 40) + "...\" is longer than 255 characters");
  for (char c : ref) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '/' || c == ':' || c == '@';
    if (!ok) throw Error("invalid image name \"" + ref + "\": characters allowed are letters, digits, . _ - / : @");
  }
  if (ref.find('@') != std::string::npos) return ref;
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return ref + ":latest";
  if (colon + 1 == ref.size() || colon == 0) throw Error("invalid image name \"" + ref + "\": empty name or tag");
  return ref;
}

std::string rfc3339(int64_t secs) {
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace berth::image
