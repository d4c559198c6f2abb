// Archive transports, named as skopeo names them: "oci:DIR[:REF]" (an OCI image layout
// directory), "oci-archive:PATH[:REF]" (that layout as a tar) and "docker-archive:PATH[:REF]"
// (`docker save` format). pull imports into the store, push exports from it.
#pragma once
#include <string>

#include "berth/image/store.hpp"

namespace berth::image {

bool is_transport_ref(const std::string& ref);

struct TransportRef {
  std::string transport;  // "oci", "oci-archive", "docker-archive"
  std::string path;
  std::string ref;        // the name inside (may be empty)
};
TransportRef parse_transport_ref(const std::string& s);

// Imports the image (verifying every blob) and tags it `tag` when not empty. Returns it.
Image pull(Store& store, const std::string& source, const std::string& tag);

// Exports `img` to dest; ref_name is the name recorded inside (index.json ref name /
// RepoTags), may be empty.
void push(const Store& store, const Image& img, const std::string& dest, const std::string& ref_name);

}  // namespace berth::image
