// A distribution API v2 client (libcurl): pull into the store with every blob verified by
// digest and size before it enters it (layers fetched in parallel, with progress), push from
// the store (HEAD, cross-repository mount, monolithic or chunked upload, then the manifest, as
// OCI or docker media types). Auth: anonymous, bearer tokens (the WWW-Authenticate
// realm/service/scope flow) and basic, credentials from --creds or the auth files
// (auth_file.hpp). HTTPS with the system CAs plus certs.d (HOST[:PORT]/*.crt); plain HTTP only
// for localhost/127.0.0.1/::1 or a registry marked insecure. Mirrors, insecure and blocked
// registries from registries.conf (registries_conf.hpp).
#pragma once
#include <cstdio>
#include <map>
#include <string>

#include "berth/image/reference.hpp"
#include "berth/image/store.hpp"

namespace berth::image {

enum class Progress { Auto, Plain, Tty, Quiet };

struct RegistryOptions {
  bool insecure = false;  // allow plain HTTP / unverified TLS for every registry of this command
  std::string username, password;  // --creds: for every registry of this command
  std::string registries_conf;     // --registries-conf; empty: $CONTAINERS_REGISTRIES_CONF, then the defaults
  std::string auth_file;           // --authfile; empty: $REGISTRY_AUTH_FILE, then the defaults
  std::string cert_dir;            // --cert-dir: *.crt CAs (and *.cert/*.key client pair) for the registry
  std::string certs_d;             // --certs-d: DIR/HOST[:PORT]/ like /etc/containers/certs.d (the default, with /etc/docker/certs.d)
  Progress progress = Progress::Auto;
  std::FILE* progress_out = stderr;
  int parallel = 3;          // layers downloaded at once
  int64_t chunk_size = 0;    // push: PATCH chunks of this many bytes; 0: monolithic up to kChunkThreshold
  std::string format;        // push: "" (as stored, docker types if the registry refuses OCI), "oci" or "docker"
};

// Blobs above this size are pushed in chunks even without --chunk-size.
inline constexpr int64_t kChunkThreshold = 256LL << 20;
inline constexpr int64_t kDefaultChunk = 64LL << 20;

// A parsed WWW-Authenticate challenge: `Bearer realm="...",service="...",scope="..."`.
struct AuthChallenge {
  std::string scheme;  // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;
};
// Throws berth::Error for a header that is not a challenge.
AuthChallenge parse_auth_challenge(const std::string& header);

// True for docker://REF.
bool is_registry_ref(const std::string& s);

// Pulls REF through registries.conf: its mirrors in order, then its location.
Image registry_pull(Store& store, const Reference& ref, const RegistryOptions& opts);
void registry_push(const Store& store, const Image& img, const Reference& dest, const RegistryOptions& opts);

// Proves credentials against REGISTRY (host[:port]): GET /v2/, answering its challenge.
void registry_login_check(const std::string& registry, const RegistryOptions& opts);

}  // namespace berth::image
