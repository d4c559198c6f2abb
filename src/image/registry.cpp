#include "berth/image/registry.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "berth/image/digest.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

using nlohmann::json;

namespace {

constexpr const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
constexpr int64_t kMaxManifest = 4 << 20;  // manifests and tokens are small: a bigger one is hostile

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

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
  int64_t limit = kMaxManifest;
  int64_t got = 0;
  bool over = false;
  std::string write_error;
};

size_t on_body(char* p, size_t, size_t n, void* ud) {
  auto* s = static_cast<Sink*>(ud);
  if (s->got + static_cast<int64_t>(n) > s->limit) {
    s->over = true;
    return 0;  // aborts the transfer
  }
  s->got += static_cast<int64_t>(n);
  if (s->fd >= 0) {
    if (::write(s->fd, p, n) != static_cast<ssize_t>(n)) {
      s->write_error = std::strerror(errno);
      return 0;
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

struct Upload {
  int fd = -1;
};
size_t on_read(char* p, size_t sz, size_t n, void* ud) {
  ssize_t r = ::read(static_cast<Upload*>(ud)->fd, p, sz * n);
  return r < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(r);
}

bool is_local(const std::string& domain) {
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

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    o += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    o += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    o += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return o;
}

// One registry and repository; keeps the Authorization that worked.
class Client {
 public:
  Client(const Reference& ref, const RegistryOptions& opts, bool push) : ref_(ref), opts_(opts), push_(push) {
    static CurlGlobal g;
    if (!opts.insecure && !is_local(ref.domain)) {
      base_ = "https://";
    } else {
      base_ = "http://";
    }
    // Docker Hub's API lives at registry-1.docker.io.
    base_ += (ref.domain == kDefaultRegistry ? std::string("registry-1.docker.io") : ref.domain) + "/v2/";
  }

  std::string repo_url(const std::string& tail) const { return base_ + ref_.path + "/" + tail; }

  // Sends a request, answering an auth challenge once. `what` names it in errors.
  Response request(const std::string& method, const std::string& url, const std::vector<std::string>& headers, Sink* sink,
                   int upload_fd, int64_t upload_size, const std::string& what) {
    Response r = perform(method, url, headers, sink, upload_fd, upload_size, what);
    if (r.status == 401 && authorization_.empty()) {
      authenticate(r, what);
      if (upload_fd >= 0 && ::lseek(upload_fd, 0, SEEK_SET) < 0) throw_errno(what + ": rewind");
      if (sink && sink->fd >= 0) throw Error(what + ": unexpected authentication challenge mid-download");
      if (sink && sink->text) sink->text->clear();
      r = perform(method, url, headers, sink, upload_fd, upload_size, what);
    }
    if (r.status == 401) throw Error(what + ": " + ref_.domain + " refused the credentials (401 Unauthorized)");
    return r;
  }

  const Reference& ref() const { return ref_; }

 private:
  Response perform(const std::string& method, const std::string& url, std::vector<std::string> headers, Sink* sink, int upload_fd,
                   int64_t upload_size, const std::string& what) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) throw Error(what + ": curl_easy_init failed");
    Response r;
    std::string body;
    Sink text_sink;
    text_sink.text = &r.body;
    if (!sink) sink = &text_sink;
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging.
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "berth-build");
    if (opts_.insecure) {
      curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r);
    Upload up{upload_fd};
    if (method == "HEAD") {
      curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
    } else if (method == "PUT" || method == "POST") {
      if (upload_fd >= 0) {
        curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c.get(), CURLOPT_READDATA, &up);
        curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload_size));
        curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
      } else {
        curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, 0L);
        if (method != "POST") curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
      }
    }
    if (!authorization_.empty()) headers.push_back("Authorization: " + authorization_);
    headers.push_back("Expect:");
    curl_slist* hl = nullptr;
    for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hl_owner(hl, curl_slist_free_all);
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c.get());
    if (sink->over) throw Error(what + ": more data than the " + std::to_string(sink->limit) + " bytes expected");
    if (!sink->write_error.empty()) throw Error(what + ": write to the store: " + sink->write_error);
    if (rc != CURLE_OK) throw Error(what + ": " + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }

  void authenticate(const Response& r, const std::string& what) {
    auto it = r.headers.find("www-authenticate");
    if (it == r.headers.end()) throw Error(what + ": 401 Unauthorized without a WWW-Authenticate challenge");
    AuthChallenge ch = parse_auth_challenge(it->second);
    std::string basic = opts_.username.empty() ? "" : "Basic " + base64(opts_.username + ":" + opts_.password);
    if (ch.scheme == "basic") {
      if (basic.empty()) throw Error(what + ": " + ref_.domain + " wants a user name and password (basic auth)");
      authorization_ = basic;
      return;
    }
    if (ch.scheme != "bearer") throw Error(what + ": unsupported authentication scheme \"" + ch.scheme + "\"");
    std::string realm = ch.params["realm"];
    if (realm.rfind("https://", 0) != 0 && !(realm.rfind("http://", 0) == 0 && (opts_.insecure || is_local(ref_.domain)))) {
      throw Error(what + ": token realm \"" + realm + "\" is not an https URL");
    }
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    if (ch.params.count("service")) url += "service=" + url_escape(ch.params["service"]) + "&";
    std::string scope = ch.params.count("scope") ? ch.params["scope"] : "repository:" + ref_.path + (push_ ? ":pull,push" : ":pull");
    url += "scope=" + url_escape(scope);
    std::string saved = authorization_;
    authorization_ = basic;  // the token endpoint takes the credentials
    Response tr = perform("GET", url, {}, nullptr, -1, 0, what + ": token");
    authorization_ = saved;
    if (tr.status != 200) throw Error(what + ": token from " + realm + ": HTTP " + std::to_string(tr.status));
    json t = json::parse(tr.body, nullptr, false);
    std::string tok = t.is_object() ? t.value("token", t.value("access_token", "")) : "";
    if (tok.empty()) throw Error(what + ": token from " + realm + ": no token in the answer");
    authorization_ = "Bearer " + tok;
  }

  Reference ref_;
  RegistryOptions opts_;
  bool push_;
  std::string base_;
  std::string authorization_;
};

std::string http_error(const Response& r) {
  json j = json::parse(r.body, nullptr, false);
  std::string msg = "HTTP " + std::to_string(r.status);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object()) {
    msg += " " + j["errors"][0].value("code", "") + ": " + j["errors"][0].value("message", "");
  }
  return msg;
}

// Fetches a manifest by tag or digest; verifies it when asked by digest.
std::pair<std::string, std::string> get_manifest(Client& c, const std::string& ref, const std::string& what) {
  Response r = c.request("GET", c.repo_url("manifests/" + ref), {kAcceptManifests}, nullptr, -1, 0, what);
  if (r.status == 404) throw Error(what + ": manifest unknown (" + http_error(r) + ")");
  if (r.status != 200) throw Error(what + ": " + http_error(r));
  if (valid_digest(ref) && sha256_digest(r.body) != ref) {
    throw Error(what + ": manifest content is " + sha256_digest(r.body) + ", not the " + ref + " asked for");
  }
  std::string mt = r.headers.count("content-type") ? r.headers["content-type"] : "";
  json m = json::parse(r.body, nullptr, false);
  if (m.is_object() && m.contains("mediaType") && m["mediaType"].is_string()) mt = m["mediaType"].get<std::string>();
  return {r.body, mt};
}

// Downloads a blob into a temporary under the store, checks size and digest, then adopts it.
void fetch_blob(Store& store, Client& c, const Descriptor& d, const std::string& what) {
  if (store.has_blob(d.digest)) return;
  std::string dir = store.make_temp_dir("fetch");
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      try {
        remove_tree(dir);
      } catch (const Error&) {
      }
    }
  } cleanup{dir};
  std::string tmp = dir + "/blob";
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) throw_errno("create " + tmp);
  Sha256 h;
  Sink s;
  s.fd = out.get();
  s.hash = &h;
  s.limit = d.size;
  std::string bwhat = what + ": blob " + d.digest;
  Response r = c.request("GET", c.repo_url("blobs/" + d.digest), {}, &s, -1, 0, bwhat);
  if (r.status != 200) throw Error(bwhat + ": " + http_error(r));
  if (s.got != d.size) throw Error(bwhat + ": got " + std::to_string(s.got) + " bytes, the manifest says " + std::to_string(d.size));
  std::string got = h.digest();
  if (got != d.digest) throw Error(bwhat + ": content is " + got + ": corrupt, refused");
  if (::fsync(out.get()) != 0) throw_errno("fsync " + tmp);
  store.adopt_blob(tmp, d.digest);
}

}  // namespace

bool is_registry_ref(const std::string& s) { return s.rfind("docker://", 0) == 0; }

Image registry_pull(Store& store, const Reference& ref, const RegistryOptions& opts) {
  Client c(ref, opts, false);
  std::string what = "pull " + ref.str();
  auto [body, mt] = get_manifest(c, ref.manifest_ref(), what);
  json m = json::parse(body, nullptr, false);
  if (!m.is_object()) throw Error(what + ": manifest is not a JSON object");
  if (mt == kMediaIndex || mt == kDockerManifestList || (m.contains("manifests") && !m.contains("layers"))) {
    const json* pick = nullptr;
    if (m.contains("manifests") && m["manifests"].is_array()) {
      for (const auto& e : m["manifests"]) {
        if (!e.is_object()) continue;
        auto p = e.value("platform", json::object());
        if (p.is_object() && p.value("os", "") == "linux" && p.value("architecture", "") == "amd64") {
          pick = &e;
          break;
        }
      }
    }
    if (!pick) throw Error(what + ": the manifest list has no linux/amd64 image");
    Descriptor d = Descriptor::from_json(*pick, what + ": manifest list entry");
    std::tie(body, mt) = get_manifest(c, d.digest, what);
    m = json::parse(body, nullptr, false);
    if (!m.is_object()) throw Error(what + ": manifest " + d.digest + " is not a JSON object");
  }
  if (mt != kMediaManifest && mt != kDockerManifest) throw Error(what + ": unsupported manifest type \"" + mt + "\"");
  if (!m.contains("config") || !m.contains("layers") || !m["layers"].is_array()) throw Error(what + ": manifest has no config or layers");
  Descriptor cd = Descriptor::from_json(m["config"], what + ": manifest config");
  std::vector<Descriptor> layers;
  for (const auto& l : m["layers"]) layers.push_back(Descriptor::from_json(l, what + ": manifest layers[]"));
  fetch_blob(store, c, cd, what);
  for (const auto& l : layers) fetch_blob(store, c, l, what);
  // The manifest goes in last: the store never names an image whose blobs are missing.
  Descriptor md = store.put_blob(body, mt);
  Image img = store.load(md);
  store.tag(ref.familiar(), md);
  return img;
}

void registry_push(const Store& store, const Image& img, const Reference& dest, const RegistryOptions& opts) {
  Client c(dest, opts, true);
  std::string what = "push " + dest.str();
  std::vector<Descriptor> blobs{img.config_desc};
  for (const auto& l : img.layers) blobs.push_back(l.blob);
  for (const auto& b : blobs) {
    std::string bwhat = what + ": blob " + b.digest;
    Response h = c.request("HEAD", c.repo_url("blobs/" + b.digest), {}, nullptr, -1, 0, bwhat);
    if (h.status == 200) continue;
    if (h.status != 404) throw Error(bwhat + ": HEAD: HTTP " + std::to_string(h.status));
    Response p = c.request("POST", c.repo_url("blobs/uploads/"), {}, nullptr, -1, 0, bwhat);
    if (p.status != 202 || !p.headers.count("location")) throw Error(bwhat + ": start upload: " + http_error(p));
    std::string loc = p.headers["location"];
    if (loc.rfind("http://", 0) != 0 && loc.rfind("https://", 0) != 0) {
      // A path: relative to the registry's origin.
      std::string origin = c.repo_url("");
      origin = origin.substr(0, origin.find("/v2/"));
      loc = origin + loc;
    }
    loc += (loc.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + url_escape(b.digest);
    UniqueFd in(::open(store.blob_path(b.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw_errno("open " + store.blob_path(b.digest));
    Response u = c.request("PUT", loc, {"Content-Type: application/octet-stream"}, nullptr, in.get(), b.size, bwhat);
    if (u.status != 201) throw Error(bwhat + ": upload: " + http_error(u));
  }
  std::string manifest = store.read_blob(img.manifest_desc.digest);
  std::string mt = img.manifest_desc.media_type.empty() ? kMediaManifest : img.manifest_desc.media_type;
  std::string dir = store.make_temp_dir("push");
  std::string tmp = dir + "/manifest";
  write_file_atomic(tmp, manifest);
  UniqueFd in(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  remove_tree(dir);
  if (!in) throw_errno("open " + tmp);
  Response r = c.request("PUT", c.repo_url("manifests/" + dest.manifest_ref()), {"Content-Type: " + mt}, nullptr, in.get(),
                         static_cast<int64_t>(manifest.size()), what + ": manifest");
  if (r.status != 201) throw Error(what + ": manifest: " + http_error(r));
}

}  // namespace berth::image
