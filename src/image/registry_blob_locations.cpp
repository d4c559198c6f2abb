#include "registry_blob_locations.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "berth/util/error.hpp"

namespace berth::image::detail {

using nlohmann::json;

namespace {

constexpr size_t kPerBlob = 8;        // repositories remembered per blob
constexpr size_t kMaxBlobs = 10000;   // the file stays small: entries beyond are dropped (by key order)

std::string file_of(const Store& s) { return s.root() + "/berth/registry-blob-locations.json"; }

json load(const Store& s) {
  struct stat st{};
  if (::stat(file_of(s).c_str(), &st) != 0) return json::object();
  try {
    json j = json::parse(read_file(file_of(s)), nullptr, false);
    return j.is_object() ? j : json::object();
  } catch (const Error&) {
    return json::object();  // a hint: an unreadable file is an empty one
  }
}

}  // namespace

void remember_blob_locations(const Store& store, const Reference& repo, const std::vector<Descriptor>& blobs) {
  json j = load(store);
  std::string where = repo.domain + "/" + repo.path;
  for (const auto& b : blobs) {
    json list = json::array({where});
    if (j.contains(b.digest) && j[b.digest].is_array()) {
      for (const auto& e : j[b.digest]) {
        if (e.is_string() && e.get<std::string>() != where && list.size() < kPerBlob) list.push_back(e);
      }
    }
    j.erase(b.digest);
    j[b.digest] = list;
  }
  while (j.size() > kMaxBlobs) j.erase(j.begin());
  try {
    write_file_atomic(file_of(store), j.dump());
  } catch (const Error&) {
    // A hint that cannot be saved costs an upload later, nothing else.
  }
}

std::vector<std::string> known_blob_repos(const Store& store, const std::string& domain, const std::string& digest) {
  std::vector<std::string> out;
  json j = load(store);
  if (!j.contains(digest) || !j[digest].is_array()) return out;
  for (const auto& e : j[digest]) {
    if (!e.is_string()) continue;
    std::string s = e.get<std::string>();
    if (s.compare(0, domain.size() + 1, domain + "/") == 0) out.push_back(s.substr(domain.size() + 1));
  }
  return out;
}

}  // namespace berth::image::detail
