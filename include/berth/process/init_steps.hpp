// The container's init as a flat list of named steps (plan.hpp's InitStep),
// each a small function with one concern, run in the order of init_steps():
// the runtime-spec lifecycle from clone3 to execve. Each step sends and
// receives its own sync messages; the parent's side (spawn_init) mirrors them.
// Every effect on the kernel goes through the SyscallSeam, so unit tests run
// the steps with a recording double, without root.
#pragma once
#include <string>
#include <vector>

#include "berth/linux/namespaces.hpp"
#include "berth/linux/rootfs.hpp"
#include "berth/process/exec_check.hpp"
#include "berth/process/init.hpp"
#include "berth/process/plan.hpp"
#include "berth/process/syscall_seam.hpp"
#include "berth/util/fd.hpp"

namespace berth::process {

struct InitContext {
  InitContext(const InitConfig& c, const InitPlan& p, SyscallSeam& s, int sync_fd,
              std::vector<linux_::JoinedNs>& ns)
      : cfg(c), plan(p), sys(s), sync(sync_fd), joined(ns) {}

  const InitConfig& cfg;
  const InitPlan& plan;
  SyscallSeam& sys;
  int sync;                              // the init's end of the sync socket; -1 once closed
  std::vector<linux_::JoinedNs>& joined;  // namespaces given by path, opened by the parent

  // Carried from one step to the next.
  bool death_signal_armed = false;  // PR_SET_PDEATHSIG is set: restore it after credential changes
  bool cwd_entered = false;         // process.cwd entered while still root (switch_user)
  linux_::RootfsContext rootfs;
  UniqueFd rootfd;
  std::string hook_state;  // the parent's state JSON for createContainer/startContainer hooks
  std::vector<std::string> env;
  ExecTarget target;
  UniqueFd notify;  // the seccomp notify fd
  std::string ready_log;  // report_ready's --debug line, formatted before seccomp (log::prepare)
};

// One step.
void run_init_step(InitStep step, InitContext& ctx);
// The plan's steps, in order. The real Exec step does not return.
void run_init_steps(InitContext& ctx);

}  // namespace berth::process
