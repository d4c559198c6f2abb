// containerd's runc runtime options in the shim: decoded from the Any of a Create, other
// types tolerated, what cannot be applied refused, kept in the bundle for `delete`.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "google/protobuf/any.pb.h"
#include "runtime_options.hpp"
#include "ttrpc_codec.hpp"

using namespace berth::shim;

namespace {

std::string any_of(const std::string& type_url, const std::string& value) {
  google::protobuf::Any a;
  a.set_type_url(type_url);
  a.set_value(value);
  return a.SerializeAsString();
}

berth::shim::ttrpc::Code code_of(const std::string& bytes) {
  try {
    parse_runtime_options(bytes);
  } catch (const berth::shim::ttrpc::RpcError& e) {
    return e.code();
  }
  return berth::shim::ttrpc::Code::OK;
}

}  // namespace

TEST_CASE("shim runtime options: containerd.runc.v1.Options decoded into berth's flags and root") {
  containerd::runc::v1::Options r;
  r.set_binary_name("/opt/bin/berth-wrapper");
  r.set_root("/run/private-root");
  r.set_systemd_cgroup(true);
  r.set_no_pivot_root(true);
  r.set_no_new_keyring(true);
  r.set_criu_path("/usr/sbin/criu");
  r.set_criu_image_path("/var/lib/cp");
  r.set_shim_cgroup("/shims");
  auto o = parse_runtime_options(any_of("containerd.runc.v1.Options", r.SerializeAsString()));
  CHECK(o.binary_name == "/opt/bin/berth-wrapper");
  CHECK(o.root == "/run/private-root");
  CHECK(o.systemd_cgroup);
  CHECK(o.no_pivot_root);
  CHECK(o.no_new_keyring);
  CHECK(o.criu_image_path == "/var/lib/cp");
  CHECK(o.shim_cgroup == "/shims");
  CHECK(global_args(o) == std::vector<std::string>{"--systemd-cgroup", "--criu", "/usr/sbin/criu"});
  CHECK(runtime_root(o, "k8s.io", "/run/containerd/berth/k8s.io") == "/run/private-root/k8s.io");
  CHECK(runtime_root(RuntimeOptions{}, "k8s.io", "/run/containerd/berth/k8s.io") == "/run/containerd/berth/k8s.io");
  // With the type.googleapis.com/ prefix too.
  CHECK(parse_runtime_options(any_of("type.googleapis.com/containerd.runc.v1.Options", r.SerializeAsString())).root ==
        "/run/private-root");

  // Kept in the bundle for `delete`.
  char tmpl[] = "/tmp/berth-test-options-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  save_runtime_options(tmpl, o);
  auto back = load_runtime_options(tmpl);
  CHECK(back.binary_name == o.binary_name);
  CHECK(back.root == o.root);
  CHECK(back.systemd_cgroup);
  CHECK(back.criu_path == "/usr/sbin/criu");
  CHECK(std::system((std::string("rm -rf ") + tmpl).c_str()) == 0);
  CHECK(load_runtime_options(tmpl).binary_name.empty());  // no bundle file: defaults
}

TEST_CASE("shim runtime options: empty or foreign Anys are tolerated, bad runc options refused") {
  using berth::shim::ttrpc::Code;
  CHECK(parse_runtime_options("").binary_name.empty());
  CHECK(parse_runtime_options(any_of("runtimeoptions.v1.Options", "\x0a\x03xyz")).root.empty());
  CHECK(parse_runtime_options(any_of("example.com/Unknown", std::string("\xff\xff", 2))).root.empty());
  CHECK(code_of(std::string("\xff\xff\xff", 3)) == Code::InvalidArgument);  // not an Any
  CHECK(code_of(any_of("containerd.runc.v1.Options", std::string("\x0a\xff", 2))) == Code::InvalidArgument);
  containerd::runc::v1::Options r;
  r.set_io_uid(1000);
  CHECK(code_of(any_of("containerd.runc.v1.Options", r.SerializeAsString())) == Code::InvalidArgument);
  containerd::runc::v1::Options rel;
  rel.set_root("relative/root");
  CHECK(code_of(any_of("containerd.runc.v1.Options", rel.SerializeAsString())) == Code::InvalidArgument);
}
