// The HTTP side of the registry client (libcurl): one registry and repository, the scheme
// (HTTPS with the system CAs plus certs.d; plain HTTP only for loopback or an insecure
// registry, after HTTPS was answered by a plain-HTTP server), and authentication (anonymous,
// basic, bearer tokens with the realm/service/scope flow), kept for the requests that follow.
#pragma once
#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/image/auth_file.hpp"
#include "berth/image/digest.hpp"
#include "berth/image/reference.hpp"
#include "berth/image/registry.hpp"

namespace berth::image::detail {

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Where a response body goes: a string (bounded) or a file, hashed and bounded by size.
struct Sink {
  std::string* text = nullptr;
  int fd = -1;
  Sha256* hash = nullptr;
  int64_t limit = 4 << 20;
  int64_t got = 0;
  bool over = false;
  std::string write_error;
};

// What a request uploads: LEN bytes of FD from OFFSET, or nothing (fd -1).
struct Body {
  int fd = -1;
  int64_t offset = 0;
  int64_t len = 0;
};

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// An easy handle set up for one request, with what it points to kept alive beside it.
struct Transfer {
  CurlPtr curl{nullptr, curl_easy_cleanup};
  SlistPtr headers{nullptr, curl_slist_free_all};
  std::string url;
  Response response;
  Sink* sink = nullptr;
  Sink text_sink;
  Body body;
  int64_t body_pos = 0;
  char errbuf[CURL_ERROR_SIZE] = {};
};

bool is_loopback(const std::string& domain);
std::string url_escape(const std::string& s);
// "HTTP 404 MANIFEST_UNKNOWN: manifest unknown" from a registry's error body.
std::string http_error(const Response& r);

class Client {
 public:
  // INSECURE: this registry may be reached over plain HTTP or with unverified TLS.
  Client(const Reference& ref, const RegistryOptions& opts, bool insecure, bool push);

  const Reference& ref() const { return ref_; }
  // https://host/v2/PATH/TAIL (the scheme decided on the first request)
  std::string repo_url(const std::string& tail);
  std::string origin();  // https://host

  // Sends a request, answering an authentication challenge once. WHAT names it in errors.
  Response request(const std::string& method, const std::string& url, const std::vector<std::string>& headers, Sink* sink,
                   Body body, const std::string& what);

  // A transfer set up (URL, TLS, current authorization) for the caller's curl multi loop.
  std::unique_ptr<Transfer> prepare(const std::string& method, const std::string& url, std::vector<std::string> headers,
                                    Sink* sink, Body body);
  // After a transfer ends: turns curl's code into an error naming WHAT (throws).
  void check(Transfer& t, CURLcode rc, const std::string& what);

  // GET /v2/ and authenticate if asked: what `login` uses to prove the credentials.
  void ping(const std::string& what);

  // Scopes a token must carry beyond this repository's (a cross-repository mount's source).
  void add_scope(const std::string& scope) { extra_scopes_.insert(scope); }

 private:
  Response perform(const std::string& method, const std::string& url, const std::vector<std::string>& headers, Sink* sink,
                   Body body, const std::string& what);
  void decide_scheme(const std::string& what);
  void authenticate(const Response& r, const std::string& what);
  std::string ca_bundle_dir() const;

  Reference ref_;
  RegistryOptions opts_;
  bool insecure_;
  bool push_;
  std::string scheme_;  // "https" or "http" once decided
  std::string host_;    // what the URLs use (registry-1.docker.io for docker.io)
  std::string ca_blob_;  // PEM of the registry's certs.d *.crt, added to the system CAs
  std::string client_cert_, client_key_;
  std::string authorization_;
  std::set<std::string> tried_;  // challenges answered already: a second 401 to one is a refusal
  std::set<std::string> extra_scopes_;
  std::optional<Credentials> creds_;
  bool creds_looked_up_ = false;
};

}  // namespace berth::image::detail
