#include "registry_client.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "berth/image/store.hpp"
#include "berth/util/error.hpp"

namespace berth::image::detail {

using nlohmann::json;

namespace {

constexpr int64_t kMaxErrorBody = 64 << 10;

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// The scheme each loopback/insecure registry answered with, so that one process probes once.
std::map<std::string, std::string>& scheme_cache() {
  static std::map<std::string, std::string> m;
  return m;
}

size_t on_body(char* p, size_t, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  long code = 0;
  curl_easy_getinfo(t->curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code >= 300) {
    // An error's body (a registry's JSON errors) is kept for the message, never stored as a blob.
    size_t room = static_cast<size_t>(std::max<int64_t>(0, kMaxErrorBody - static_cast<int64_t>(t->response.body.size())));
    t->response.body.append(p, std::min(room, n));
    return n;
  }
  Sink* s = t->sink;
  if (s->got + static_cast<int64_t>(n) > s->limit) {
    s->over = true;
    return 0;  // aborts the transfer
  }
  s->got += static_cast<int64_t>(n);
  if (s->fd >= 0) {
    size_t off = 0;
    while (off < n) {
      ssize_t w = ::write(s->fd, p + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        s->write_error = std::strerror(errno);
        return 0;
      }
      off += static_cast<size_t>(w);
    }
    s->hash->update(p, n);
  } else if (s->text) {
    s->text->append(p, n);
  }
  return n;
}

size_t on_header(char* p, size_t, size_t n, void* ud) {
  auto* r = static_cast<Response*>(ud);
  std::string line(p, n);
  if (line.rfind("HTTP/", 0) == 0) r->headers.clear();  // a new response (after a redirect)
  size_t c = line.find(':');
  if (c != std::string::npos) {
    std::string k = line.substr(0, c);
    for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string v = line.substr(c + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    r->headers[k] = v;
  }
  return n;
}

size_t on_read(char* p, size_t sz, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  int64_t left = t->body.len - t->body_pos;
  size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(sz * n)));
  if (want == 0) return 0;
  ssize_t r;
  do {
    r = ::pread(t->body.fd, p, want, t->body.offset + t->body_pos);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return CURL_READFUNC_ABORT;  // the file shrank or failed: never send short data
  t->body_pos += r;
  return static_cast<size_t>(r);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(const std::string& s, const char* suf) {
  size_t n = std::strlen(suf);
  return s.size() > n && s.compare(s.size() - n, n, suf) == 0;
}

bool is_dir(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// "repository:x:pull" and "repository:x:pull,push" -> one "repository:x:pull,push": one
// scope per resource, its actions united, in first-seen order.
std::vector<std::string> merge_scopes(const std::vector<std::string>& in) {
  std::vector<std::pair<std::string, std::vector<std::string>>> res;
  for (const auto& s : in) {
    size_t c = s.rfind(':');
    std::string resource = c == std::string::npos ? s : s.substr(0, c);
    std::string actions = c == std::string::npos ? "" : s.substr(c + 1);
    auto it = std::find_if(res.begin(), res.end(), [&](const auto& r) { return r.first == resource; });
    if (it == res.end()) {
      res.push_back({resource, {}});
      it = res.end() - 1;
    }
    size_t b = 0;
    while (b <= actions.size() && !actions.empty()) {
      size_t e = actions.find(',', b);
      if (e == std::string::npos) e = actions.size();
      std::string a = actions.substr(b, e - b);
      if (!a.empty() && std::find(it->second.begin(), it->second.end(), a) == it->second.end()) it->second.push_back(a);
      b = e + 1;
    }
  }
  std::vector<std::string> out;
  for (const auto& [resource, actions] : res) {
    std::string s = resource;
    for (size_t i = 0; i < actions.size(); ++i) s += (i ? "," : ":") + actions[i];
    out.push_back(s);
  }
  return out;
}

}  // namespace

bool is_loopback(const std::string& domain) {
  std::string host = domain;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

std::string url_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      o += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      o += b;
    }
  }
  return o;
}

std::string http_error(const Response& r) {
  json j = json::parse(r.body, nullptr, false);
  std::string msg = "HTTP " + std::to_string(r.status);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object()) {
    const json& e = j["errors"][0];
    std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string m = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    msg += " " + code + ": " + m;
  }
  return msg;
}

Client::Client(const Reference& ref, const RegistryOptions& opts, bool insecure, bool push)
    : ref_(ref), opts_(opts), insecure_(insecure || opts.insecure), push_(push) {
  static CurlGlobal g;
  // Docker Hub's API lives at registry-1.docker.io.
  host_ = ref.domain == kDefaultRegistry ? std::string("registry-1.docker.io") : ref.domain;
  // The registry's own CAs (and client certificate), as containers' certs.d/HOST[:PORT]/.
  std::string dir = ca_bundle_dir();
  if (!dir.empty()) {
    for (const auto& n : list_dir(dir)) {
      std::string p = dir + "/" + n;
      if (ends_with(n, ".crt")) {
        ca_blob_ += read_file(p);
        ca_blob_ += "\n";
      } else if (ends_with(n, ".cert")) {
        std::string key = p.substr(0, p.size() - 5) + ".key";
        if (::access(key.c_str(), R_OK) != 0) throw Error("client certificate " + p + ": no " + key + " beside it");
        client_cert_ = p;
        client_key_ = key;
      }
    }
  }
}

std::string Client::ca_bundle_dir() const {
  if (!opts_.cert_dir.empty()) {
    if (!is_dir(opts_.cert_dir)) throw Error("--cert-dir " + opts_.cert_dir + ": not a directory");
    return opts_.cert_dir;
  }
  std::vector<std::string> roots;
  if (!opts_.certs_d.empty()) {
    if (!is_dir(opts_.certs_d)) throw Error("--certs-d " + opts_.certs_d + ": not a directory");
    roots = {opts_.certs_d};
  } else {
    roots = {"/etc/containers/certs.d", "/etc/docker/certs.d"};
  }
  for (const auto& r : roots) {
    if (is_dir(r + "/" + ref_.domain)) return r + "/" + ref_.domain;
  }
  return "";
}

std::string Client::origin() {
  decide_scheme("registry " + ref_.domain);
  return scheme_ + "://" + host_;
}

std::string Client::repo_url(const std::string& tail) { return origin() + "/v2/" + ref_.path + "/" + tail; }

// HTTPS always for a remote registry. A loopback or insecure one is asked over HTTPS first and
// reached over plain HTTP only when a plain-HTTP server answers (as docker for insecure
// registries): a TLS registry on 127.0.0.1 keeps its certificate checked.
void Client::decide_scheme(const std::string& what) {
  if (!scheme_.empty()) return;
  if (!insecure_ && !is_loopback(ref_.domain)) {
    scheme_ = "https";
    return;
  }
  std::string key = ref_.domain + (insecure_ ? " insecure" : "");
  if (auto it = scheme_cache().find(key); it != scheme_cache().end()) {
    scheme_ = it->second;
    return;
  }
  auto t = prepare("GET", "https://" + host_ + "/v2/", {}, nullptr, {});
  CURLcode rc = curl_easy_perform(t->curl.get());
  // A plain-HTTP server answering the TLS hello; or, for a host without a port, nothing on
  // 443 (the plain registry is on 80).
  bool no_port = ref_.domain.find(':', ref_.domain.find(']') == std::string::npos ? 0 : ref_.domain.find(']')) == std::string::npos;
  if (rc == CURLE_SSL_CONNECT_ERROR || (rc == CURLE_COULDNT_CONNECT && no_port)) {
    scheme_ = "http";
  } else {
    scheme_ = "https";
    check(*t, rc, what);
  }
  scheme_cache()[key] = scheme_;
}

std::unique_ptr<Transfer> Client::prepare(const std::string& method, const std::string& url, std::vector<std::string> headers,
                                          Sink* sink, Body body) {
  auto t = std::make_unique<Transfer>();
  t->curl = CurlPtr(curl_easy_init(), curl_easy_cleanup);
  if (!t->curl) throw Error(method + " " + url + ": curl_easy_init failed");
  CURL* c = t->curl.get();
  t->url = url;
  t->text_sink.text = &t->response.body;
  t->sink = sink ? sink : &t->text_sink;
  t->body = body;
  curl_easy_setopt(c, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "berth-build");
  if (insecure_) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!ca_blob_.empty()) {
    // Added to the system CAs (CURLOPT_CAINFO stays the default bundle).
    curl_blob b{ca_blob_.data(), ca_blob_.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
  }
  if (!client_cert_.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, client_cert_.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, client_key_.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t->response);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    if (body.fd >= 0) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, t.get());
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.len));
    } else {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (!authorization_.empty()) headers.push_back("Authorization: " + authorization_);
  headers.push_back("Expect:");
  curl_slist* hl = nullptr;
  for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
  t->headers = SlistPtr(hl, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  return t;
}

void Client::check(Transfer& t, CURLcode rc, const std::string& what) {
  if (t.sink->over) throw Error(what + ": more data than the " + std::to_string(t.sink->limit) + " bytes expected");
  if (!t.sink->write_error.empty()) throw Error(what + ": write to the store: " + t.sink->write_error);
  if (rc != CURLE_OK) {
    std::string why = t.errbuf[0] ? t.errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      throw Error(what + ": " + t.url + ": the TLS certificate of " + ref_.domain + " is not trusted (" + why +
                  "): give its CA with --cert-dir DIR (DIR/ca.crt) or --certs-d DIR (DIR/" + ref_.domain +
                  "/ca.crt), or mark the registry insecure");
    }
    throw Error(what + ": " + t.url + ": " + why);
  }
  curl_easy_getinfo(t.curl.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
}

Response Client::perform(const std::string& method, const std::string& url, const std::vector<std::string>& headers, Sink* sink,
                         Body body, const std::string& what) {
  auto t = prepare(method, url, headers, sink, body);
  CURLcode rc = curl_easy_perform(t->curl.get());
  check(*t, rc, what);
  return std::move(t->response);
}

Response Client::request(const std::string& method, const std::string& url, const std::vector<std::string>& headers, Sink* sink,
                         Body body, const std::string& what) {
  Response r = perform(method, url, headers, sink, body, what);
  if (r.status == 401) {
    authenticate(r, what);
    r = perform(method, url, headers, sink, body, what);
    // Accepted: a later 401 to the same challenge (a token that expired) may be answered again.
    if (r.status != 401) tried_.clear();
  }
  if (r.status == 401) {
    if (!creds_) throw Error(what + ": " + ref_.domain + " needs credentials (berth-build login " + ref_.domain + ", or --creds)");
    throw Error(what + ": " + ref_.domain + " refused the credentials (401 Unauthorized)");
  }
  return r;
}

void Client::ping(const std::string& what) {
  Response r = request("GET", origin() + "/v2/", {}, nullptr, {}, what);
  if (r.status != 200) throw Error(what + ": " + origin() + "/v2/: " + http_error(r));
}

void Client::authenticate(const Response& r, const std::string& what) {
  auto it = r.headers.find("www-authenticate");
  if (it == r.headers.end()) throw Error(what + ": 401 Unauthorized without a WWW-Authenticate challenge");
  AuthChallenge ch = parse_auth_challenge(it->second);
  if (!creds_looked_up_) {
    creds_looked_up_ = true;
    if (!opts_.username.empty()) {
      creds_ = Credentials{opts_.username, opts_.password};
    } else {
      creds_ = find_credentials(opts_.auth_file, ref_.domain, ref_.path);
    }
  }
  std::string key = ch.scheme + " " + ch.params["realm"] + " " + ch.params["service"] + " " + ch.params["scope"];
  if (!tried_.insert(key).second) {
    if (!creds_) throw Error(what + ": " + ref_.domain + " needs credentials (berth-build login " + ref_.domain + ", or --creds)");
    throw Error(what + ": " + ref_.domain + " refused the credentials (401 Unauthorized)");
  }
  std::string basic = creds_ ? "Basic " + base64_encode(creds_->username + ":" + creds_->password) : "";
  if (ch.scheme == "basic") {
    if (basic.empty()) throw Error(what + ": " + ref_.domain + " wants a user name and password (basic auth): berth-build login " + ref_.domain + ", or --creds");
    authorization_ = basic;
    return;
  }
  if (ch.scheme != "bearer") throw Error(what + ": unsupported authentication scheme \"" + ch.scheme + "\"");
  std::string realm = ch.params["realm"];
  bool plain_ok = realm.rfind("http://", 0) == 0 && (insecure_ || is_loopback(realm.substr(7, realm.find('/', 7) - 7)));
  if (realm.rfind("https://", 0) != 0 && !plain_ok) {
    throw Error(what + ": token realm \"" + realm + "\" is not an https URL (plain http only on loopback or for an insecure registry)");
  }
  // The scopes: the challenge's, this repository's, and any extra one (a mount's source).
  std::vector<std::string> wanted = split_ws(ch.params["scope"]);
  if (!ref_.path.empty()) wanted.push_back("repository:" + ref_.path + (push_ ? ":pull,push" : ":pull"));
  wanted.insert(wanted.end(), extra_scopes_.begin(), extra_scopes_.end());
  std::vector<std::string> scopes = merge_scopes(wanted);
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (ch.params.count("service")) {
    url += sep + std::string("service=") + url_escape(ch.params["service"]);
    sep = '&';
  }
  for (const auto& s : scopes) {
    url += sep + std::string("scope=") + url_escape(s);
    sep = '&';
  }
  std::string saved = authorization_;
  authorization_ = basic;  // the token endpoint takes the credentials; anonymous without
  Response tr;
  try {
    tr = perform("GET", url, {}, nullptr, {}, what + ": token");
  } catch (...) {
    authorization_ = saved;
    throw;
  }
  authorization_ = saved;
  if (tr.status == 401 || tr.status == 403) {
    throw Error(what + ": token from " + realm + ": " + (basic.empty() ? "anonymous access refused (give credentials: berth-build login)" : "the credentials were refused") +
                " (HTTP " + std::to_string(tr.status) + ")");
  }
  if (tr.status != 200) throw Error(what + ": token from " + realm + ": HTTP " + std::to_string(tr.status));
  json t = json::parse(tr.body, nullptr, false);
  std::string tok;
  if (t.is_object()) {
    for (const char* k : {"token", "access_token"}) {
      if (t.contains(k) && t[k].is_string() && !t[k].get<std::string>().empty()) {
        tok = t[k].get<std::string>();
        break;
      }
    }
  }
  if (tok.empty()) throw Error(what + ": token from " + realm + ": no token in the answer");
  if (tok.find_first_of("\r\n") != std::string::npos) throw Error(what + ": token from " + realm + ": a token with a line break");
  authorization_ = "Bearer " + tok;
}

}  // namespace berth::image::detail
