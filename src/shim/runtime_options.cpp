#include "runtime_options.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "google/protobuf/any.pb.h"
#include "ttrpc_codec.hpp"

namespace berth::shim {

using ttrpc::Code;
using ttrpc::RpcError;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

RuntimeOptions parse_runtime_options(const std::string& any_bytes) {
  RuntimeOptions o;
  if (any_bytes.empty()) return o;
  google::protobuf::Any any;
  if (!any.ParseFromString(any_bytes)) throw RpcError(Code::InvalidArgument, "runtime options: not a protobuf Any");
  // typeurl names it "containerd.runc.v1.Options" (a type.googleapis.com/ prefix is allowed).
  if (any.type_url() != "containerd.runc.v1.Options" && !ends_with(any.type_url(), "/containerd.runc.v1.Options"))
    return o;
  containerd::runc::v1::Options r;
  if (!r.ParseFromString(any.value()))
    throw RpcError(Code::InvalidArgument, "runtime options: containerd.runc.v1.Options does not decode");
  if (r.io_uid() != 0 || r.io_gid() != 0)
    throw RpcError(Code::InvalidArgument,
                   "runtime options: io_uid/io_gid " + std::to_string(r.io_uid()) + "/" + std::to_string(r.io_gid()) +
                       ": not supported by containerd-shim-berth-v2 (the process gets containerd's fifos, "
                       "the shim has no pipes to give to another owner)");
  o.binary_name = r.binary_name();
  o.root = r.root();
  o.systemd_cgroup = r.systemd_cgroup();
  o.no_pivot_root = r.no_pivot_root();
  o.no_new_keyring = r.no_new_keyring();
  o.criu_path = r.criu_path();
  o.criu_image_path = r.criu_image_path();
  o.criu_work_path = r.criu_work_path();
  o.shim_cgroup = r.shim_cgroup();
  if (!o.root.empty() && o.root.front() != '/')
    throw RpcError(Code::InvalidArgument, "runtime options: root \"" + o.root + "\" is not an absolute path");
  return o;
}

std::vector<std::string> global_args(const RuntimeOptions& o) {
  std::vector<std::string> a;
  if (o.systemd_cgroup) a.push_back("--systemd-cgroup");
  if (!o.criu_path.empty()) a.insert(a.end(), {"--criu", o.criu_path});
  return a;
}

std::string runtime_root(const RuntimeOptions& o, const std::string& ns, const std::string& default_root) {
  return o.root.empty() ? default_root : o.root + "/" + ns;
}

void save_runtime_options(const std::string& bundle, const RuntimeOptions& o) {
  nlohmann::json j = {{"binary_name", o.binary_name},   {"root", o.root},
                      {"systemd_cgroup", o.systemd_cgroup}, {"no_pivot_root", o.no_pivot_root},
                      {"no_new_keyring", o.no_new_keyring}, {"criu_path", o.criu_path},
                      {"criu_image_path", o.criu_image_path}, {"criu_work_path", o.criu_work_path},
                      {"shim_cgroup", o.shim_cgroup}};
  std::string path = bundle + "/options.json";
  std::ofstream f(path, std::ios::trunc);
  f << j.dump();
  if (!f.flush()) throw RpcError(Code::Internal, "write " + path + ": " + strerror(errno));
}

RuntimeOptions load_runtime_options(const std::string& bundle) {
  RuntimeOptions o;
  std::ifstream f(bundle + "/options.json");
  if (!f) return o;
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (!j.is_object()) return o;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  auto flag = [&](const char* k) { return j.contains(k) && j[k].is_boolean() && j[k].get<bool>(); };
  o.binary_name = str("binary_name");
  o.root = str("root");
  o.systemd_cgroup = flag("systemd_cgroup");
  o.no_pivot_root = flag("no_pivot_root");
  o.no_new_keyring = flag("no_new_keyring");
  o.criu_path = str("criu_path");
  o.criu_image_path = str("criu_image_path");
  o.criu_work_path = str("criu_work_path");
  o.shim_cgroup = str("shim_cgroup");
  return o;
}

}  // namespace berth::shim
