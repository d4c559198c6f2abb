// Push: each blob the registry lacks (HEAD) is mounted from another repository of the same
// registry when one is known to hold it, else uploaded (monolithic POST+PUT, or PATCH chunks
// then PUT); then the manifest, in the media types asked for (--format) or, by default, as
// stored, converted to docker's when the registry refuses OCI.
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "berth/image/digest.hpp"
#include "berth/image/registries_conf.hpp"
#include "berth/image/registry.hpp"
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

namespace {

constexpr const char* kDockerForeign = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
constexpr const char* kOciForeign = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

struct PushManifest {
  std::string body;
  std::string media_type;
  std::vector<Descriptor> blobs;  // config first, then the layers
};

std::string layer_type_as(const std::string& mt, bool docker, const std::string& digest) {
  if (docker) {
    if (mt == kMediaLayerGzip || mt == kDockerLayerGzip) return kDockerLayerGzip;
    if (mt == kMediaLayerTar || mt == kDockerLayerTar) return kDockerLayerTar;
    if (mt == kOciForeign || mt == kDockerForeign) return kDockerForeign;
    throw Error("layer " + digest + " is " + mt + ": docker media types have none for it (push --format oci)");
  }
  if (mt == kDockerLayerGzip || mt == kMediaLayerGzip) return kMediaLayerGzip;
  if (mt == kDockerLayerTar || mt == kMediaLayerTar) return kMediaLayerTar;
  if (mt == kDockerForeign) return kOciForeign;
  return mt;  // already an OCI type (zstd, ...)
}

// The image's manifest as FORMAT wants it: "" keeps the stored bytes (and digest).
PushManifest manifest_as(const Store& store, const Image& img, const std::string& format) {
  PushManifest p;
  p.body = store.read_blob(img.manifest_desc.digest);
  p.media_type = img.manifest_desc.media_type.empty() ? kMediaManifest : img.manifest_desc.media_type;
  p.blobs.push_back(img.config_desc);
  for (const auto& l : img.layers) p.blobs.push_back(l.blob);
  bool docker = format == "docker";
  if (format.empty() || p.media_type == (docker ? kDockerManifest : kMediaManifest)) return p;
  json m = json::parse(p.body, nullptr, false);
  if (!m.is_object() || !m.contains("config") || !m.contains("layers") || !m["layers"].is_array()) {
    throw Error("manifest " + img.manifest_desc.digest + ": no config or layers to convert");
  }
  m["mediaType"] = docker ? kDockerManifest : kMediaManifest;
  m["config"]["mediaType"] = docker ? kDockerConfig : kMediaConfig;
  for (auto& l : m["layers"]) l["mediaType"] = layer_type_as(l.value("mediaType", ""), docker, l.value("digest", ""));
  if (docker) {
    // Schema 2 has no annotations, subject or artifactType.
    for (const char* k : {"annotations", "subject", "artifactType"}) m.erase(k);
    m["config"].erase("annotations");
    for (auto& l : m["layers"]) l.erase("annotations");
  }
  p.body = m.dump();
  p.media_type = docker ? kDockerManifest : kMediaManifest;
  return p;
}

std::string absolute(Client& c, const std::string& loc) {
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  return c.origin() + loc;  // a path: relative to the registry's origin
}

std::string with_query(const std::string& url, const std::string& q) { return url + (url.find('?') == std::string::npos ? "?" : "&") + q; }

// Starts an upload session, or mounts the blob from FROM (201: nothing more to do).
Response start_upload(Client& c, const Descriptor& b, const std::string& from, const std::string& what) {
  std::string url = c.repo_url("blobs/uploads/");
  if (!from.empty()) {
    c.add_scope("repository:" + from + ":pull");
    url += "?mount=" + detail::url_escape(b.digest) + "&from=" + detail::url_escape(from);
  }
  Response p = c.request("POST", url, {"Content-Type: application/octet-stream"}, nullptr, {}, what);
  if (p.status == 201 && !from.empty()) return p;
  if (p.status != 202 || !p.headers.count("location")) throw Error(what + ": start upload: " + http_error(p));
  return p;
}

void upload(Client& c, const Descriptor& b, int fd, std::string loc, int64_t chunk, detail::ProgressDisplay& pd, int bar,
            const std::string& what) {
  if (chunk > 0) {
    for (int64_t off = 0; off < b.size; off += chunk) {
      int64_t n = std::min(chunk, b.size - off);
      std::string range = "Content-Range: " + std::to_string(off) + "-" + std::to_string(off + n - 1);
      Response r = c.request("PATCH", absolute(c, loc), {"Content-Type: application/octet-stream", range}, nullptr, Body{fd, off, n}, what);
      if (r.status != 202 || !r.headers.count("location")) throw Error(what + ": chunk at " + std::to_string(off) + ": " + http_error(r));
      loc = r.headers["location"];
      pd.update(bar, off + n);
      pd.tick();
    }
    Response r = c.request("PUT", with_query(absolute(c, loc), "digest=" + detail::url_escape(b.digest)),
                           {"Content-Type: application/octet-stream"}, nullptr, {}, what);
    if (r.status != 201) throw Error(what + ": finish upload: " + http_error(r));
    return;
  }
  Response r = c.request("PUT", with_query(absolute(c, loc), "digest=" + detail::url_escape(b.digest)),
                         {"Content-Type: application/octet-stream"}, nullptr, Body{fd, 0, b.size}, what);
  if (r.status != 201) throw Error(what + ": upload: " + http_error(r));
}

void push_blob(const Store& store, Client& c, const Descriptor& b, const RegistryOptions& opts, detail::ProgressDisplay& pd,
               const std::string& what) {
  std::string bwhat = what + ": blob " + b.digest;
  std::string label = b.digest.substr(0, 19);
  Response h = c.request("HEAD", c.repo_url("blobs/" + b.digest), {}, nullptr, {}, bwhat);
  if (h.status == 200) {
    pd.done(pd.add(label, b.size, "checking"), "exists");
    return;
  }
  if (h.status != 404) throw Error(bwhat + ": HEAD: HTTP " + std::to_string(h.status));
  // Another repository of this registry that has it: mounted, not uploaded.
  std::string loc;
  for (const auto& from : detail::known_blob_repos(store, c.ref().domain, b.digest)) {
    if (from == c.ref().path) continue;
    Response p = start_upload(c, b, from, bwhat);
    if (p.status == 201) {
      pd.done(pd.add(label, b.size, "mounting"), "mounted from " + from);
      return;
    }
    loc = p.headers["location"];  // not there after all: this session takes the upload
    break;
  }
  if (loc.empty()) loc = start_upload(c, b, "", bwhat).headers["location"];
  UniqueFd in(::open(store.blob_path(b.digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno("open " + store.blob_path(b.digest));
  int64_t chunk = opts.chunk_size > 0 ? opts.chunk_size : b.size > kChunkThreshold ? kDefaultChunk : 0;
  int bar = pd.add(label, b.size, chunk > 0 ? "uploading in chunks" : "uploading");
  upload(c, b, in.get(), loc, chunk, pd, bar, bwhat);
  pd.done(bar, "pushed");
}

// Puts the manifest from a temporary file (the upload reads a file descriptor).
Response put_manifest(const Store& store, Client& c, const PushManifest& m, const std::string& tag, const std::string& what) {
  std::string dir = store.make_temp_dir("push");
  std::string tmp = dir + "/manifest";
  UniqueFd in;
  try {
    write_file_atomic(tmp, m.body);
    in = UniqueFd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw_errno("open " + tmp);
  } catch (...) {
    remove_tree(dir);
    throw;
  }
  remove_tree(dir);
  return c.request("PUT", c.repo_url("manifests/" + tag), {"Content-Type: " + m.media_type}, nullptr,
                   Body{in.get(), 0, static_cast<int64_t>(m.body.size())}, what);
}

}  // namespace

void registry_push(const Store& store, const Image& img, const Reference& dest0, const RegistryOptions& opts) {
  if (!opts.format.empty() && opts.format != "oci" && opts.format != "docker") {
    throw Error("push: --format \"" + opts.format + "\": want oci or docker");
  }
  RegistriesConf conf = load_registries_conf(opts.registries_conf);
  PullSource dst = push_destination(conf, dest0);
  Client c(dst.ref, opts, dst.insecure, true);
  std::string what = "push " + dst.ref.str();
  PushManifest m = manifest_as(store, img, opts.format);
  {
    detail::ProgressDisplay pd(opts.progress, opts.progress_out);
    for (const auto& b : m.blobs) push_blob(store, c, b, opts, pd, what);
  }
  detail::remember_blob_locations(store, dst.ref, m.blobs);
  Response r = put_manifest(store, c, m, dst.ref.manifest_ref(), what + ": manifest");
  if (opts.format.empty() && m.media_type == kMediaManifest && (r.status == 400 || r.status == 415)) {
    // A registry that knows only docker's schema 2: the same image in its media types.
    PushManifest d = manifest_as(store, img, "docker");
    Response r2 = put_manifest(store, c, d, dst.ref.manifest_ref(), what + ": manifest (docker media types)");
    if (r2.status == 201) {
      m = d;
      r = r2;
    }
  }
  if (r.status != 201) throw Error(what + ": manifest: " + http_error(r));
  detail::ProgressDisplay pd(opts.progress, opts.progress_out);
  pd.note("pushed " + dst.ref.str() + " " + sha256_digest(m.body) + " (" + m.media_type + ")");
}

}  // namespace berth::image
