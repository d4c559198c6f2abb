// Seccomp: linux.seccomp of config.json turned into a BPF program (libseccomp),
// compiled before the container's setup so that every error is reported early,
// loaded as the very last step before execve.
//
// Semantics follow runc (libcontainer/seccomp/seccomp_linux.go + patchbpf):
//  - actions SCMP_ACT_{KILL,KILL_THREAD,KILL_PROCESS,TRAP,ERRNO,TRACE,ALLOW,LOG,NOTIFY};
//    ERRNO and TRACE carry errnoRet (EPERM when absent), the default action
//    carries defaultErrnoRet;
//  - a syscall name libseccomp does not know is skipped (debug log), a rule
//    whose action equals the default action is skipped;
//  - the args of one rule are ANDed into one libseccomp rule, unless two args
//    use the same index: then each arg becomes a rule of its own (ORed);
//  - architectures are added to the native one;
//  - no_new_privs is never set here (SCMP_FLTATR_CTL_NNP = 0): the runtime
//    sets it itself when process.noNewPrivileges asks for it. Without it, the
//    loading process needs CAP_SYS_ADMIN, so the caller must load the filter
//    before dropping capabilities when noNewPrivileges is false (as runc does).
//
// Like runc's patchbpf, the filter is exported from libseccomp at compile time
// and loaded with the raw seccomp(2) syscall: load() is a single syscall that
// does not allocate, so it is safe in a freshly cloned child.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/oci/spec.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {

class SeccompFilter {
 public:
  SeccompFilter() = default;  // empty: load() throws
  ~SeccompFilter();
  SeccompFilter(SeccompFilter&&) noexcept;
  SeccompFilter& operator=(SeccompFilter&&) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;

  // Loads the filter into the calling thread (all threads with
  // SECCOMP_FILTER_FLAG_TSYNC). Returns the notify fd if any rule uses
  // SCMP_ACT_NOTIFY, else an empty UniqueFd; the kernel makes it O_CLOEXEC,
  // so the init must pass it on (send_seccomp_listener, or to the parent)
  // before execve. Throws berth::Error on failure; allocates only then.
  UniqueFd load() const;

  bool empty() const noexcept { return program_.empty(); }
  // Number of BPF instructions.
  std::size_t size() const noexcept { return program_.size(); }
  // SECCOMP_FILTER_FLAG_* passed to seccomp(2) by load().
  unsigned long flags() const noexcept { return flags_; }
  // True when some rule uses SCMP_ACT_NOTIFY (load() returns a listener fd).
  bool has_notify() const noexcept { return notify_; }
  // True when a thread under this filter can call madvise(2) and get an answer
  // (allowed, or refused with an errno) rather than be killed, trapped or held.
  bool may_madvise() const noexcept { return may_madvise_; }

  // Flat bytes of the compiled filter and its properties, and back (the on-disk
  // cache, linux/seccomp_cache.hpp). from_bytes returns nullopt on anything malformed.
  std::string to_bytes() const;
  static std::optional<SeccompFilter> from_bytes(std::string_view bytes);

 private:
  friend SeccompFilter compile_seccomp(const oci::Seccomp& cfg);
  std::vector<sock_filter> program_;
  unsigned long flags_ = 0;
  bool notify_ = false;
  bool may_madvise_ = false;
};

// Compiles linux.seccomp. Throws berth::Error naming the offending field, e.g.
//   linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"
SeccompFilter compile_seccomp(const oci::Seccomp& cfg);

// Helpers exposed for unit tests and the features document.
// SCMP_ACT_* name -> libseccomp action value; ERRNO/TRACE use errnoRet or
// default_errno. Throws berth::Error on an unknown name or errnoRet > 65535.
uint32_t seccomp_action(const std::string& name, std::optional<uint32_t> errnoRet,
                        uint32_t default_errno);
// SCMP_CMP_{NE,LT,LE,EQ,GE,GT,MASKED_EQ} -> enum scmp_compare. Throws on unknown.
int seccomp_op(const std::string& name);
// SCMP_ARCH_* -> libseccomp arch token. Throws on unknown, or on an
// architecture the linked libseccomp does not know.
uint32_t seccomp_arch(const std::string& name);

// Names berth accepts (for `berth features`).
std::vector<std::string> seccomp_known_actions();
std::vector<std::string> seccomp_known_operators();
std::vector<std::string> seccomp_known_archs();  // only those libseccomp supports
std::vector<std::string> seccomp_known_flags();  // only those libseccomp supports

// Sends the notify fd to the seccomp agent at listenerPath, as the runtime-spec
// requires: one SCM_RIGHTS message over a SOCK_STREAM connection whose payload is
//   {"ociVersion","fds":["seccompFd"],"pid","metadata","state":<state_json>}
// (metadata omitted when empty, as runc does). state_json is the container
// state (runtime-spec state JSON). Throws berth::Error.
void send_seccomp_listener(const std::string& listenerPath, int notify_fd,
                           const std::string& state_json, const std::string& metadata, int pid);

}  // namespace berth::linux_
