// A distribution API v2 client (libcurl): pull into the store with every blob verified by
// digest and size before it enters it, push from the store (HEAD, monolithic POST+PUT, then
// the manifest). Auth: anonymous, bearer tokens (the WWW-Authenticate realm/service/scope
// flow) and basic. HTTPS with the system CAs; plain HTTP only for localhost/127.0.0.1/::1 or
// a registry marked insecure.
#pragma once
#include <map>
#include <string>

#include "berth/image/reference.hpp"
#include "berth/image/store.hpp"

namespace berth::image {

struct RegistryOptions {
  bool insecure = false;  // allow plain HTTP / unverified TLS for this registry
  std::string username, password;
};

// A parsed WWW-Authenticate challenge: `Bearer realm="...",service="...",scope="..."`.
struct AuthChallenge {
  std::string scheme;  // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;
};
// Throws berth::Error for a header that is not a challenge.
AuthChallenge parse_auth_challenge(const std::string& header);

// True for docker://REF.
bool is_registry_ref(const std::string& s);

Image registry_pull(Store& store, const Reference& ref, const RegistryOptions& opts);
void registry_push(const Store& store, const Image& img, const Reference& dest, const RegistryOptions& opts);

}  // namespace berth::image
