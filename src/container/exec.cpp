// `exec`: checks the container's state, builds the process the way runc does,
// and hands it to process::spawn_exec with the init's pid and cgroup.
#include "berth/container/exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "berth/container/exec_cgroup.hpp"
#include "berth/cgroups/manager.hpp"
#include "berth/container/record.hpp"
#include "berth/container/host_attach.hpp"
#include "berth/container/host_files.hpp"
#include "berth/container/state_store.hpp"
#include "berth/linux/caps.hpp"
#include "berth/linux/lsm.hpp"
#include "berth/linux/process_attrs.hpp"
#include "berth/linux/seccomp.hpp"
#include "berth/linux/seccomp_cache.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/oci/parse.hpp"
#include "berth/oci/state.hpp"
#include "berth/process/exec.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "berth/util/read_limited.hpp"

namespace berth::container {
namespace {

oci::Process load_process_json(const std::string& path) {
  std::string text = read_limited(path, kMaxConfigBytes);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    auto end = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] "
    if (!what.empty() && what[0] == '[' && end != std::string::npos) what = what.substr(end + 2);
    throw Error(path + ": invalid JSON: " + what);
  }
  return oci::parse_process(j, path);
}

std::string env_name(const std::string& e) { return e.substr(0, e.find('=')); }

// Appends `extra`, then keeps one entry per name: a later value replaces an
// earlier one in its place (runc applies them with setenv, in order).
std::vector<std::string> merge_env(std::vector<std::string> env, const std::vector<std::string>& extra) {
  for (const auto& e : extra) {
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("invalid environment variable \"" + e + "\": expected NAME=value");
    env.push_back(e);
  }
  std::vector<std::string> out;
  std::map<std::string, size_t> at;
  for (auto& e : env) {
    auto [it, fresh] = at.emplace(env_name(e), out.size());
    if (fresh) out.push_back(std::move(e));
    else out[it->second] = std::move(e);
  }
  return out;
}

// "sys_admin", "SYS_ADMIN" and "CAP_SYS_ADMIN" all mean CAP_SYS_ADMIN. A name that grants
// nothing here is kept and skipped with a warning (exec_process), as runc does.
std::string cap_name(const std::string& in) {
  std::string n = in;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
  if (n.rfind("CAP_", 0) != 0) n = "CAP_" + n;
  return n;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

oci::Process exec_process(const oci::Spec& spec, const ExecOptions& o) {
  const oci::Process none;
  const oci::Process& base = spec.process ? *spec.process : none;
  oci::Process p;
  if (!o.process_path.empty()) {
    p = load_process_json(o.process_path);
    // What a process.json leaves out comes from the container (runc's newInitConfig).
    if (!p.capabilities) p.capabilities = base.capabilities;
    if (p.rlimits.empty()) p.rlimits = base.rlimits;
    if (p.apparmorProfile.empty()) p.apparmorProfile = base.apparmorProfile;
    if (p.selinuxLabel.empty()) p.selinuxLabel = base.selinuxLabel;
    if (!p.oomScoreAdj) p.oomScoreAdj = base.oomScoreAdj;
    if (!o.args.empty()) log::warn("exec: --process given: the command on the command line is ignored");
  } else {
    if (o.args.empty()) throw Error("process args cannot be empty");
    p = base;
    p.args = o.args;
    p.terminal = false;  // only with -t
  }

  if (o.tty) p.terminal = *o.tty;
  if (o.cwd) p.cwd = *o.cwd;
  p.env = merge_env(std::move(p.env), o.env);
  if (o.uid) p.user.uid = *o.uid;
  if (o.gid) p.user.gid = *o.gid;
  for (uint32_t g : o.additional_gids) p.user.additionalGids.push_back(g);
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    oci::Capabilities& c = *p.capabilities;
    // Ambient needs inheritable; like runc 1.1, --cap never adds inheritable
    // (CVE-2022-29162), so ambient only if the process already has inheritable caps.
    bool ambient = !c.inheritable.empty();
    for (const auto& raw : o.caps) {
      std::string n = cap_name(raw);
      add_unique(c.bounding, n);
      add_unique(c.effective, n);
      add_unique(c.permitted, n);
      if (ambient) add_unique(c.ambient, n);
    }
  }
  if (o.no_new_privs) p.noNewPrivileges = true;
  if (!o.apparmor.empty()) p.apparmorProfile = o.apparmor;
  if (!o.process_label.empty()) p.selinuxLabel = o.process_label;

  if (p.args.empty() || p.args[0].empty()) throw Error("process args cannot be empty");
  if (p.cwd.empty() || p.cwd[0] != '/') throw Error("cwd \"" + p.cwd + "\" must be an absolute path");
  // The container's own sets were warned about at create; a process.json's or --cap's now.
  if (p.capabilities && (!o.process_path.empty() || !o.caps.empty())) linux_::warn_unavailable_caps(*p.capabilities);
  return p;
}

Executed exec(const ExecOptions& o) {
  std::optional<StateDir> dir;
  dir.emplace(StateDir::open(o.root, o.id));
  Record r = load_record(*dir);
  oci::Status status = status_of(r, *dir);
  if (status == oci::Status::Stopped) throw Error("cannot exec in a stopped container");
  if (status == oci::Status::Paused && !o.ignore_paused)
    throw Error("cannot exec in a paused container (use --ignore-paused to override)");

  oci::Process p = exec_process(r.spec, o);
  const bool keep_groups = linux_::keep_original_groups(r.annotations, p.user, "exec: process.user");
  if (p.terminal && o.console_socket.empty() && o.console_fd < 0)
    throw Error("cannot allocate tty if berth will detach without setting console socket (use --console-socket)");
  if (!p.terminal && !o.console_socket.empty())
    throw Error("cannot use console socket if berth will not detach or allocate tty");
  // Refused here, before anything is spawned: without the LSM the write would fail only in the
  // new process, just before execve.
  if (!p.apparmorProfile.empty() || !p.selinuxLabel.empty()) {
    const linux_::LsmHost lsm = linux_::detect_lsm();
    linux_::require_apparmor(p.apparmorProfile, o.apparmor.empty() ? "process.apparmorProfile" : "exec --apparmor",
                             lsm);
    linux_::require_selinux(p.selinuxLabel, o.process_label.empty() ? "process.selinuxLabel" : "exec --process-label",
                            lsm);
  }

  // runc applies the container's seccomp profile to exec'd processes too.
  std::optional<linux_::SeccompFilter> seccomp;
  if (r.spec.linux && r.spec.linux->seccomp)
    seccomp = linux_::compile_seccomp_cached(*r.spec.linux->seccomp, seccomp_cache_dir(o.root));
  UniqueFd console;
  if (p.terminal && !o.console_socket.empty()) console = connect_console_socket(o.console_socket);
  UniqueFd pidfd_sock;
  if (!o.pidfd_socket.empty()) pidfd_sock = connect_pidfd_socket(o.pidfd_socket);

  // The pidfd pins the init we checked: spawn_exec verifies it is still alive
  // after opening its namespaces.
  UniqueFd init_pidfd(sys::pidfd_open(r.pid));
  if (!init_pidfd || !init_alive(r)) throw Error("cannot exec in a stopped container");
  std::unique_ptr<cgroups::Manager> cg =
      o.cgroups.empty() ? record_cgroup(r) : cgroups::load_manager(sub_cgroup(r.cgroup, o.cgroups));
  // A sub-cgroup is never made here: it must exist (runc); said before anything is spawned.
  if (!o.cgroups.empty())
    for (const auto& [mount, d] : cg->dirs())
      if (::access(d.c_str(), F_OK) != 0) {
        // runc's words, with Go's errno text, which its exec.bats matches.
        const int err = errno;
        throw Error("exec --cgroup: error adding pid to cgroups: open " + d + "/cgroup.procs: " + go_strerror(err), err);
      }

  // In a paused container the new process freezes as soon as it joins the
  // cgroup and we wait until it is thawed: resume, kill and delete must be
  // able to take the lock meanwhile.
  if (status == oci::Status::Paused) dir.reset();

  process::ExecConfig ec;
  ec.process = &p;
  ec.linux = r.spec.linux ? &*r.spec.linux : nullptr;
  ec.id = o.id;
  ec.rootfs = r.rootfs;
  ec.init_pid = r.pid;
  ec.init_pidfd = init_pidfd.get();
  ec.preserve_fds = o.preserve_fds;
  ec.keep_original_groups = keep_groups;
  ec.console_socket = p.terminal ? (console ? console.get() : o.console_fd) : -1;
  ec.seccomp = seccomp ? &*seccomp : nullptr;
  ec.seccomp_listener = [&](pid_t pid, int fd) {
    const auto& sc = *r.spec.linux->seccomp;
    if (sc.listenerPath.empty()) return;
    oci::State st;
    st.id = o.id;
    st.status = oci::Status::Running;
    st.pid = r.pid;
    st.bundle = r.bundle;
    st.annotations = r.annotations;
    linux_::send_seccomp_listener(sc.listenerPath, fd, oci::to_json(st).dump(), sc.listenerMetadata, pid);
  };

  if (r.spec.linux && r.spec.linux->intelRdt)
    ec.join_host_groups = [&](pid_t pid) { join_intel_rdt_group(o.id, r.spec, pid); };
  process::ExecProcess ep = process::spawn_exec(ec, cg.get());
  if (!o.pid_file.empty() || pidfd_sock) {
    try {
      if (!o.pid_file.empty()) write_pid_file(o.pid_file, ep.pid);
      if (pidfd_sock) send_pidfd(pidfd_sock.get(), ep.pidfd.get(), o.pidfd_socket);
    } catch (...) {
      // As runc: a process nobody can find is not left running.
      sys::pidfd_send_signal(ep.pidfd.get(), SIGKILL);
      int st;
      while (::waitpid(ep.pid, &st, 0) < 0 && errno == EINTR) {}
      throw;
    }
  }
  return Executed{ep.pid, std::move(ep.pidfd), p.terminal};
}

}  // namespace berth::container
