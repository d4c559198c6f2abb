// Pull: registries.conf's sources in order, the manifest (a list resolved to linux/amd64),
// then the config and layers in parallel (a curl multi), each verified before the store adopts
// it, the manifest last.
#include "berth/image/registry.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "berth/image/digest.hpp"
#include "berth/image/registries_conf.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "registry_blob_locations.hpp"
#include "registry_client.hpp"
#include "registry_progress.hpp"

namespace berth::image {

using nlohmann::json;
using detail::Body;
using detail::Client;
using detail::http_error;
using detail::Response;
using detail::Sink;

namespace {

constexpr const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

// Fetches a manifest by tag or digest; verifies it when asked by digest.
std::pair<std::string, std::string> get_manifest(Client& c, const std::string& ref, const std::string& what) {
  Response r = c.request("GET", c.repo_url("manifests/" + ref), {kAcceptManifests}, nullptr, {}, what);
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

// A temporary directory under the store, removed with this object.
struct TempDir {
  std::string path;
  explicit TempDir(const Store& s) : path(s.make_temp_dir("fetch")) {}
  ~TempDir() {
    try {
      remove_tree(path);
    } catch (const Error&) {
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// One blob being downloaded into a temporary of its own.
struct Job {
  Descriptor d;
  std::unique_ptr<TempDir> dir;
  UniqueFd fd;
  std::unique_ptr<Sha256> hash;
  Sink sink;
  std::unique_ptr<detail::Transfer> t;
  int bar = -1;
  std::string what;
};

// Removes the handles still in the multi before it is cleaned up (an error mid-way).
struct Multi {
  CURLM* m = curl_multi_init();
  std::vector<CURL*> active;
  ~Multi() {
    for (CURL* e : active) curl_multi_remove_handle(m, e);
    curl_multi_cleanup(m);
  }
  void add(CURL* e) {
    curl_multi_add_handle(m, e);
    active.push_back(e);
  }
  void remove(CURL* e) {
    curl_multi_remove_handle(m, e);
    active.erase(std::find(active.begin(), active.end(), e));
  }
};

void open_job(const Store& store, Job& j) {
  j.dir = std::make_unique<TempDir>(store);
  std::string tmp = j.dir->path + "/blob";
  j.fd = UniqueFd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!j.fd) throw_errno("create " + tmp);
  j.hash = std::make_unique<Sha256>();
  j.sink = Sink{};
  j.sink.fd = j.fd.get();
  j.sink.hash = j.hash.get();
  j.sink.limit = j.d.size;
}

// Size and digest checked, then the store adopts the blob.
void finish_job(Store& store, Job& j) {
  if (j.sink.got != j.d.size) {
    throw Error(j.what + ": got " + std::to_string(j.sink.got) + " bytes, the manifest says " + std::to_string(j.d.size));
  }
  std::string got = j.hash->digest();
  if (got != j.d.digest) throw Error(j.what + ": content is " + got + ": corrupt, refused");
  std::string tmp = j.dir->path + "/blob";
  if (::fsync(j.fd.get()) != 0) throw_errno("fsync " + tmp);
  store.adopt_blob(tmp, j.d.digest);
}

// The blob again through the one-request path, which answers an auth challenge (a token
// that expired, or a registry asking only at the blob).
void fetch_serial(Store& store, Client& c, Job& j) {
  open_job(store, j);
  Response r = c.request("GET", c.repo_url("blobs/" + j.d.digest), {}, &j.sink, {}, j.what);
  if (r.status != 200) throw Error(j.what + ": " + http_error(r));
  finish_job(store, j);
}

// Downloads the blobs the store lacks, PARALLEL at a time.
void fetch_blobs(Store& store, Client& c, const std::vector<Descriptor>& all, const RegistryOptions& opts, const std::string& what) {
  std::deque<Job> jobs;
  for (const auto& d : all) {
    if (store.has_blob(d.digest)) continue;
    bool dup = false;
    for (const auto& j : jobs) dup = dup || j.d.digest == d.digest;
    if (dup) continue;
    jobs.emplace_back();
    jobs.back().d = d;
    jobs.back().what = what + ": blob " + d.digest;
  }
  if (jobs.empty()) return;
  detail::ProgressDisplay pd(opts.progress, opts.progress_out);
  std::string base = c.repo_url("blobs/");
  Multi multi;
  if (!multi.m) throw Error(what + ": curl_multi_init failed");
  size_t next = 0, running = 0, finished = 0;
  int parallel = opts.parallel > 0 ? opts.parallel : 1;
  auto start = [&](Job& j) {
    open_job(store, j);
    j.t = c.prepare("GET", base + j.d.digest, {}, &j.sink, {});
    j.bar = pd.add(j.d.digest.substr(0, 19), j.d.size, "downloading");
    multi.add(j.t->curl.get());
    ++running;
  };
  while (finished < jobs.size()) {
    while (running < static_cast<size_t>(parallel) && next < jobs.size()) start(jobs[next++]);
    int still = 0;
    CURLMcode mc = curl_multi_perform(multi.m, &still);
    if (mc != CURLM_OK) throw Error(what + ": " + curl_multi_strerror(mc));
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.m, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Job* j = nullptr;
      for (size_t i = 0; i < next; ++i) {
        if (jobs[i].t && jobs[i].t->curl.get() == msg->easy_handle) j = &jobs[i];
      }
      if (!j) continue;
      CURLcode rc = msg->data.result;
      multi.remove(j->t->curl.get());
      --running;
      ++finished;
      c.check(*j->t, rc, j->what);
      long status = j->t->response.status;
      if (status == 401) {
        fetch_serial(store, c, *j);
      } else if (status != 200) {
        throw Error(j->what + ": " + http_error(j->t->response));
      } else {
        finish_job(store, *j);
      }
      pd.done(j->bar, "done");
      j->t.reset();
      j->dir.reset();
      j->fd = UniqueFd();
    }
    for (size_t i = 0; i < next; ++i) {
      if (jobs[i].t) pd.update(jobs[i].bar, jobs[i].sink.got);
    }
    pd.tick();
    if (finished < jobs.size() && still > 0) {
      mc = curl_multi_poll(multi.m, nullptr, 0, 100, nullptr);
      if (mc != CURLM_OK) throw Error(what + ": " + curl_multi_strerror(mc));
    }
  }
}

Image pull_from(Store& store, const PullSource& src, const RegistryOptions& opts) {
  Client c(src.ref, opts, src.insecure, false);
  std::string what = "pull " + src.ref.str();
  auto [body, mt] = get_manifest(c, src.ref.manifest_ref(), what);
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
  std::vector<Descriptor> blobs{Descriptor::from_json(m["config"], what + ": manifest config")};
  for (const auto& l : m["layers"]) blobs.push_back(Descriptor::from_json(l, what + ": manifest layers[]"));
  fetch_blobs(store, c, blobs, opts, what);
  // The manifest goes in last: the store never names an image whose blobs are missing.
  Descriptor md = store.put_blob(body, mt);
  Image img = store.load(md);
  store.tag(src.name.familiar(), md);
  detail::remember_blob_locations(store, src.ref, blobs);
  return img;
}

}  // namespace

bool is_registry_ref(const std::string& s) { return s.rfind("docker://", 0) == 0; }

Image registry_pull(Store& store, const Reference& ref, const RegistryOptions& opts) {
  RegistriesConf conf = load_registries_conf(opts.registries_conf);
  std::vector<PullSource> sources = pull_sources(conf, ref);
  if (sources.size() == 1) return pull_from(store, sources[0], opts);
  std::string errors;
  for (const auto& s : sources) {
    try {
      return pull_from(store, s, opts);
    } catch (const Error& e) {
      errors += std::string("\n  ") + (s.mirror ? "mirror " : "") + s.ref.str() + ": " + e.what();
    }
  }
  throw Error("pull " + ref.str() + ": no source had it:" + errors);
}

void registry_login_check(const std::string& registry, const RegistryOptions& opts) {
  RegistriesConf conf = load_registries_conf(opts.registries_conf);
  Reference r;
  r.domain = registry.substr(0, registry.find('/'));
  r.path = registry.find('/') == std::string::npos ? "" : registry.substr(registry.find('/') + 1);
  const RegistryConf* rc = conf.find(r);
  if (rc && rc->blocked) throw Error("login " + registry + ": blocked by registries.conf");
  Client c(r, opts, rc && rc->insecure, false);
  c.ping("login " + registry);
}

}  // namespace berth::image
