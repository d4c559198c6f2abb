#include "berth/image/bundle.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "berth/image/layer.hpp"
#include "berth/image/users.hpp"
#include "berth/oci/defaults.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::image {

using nlohmann::json;

json runtime_config(const json& image_config, int rootfd, const std::vector<std::string>& args) {
  json c = image_config.value("config", json::object());
  if (!c.is_object()) c = json::object();
  std::vector<std::string> argv;
  auto strings = [&](const char* k) {
    std::vector<std::string> v;
    if (c.contains(k) && c[k].is_array()) {
      for (const auto& s : c[k]) {
        if (s.is_string()) v.push_back(s.get<std::string>());
      }
    }
    return v;
  };
  argv = strings("Entrypoint");
  auto cmd = args.empty() ? strings("Cmd") : args;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  // Without Entrypoint and Cmd, process.args stays empty (as umoci leaves it): the bundle is
  // still made; the caller says so and the user fills it in.
  json spec = oci::default_spec(false);
  auto& p = spec["process"];
  p["terminal"] = false;
  p["args"] = argv;
  auto env = strings("Env");
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || e.rfind("PATH=", 0) == 0;
  if (!has_path) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  p["env"] = env;
  std::string wd = c.value("WorkingDir", std::string());
  p["cwd"] = wd.empty() ? "/" : wd;
  std::string user = c.value("User", std::string());
  if (!user.empty()) {
    auto u = resolve_user(rootfd, user);
    p["user"] = {{"uid", u.uid}, {"gid", u.gid}};
    if (!u.additional_gids.empty()) p["user"]["additionalGids"] = u.additional_gids;
  }
  spec["root"] = {{"path", "rootfs"}, {"readonly", false}};
  json ann = json::object();
  if (c.contains("Labels") && c["Labels"].is_object()) {
    for (const auto& [k, v] : c["Labels"].items()) {
      if (v.is_string()) ann[k] = v;
    }
  }
  if (c.contains("ExposedPorts") && c["ExposedPorts"].is_object() && !c["ExposedPorts"].empty()) {
    std::string ports;
    for (const auto& [k, v] : c["ExposedPorts"].items()) ports += (ports.empty() ? "" : ",") + k;
    ann["org.opencontainers.image.exposedPorts"] = ports;
  }
  if (c.contains("Volumes") && c["Volumes"].is_object() && !c["Volumes"].empty()) {
    std::string vols;
    for (const auto& [k, v] : c["Volumes"].items()) vols += (vols.empty() ? "" : ",") + k;
    ann["io.berth.image.volumes"] = vols;
  }
  if (c.contains("StopSignal") && c["StopSignal"].is_string()) ann["org.opencontainers.image.stopSignal"] = c["StopSignal"];
  if (image_config.contains("created") && image_config["created"].is_string()) ann["org.opencontainers.image.created"] = image_config["created"];
  if (image_config.contains("author") && image_config["author"].is_string()) ann["org.opencontainers.image.authors"] = image_config["author"];
  if (image_config.contains("os") && image_config["os"].is_string()) ann["org.opencontainers.image.os"] = image_config["os"];
  if (image_config.contains("architecture") && image_config["architecture"].is_string()) {
    ann["org.opencontainers.image.architecture"] = image_config["architecture"];
  }
  if (!ann.empty()) spec["annotations"] = ann;
  return spec;
}

void unpack_bundle(const Store& store, const Image& img, const std::string& bundle_dir, const std::vector<std::string>& args) {
  bool made = false;
  if (::mkdir(bundle_dir.c_str(), 0755) == 0) {
    made = true;
  } else if (errno == EEXIST) {
    DIR* d = ::opendir(bundle_dir.c_str());
    if (!d) throw_errno("open " + bundle_dir);
    int n = 0;
    while (auto* e = ::readdir(d)) n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
    ::closedir(d);
    if (n) throw Error("bundle directory " + bundle_dir + " is not empty");
  } else {
    throw_errno("mkdir " + bundle_dir);
  }
  std::string rootfs = bundle_dir + "/rootfs";
  try {
    if (::mkdir(rootfs.c_str(), 0755) != 0) throw_errno("mkdir " + rootfs);
    for (const auto& l : img.layers) extract_layer(store, l, rootfs, ExtractMode::Apply);
    UniqueFd rfd(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!rfd) throw_errno("open " + rootfs);
    json spec = runtime_config(img.config, rfd.get(), args);
    if (spec["process"]["args"].empty()) {
      std::fprintf(stderr, "berth-build: warning: the image has neither Entrypoint nor Cmd: set process.args in %s/config.json\n",
                   bundle_dir.c_str());
    }
    write_file_atomic(bundle_dir + "/config.json", spec.dump(2) + "\n");
  } catch (...) {
    try {
      if (made) {
        remove_tree(bundle_dir);
      } else {
        remove_tree(rootfs);
        ::unlink((bundle_dir + "/config.json").c_str());
      }
    } catch (const Error&) {
    }
    throw;
  }
}

}  // namespace berth::image
