// Which repositories of which registry are known to hold a blob (pulled from or pushed to
// there), so that a push to another repository of the same registry can mount the blob
// instead of uploading it. A hint only: a file in the store, last writer wins.
#pragma once
#include <string>
#include <vector>

#include "berth/image/oci.hpp"
#include "berth/image/reference.hpp"
#include "berth/image/store.hpp"

namespace berth::image::detail {

void remember_blob_locations(const Store& store, const Reference& repo, const std::vector<Descriptor>& blobs);
// Repository paths on DOMAIN known to hold DIGEST, most recent first.
std::vector<std::string> known_blob_repos(const Store& store, const std::string& domain, const std::string& digest);

}  // namespace berth::image::detail
