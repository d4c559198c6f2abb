#include "berth/linux/seccomp.hpp"
#include "berth/linux/seccomp_enosys.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::linux_ {
namespace {

constexpr uint32_t kMaxArgs = 6;  // syscalls have at most 6 arguments

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  if (!v) return "?";
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

// ---- tables --------------------------------------------------------------

struct ArchName {
  const char* name;
  uint32_t token;
};

// Every architecture of the runtime-spec / runc that this libseccomp defines.
const ArchName kArchs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
#endif
#ifdef SCMP_ARCH_SHEB
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

std::string arch_name(uint32_t token) {
  for (const auto& a : kArchs)
    if (a.token == token) return a.name;
  return "architecture " + std::to_string(token);
}

// Architectures known to newer libseccomp releases: reported as unsupported by
// this build rather than as unknown.
const char* const kNewerArchs[] = {"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH",
                                   "SCMP_ARCH_SHEB"};

const char* const kActions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};

struct OpName {
  const char* name;
  scmp_compare op;
};
const OpName kOps[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
                       {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                       {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
                       {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define BERTH_HAVE_SCMP_WAITKILL 1
#endif

struct FlagName {
  const char* name;
  unsigned long kernel_flag;  // SECCOMP_FILTER_FLAG_*
  int attr;                   // enum scmp_filter_attr, -1 if this libseccomp lacks it
};
const FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB},
#ifdef BERTH_HAVE_SCMP_WAITKILL
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
     SCMP_FLTATR_CTL_WAITKILL},
#else
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, -1},
#endif
};

// ---- libseccomp context --------------------------------------------------

struct CtxDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// Rethrows an Error from a helper with the config path in front.
template <typename F>
auto at(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what(), e.code());
  }
}

void check_rc(int rc, const std::string& what) {
  if (rc < 0) throw_errno(what, -rc);
}

// Serialises the filter to BPF with libseccomp and reads it back.
std::vector<sock_filter> export_bpf(const scmp_filter_ctx ctx) {
  UniqueFd mem(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create for seccomp export");
  check_rc(seccomp_export_bpf(ctx, mem.get()), "export seccomp filter");
  struct stat st {};
  if (::fstat(mem.get(), &st) < 0) throw_errno("fstat seccomp export");
  if (st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0)
    throw Error("export seccomp filter: unexpected size " + std::to_string(st.st_size));
  std::vector<sock_filter> prog(static_cast<std::size_t>(st.st_size) / sizeof(sock_filter));
  auto* p = reinterpret_cast<char*>(prog.data());
  std::size_t want = static_cast<std::size_t>(st.st_size), got = 0;
  while (got < want) {
    ssize_t n = ::pread(mem.get(), p + got, want - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read seccomp export");
    if (n == 0) throw Error("read seccomp export: short read");
    got += static_cast<std::size_t>(n);
  }
  // The kernel refuses programs longer than BPF_MAXINSNS; say so now, not in the init.
  if (prog.size() > BPF_MAXINSNS)
    throw Error("seccomp filter too large: " + std::to_string(prog.size()) +
                " BPF instructions (kernel limit " + std::to_string(BPF_MAXINSNS) + ")");
  return prog;
}

// Whether the running kernel accepts a SECCOMP_FILTER_FLAG_*, probed as libseccomp does: with a
// NULL program the kernel answers EFAULT only after it accepted the flags (EINVAL otherwise).
// WAIT_KILLABLE_RECV is valid only together with NEW_LISTENER, so it is probed with it.
bool kernel_has_filter_flag(unsigned long flag) {
  unsigned long probe = flag;
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT;
}

bool is_permissive(uint32_t action) {
  // runc's isAllowAction: ALLOW, LOG and TRACE (a tracer is expected to cope
  // with new syscalls itself).
  uint32_t a = action & SECCOMP_RET_ACTION_FULL;
  return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG || a == SECCOMP_RET_TRACE;
}

// The thread survives the syscall and gets a return value: ALLOW, LOG, ERRNO,
// TRACE (ENOSYS without a tracer). Not KILL_*, TRAP (SIGSYS) or NOTIFY (blocks
// until a listener answers).
bool returns_to_caller(uint32_t action) {
  uint32_t a = action & SECCOMP_RET_ACTION_FULL;
  return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG || a == SECCOMP_RET_TRACE || a == SECCOMP_RET_ERRNO;
}

}  // namespace

// ---- public helpers --------------------------------------------------------

uint32_t seccomp_action(const std::string& name, std::optional<uint32_t> errnoRet,
                        uint32_t default_errno) {
  auto ret = [&]() -> uint32_t {
    uint32_t v = errnoRet.value_or(default_errno);
    // The kernel keeps 16 bits (SECCOMP_RET_DATA); runc truncates silently,
    // which turns 65537 into EPERM. Refuse instead.
    if (v > 0xffff) throw Error("errnoRet " + std::to_string(v) + " out of range (0-65535)");
    return v;
  };
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret());
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret());
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  throw Error("unknown action " + quoted(name));
}

int seccomp_op(const std::string& name) {
  for (const auto& o : kOps)
    if (name == o.name) return o.op;
  throw Error("unknown operator " + quoted(name));
}

uint32_t seccomp_arch(const std::string& name) {
  for (const auto& a : kArchs)
    if (name == a.name) return a.token;
  for (const char* n : kNewerArchs)
    if (name == n)
      throw Error("architecture " + quoted(name) + " not supported by libseccomp " +
                  libseccomp_version());
  throw Error("unknown architecture " + quoted(name));
}

std::vector<std::string> seccomp_known_actions() {
  return {std::begin(kActions), std::end(kActions)};
}
std::vector<std::string> seccomp_known_operators() {
  std::vector<std::string> v;
  for (const auto& o : kOps) v.emplace_back(o.name);
  return v;
}
std::vector<std::string> seccomp_known_archs() {
  std::vector<std::string> v;
  for (const auto& a : kArchs) v.emplace_back(a.name);
  return v;
}
std::vector<std::string> seccomp_known_flags() {
  std::vector<std::string> v;
  for (const auto& f : kFlags)
    if (f.attr >= 0 || kernel_has_filter_flag(f.kernel_flag)) v.emplace_back(f.name);
  return v;
}

// ---- SeccompFilter ---------------------------------------------------------

SeccompFilter::~SeccompFilter() = default;
SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;

std::string SeccompFilter::to_bytes() const {
  std::string head = std::to_string(flags_) + " " + (notify_ ? "1" : "0") + " " + (may_madvise_ ? "1" : "0") + " " +
                     std::to_string(program_.size()) + "\n";
  std::string out = head;
  out.append(reinterpret_cast<const char*>(program_.data()), program_.size() * sizeof(sock_filter));
  return out;
}

std::optional<SeccompFilter> SeccompFilter::from_bytes(std::string_view bytes) {
  size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  unsigned long flags = 0, count = 0;
  int notify = 0, madv = 0;
  std::string head(bytes.substr(0, nl));
  if (std::sscanf(head.c_str(), "%lu %d %d %lu", &flags, &notify, &madv, &count) != 4) return std::nullopt;
  std::string_view prog = bytes.substr(nl + 1);
  if (count == 0 || count > BPF_MAXINSNS || prog.size() != count * sizeof(sock_filter)) return std::nullopt;
  SeccompFilter f;
  f.program_.resize(count);
  std::memcpy(f.program_.data(), prog.data(), prog.size());
  f.flags_ = flags;
  f.notify_ = notify != 0;
  f.may_madvise_ = madv != 0;
  return f;
}

UniqueFd SeccompFilter::load() const {
  if (program_.empty()) throw Error("load seccomp filter: no filter compiled");
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program_.size());
  prog.filter = const_cast<sock_filter*>(program_.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &prog);
  if (rc < 0) {
    int err = errno;
    if (err == EACCES)
      throw_errno("load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)", err);
    throw_errno("load seccomp filter", err);
  }
  if (notify_) return UniqueFd(static_cast<int>(rc));
  // With TSYNC (and no TSYNC_ESRCH), a positive value is the thread that could
  // not be synchronised; the filter is then not loaded.
  if (rc > 0)
    throw Error("load seccomp filter: thread " + std::to_string(rc) +
                " could not be synchronised (SECCOMP_FILTER_FLAG_TSYNC)");
  return {};
}

// ---- compile ---------------------------------------------------------------

SeccompFilter compile_seccomp(const oci::Seccomp& cfg) {
  const std::string base = "linux.seccomp";

  auto check_errno_ret = [](const std::optional<uint32_t>& v, const std::string& path) {
    if (v && *v > 0xffff)
      throw Error(path + ": " + std::to_string(*v) + " out of range (0-65535)");
  };
  check_errno_ret(cfg.defaultErrnoRet, base + ".defaultErrnoRet");
  const uint32_t default_action = at(base + ".defaultAction", [&] {
    return seccomp_action(cfg.defaultAction, cfg.defaultErrnoRet, EPERM);
  });
  // As runc: the notify fd is passed to the agent after the filter is loaded,
  // which cannot happen if everything (or write) is notified.
  if (default_action == SCMP_ACT_NOTIFY)
    throw Error(base + ".defaultAction: SCMP_ACT_NOTIFY cannot be used as default action");

  Ctx ctx(seccomp_init(default_action));
  if (!ctx) throw Error(base + ": seccomp_init failed (invalid default action " +
                        quoted(cfg.defaultAction) + "?)");
  void* c = ctx.get();

  // Raw kernel error codes in libseccomp's return values, for better messages.
  seccomp_attr_set(c, SCMP_FLTATR_API_SYSRAWRC, 1);
  // The runtime handles no_new_privs itself (process.noNewPrivileges); the
  // filter is loaded by seccomp(2) in load() and never touches it.
  check_rc(seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0), base + ": unset no_new_privs attribute");

  std::set<uint32_t> arch_tokens{seccomp_arch_native()};  // for the ENOSYS stub
  for (std::size_t i = 0; i < cfg.architectures.size(); ++i) {
    std::string path = base + ".architectures[" + std::to_string(i) + "]";
    uint32_t arch = at(path, [&] { return seccomp_arch(cfg.architectures[i]); });
    arch_tokens.insert(arch);
    int rc = seccomp_arch_add(c, arch);
    if (rc == -EEXIST) continue;  // the native arch is always there
    if (rc == -EDOM)  // libseccomp cannot mix byte orders in one filter
      throw Error(path + ": architecture " + quoted(cfg.architectures[i]) +
                      " cannot be combined with the native " + arch_name(seccomp_arch_native()) +
                      " (different byte order)",
                  EDOM);
    check_rc(rc, path + ": add architecture " + quoted(cfg.architectures[i]));
  }

  unsigned long flags = 0;
  for (std::size_t i = 0; i < cfg.flags.size(); ++i) {
    std::string path = base + ".flags[" + std::to_string(i) + "]";
    const FlagName* f = nullptr;
    for (const auto& k : kFlags)
      if (cfg.flags[i] == k.name) f = &k;
    if (!f) throw Error(path + ": unknown flag " + quoted(cfg.flags[i]));
    if (f->attr < 0) {
      // This libseccomp predates the flag (WAIT_KILLABLE_RECV before 2.6), but load() hands the
      // exported BPF to seccomp(2) itself: the flag only has to be known to the kernel.
      if (!kernel_has_filter_flag(f->kernel_flag))
        throw Error(path + ": flag " + quoted(cfg.flags[i]) + " not supported by the running kernel (" +
                        (f->kernel_flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? "needs Linux >= 5.19; " : "") +
                        "libseccomp " + libseccomp_version() + " lacks it too)",
                    EINVAL);
      flags |= f->kernel_flag;
      continue;
    }
    // libseccomp checks that the running kernel supports the flag.
    int rc = seccomp_attr_set(c, static_cast<scmp_filter_attr>(f->attr), 1);
    if (rc < 0)
      throw_errno(path + ": flag " + quoted(cfg.flags[i]) + " not supported by the kernel or libseccomp " +
                      libseccomp_version(),
                  -rc);
    flags |= f->kernel_flag;
  }

  bool notify = false;
  bool mentions_clone3 = false;
  // Whether the init may still call madvise once the filter is loaded (see
  // SeccompFilter::may_madvise): no rule for it may kill, trap or notify, and
  // either the default action or an unconditional rule lets it return.
  bool madvise_bad = false, madvise_unconditional_ok = false;
  for (std::size_t i = 0; i < cfg.syscalls.size(); ++i) {
    const oci::SeccompSyscall& sc = cfg.syscalls[i];
    const std::string path = base + ".syscalls[" + std::to_string(i) + "]";
    check_errno_ret(sc.errnoRet, path + ".errnoRet");
    const uint32_t action =
        at(path + ".action", [&] { return seccomp_action(sc.action, sc.errnoRet, EPERM); });
    if (sc.names.empty()) throw Error(path + ".names: must name at least one syscall");

    // Conditions, validated even when the rule ends up skipped.
    std::vector<scmp_arg_cmp> conds;
    std::array<unsigned, kMaxArgs> per_index{};
    bool repeated_index = false;
    for (std::size_t j = 0; j < sc.args.size(); ++j) {
      const oci::SeccompArg& a = sc.args[j];
      const std::string apath = path + ".args[" + std::to_string(j) + "]";
      if (a.index >= kMaxArgs)
        throw Error(apath + ".index: " + std::to_string(a.index) + " out of range (0-5)");
      int op = at(apath + ".op", [&] { return seccomp_op(a.op); });
      conds.push_back(scmp_arg_cmp{a.index, static_cast<scmp_compare>(op), a.value, a.valueTwo});
      if (++per_index[a.index] > 1) repeated_index = true;
    }

    for (std::size_t n = 0; n < sc.names.size(); ++n) {
      const std::string& name = sc.names[n];
      const std::string npath = path + ".names[" + std::to_string(n) + "]";
      if (name.empty()) throw Error(npath + ": empty syscall name");
      if (name == "clone3") mentions_clone3 = true;
      if (name == "madvise") {
        if (!returns_to_caller(action)) madvise_bad = true;
        else if (conds.empty()) madvise_unconditional_ok = true;
      }
      if (action == SCMP_ACT_NOTIFY) {
        if (name == "write")
          throw Error(npath + ": SCMP_ACT_NOTIFY cannot be used for the write syscall");
        notify = true;
      }
      // Same as the default action: libseccomp would refuse it; runc skips it.
      if (action == default_action) continue;
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        // As runc: probably newer than this libseccomp; the default action applies.
        log::debug("seccomp: unknown syscall " + quoted(name) + " ignored");
        continue;
      }
      auto add = [&](unsigned count, const scmp_arg_cmp* arr) {
        int rc = seccomp_rule_add_array(c, action, nr, count, arr);
        check_rc(rc, npath + ": add rule for syscall " + quoted(name));
      };
      if (conds.empty()) {
        add(0, nullptr);
      } else if (repeated_index) {
        // runc: several conditions on one argument cannot be ANDed in one
        // libseccomp rule; each becomes a rule of its own.
        for (const auto& cond : conds) add(1, &cond);
      } else {
        add(static_cast<unsigned>(conds.size()), conds.data());
      }
    }
  }

  // Besides the ENOSYS stub below (syscalls newer than every one the profile names), clone3
  // gets ERRNO(ENOSYS) whenever the profile does not mention it, even if it names newer
  // syscalls, so that glibc (>= 2.34) falls back from clone3 to clone instead of failing with
  // the default errno: when the default action refuses (ERRNO, KILL_*, TRAP, exactly runc's
  // non-permissive set), its errno is not already ENOSYS, and the profile does not mention
  // clone3. ENOSYS never runs the syscall, so this is never
  // more permissive than the profile. Docker's profile names clone3 explicitly
  // (ERRNO 38) and is therefore left untouched.
  if (!mentions_clone3 && !is_permissive(default_action) &&
      default_action != SCMP_ACT_ERRNO(ENOSYS)) {
    int nr = seccomp_syscall_resolve_name("clone3");
    if (nr != __NR_SCMP_ERROR)
      check_rc(seccomp_rule_add_array(c, SCMP_ACT_ERRNO(ENOSYS), nr, 0, nullptr),
               base + ": add clone3 ENOSYS rule");
  }

  // A listenerPath gets a listener even without SCMP_ACT_NOTIFY rules, as crun
  // does: the agent receives the notify fd (which never fires) and the state,
  // so an agent that waits for every container is not left waiting.
  if (!cfg.listenerPath.empty()) notify = true;

  // The kernel takes WAIT_KILLABLE_RECV only with a listener (EINVAL otherwise, from deep in the
  // init): say so now, naming the field.
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !notify)
    throw Error(base + ".flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY "
                       "(the kernel accepts it only for filters with a listener)",
                EINVAL);

  if (notify) {
    // Notify needs API level 5 (kernel 5.0); with TSYNC it needs
    // SECCOMP_FILTER_FLAG_TSYNC_ESRCH (API level 6, kernel 5.7).
    unsigned api = seccomp_api_get();
    bool tsync = flags & SECCOMP_FILTER_FLAG_TSYNC;
    if (api < (tsync ? 6u : 5u))
      throw Error(base + ": SCMP_ACT_NOTIFY" + (tsync ? " with SECCOMP_FILTER_FLAG_TSYNC" : "") +
                  " unsupported: libseccomp " + libseccomp_version() + " API level " +
                  std::to_string(api) + ", needs " + (tsync ? "6" : "5") +
                  " (Linux >= " + (tsync ? "5.7" : "5.0") + ")");
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (tsync) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }

  // runc's ENOSYS stub (seccomp_enosys.hpp): syscalls newer than every one the profile names
  // get ENOSYS, where the default action refuses with another errno, kills or traps. The
  // largest number per architecture counts every name of every rule, as runc's does.
  std::map<uint32_t, uint32_t> largest;
  if (!is_permissive(default_action) && default_action != SCMP_ACT_ERRNO(ENOSYS)) {
    for (uint32_t token : arch_tokens) {
      int top = -1;
      for (const auto& sc : cfg.syscalls)
        for (const auto& name : sc.names) top = std::max(top, seccomp_syscall_resolve_name_arch(token, name.c_str()));
      if (top > 0) largest[token] = static_cast<uint32_t>(top);
    }
  }

  SeccompFilter f;
  f.program_ = enosys_stub(largest);
  std::vector<sock_filter> body = export_bpf(c);
  f.program_.insert(f.program_.end(), body.begin(), body.end());
  if (f.program_.size() > BPF_MAXINSNS)
    throw Error(base + ": the filter has " + std::to_string(f.program_.size()) + " BPF instructions, more than the kernel's " +
                std::to_string(BPF_MAXINSNS));
  f.flags_ = flags;
  f.notify_ = notify;
  f.may_madvise_ = !madvise_bad && (madvise_unconditional_ok || returns_to_caller(default_action));
  return f;
}

// ---- listener --------------------------------------------------------------

void send_seccomp_listener(const std::string& listenerPath, int notify_fd,
                           const std::string& state_json, const std::string& metadata, int pid) {
  const std::string what = "send seccomp notify fd to " + listenerPath;
  nlohmann::ordered_json state;
  try {
    state = nlohmann::ordered_json::parse(state_json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": invalid state JSON: " + e.what());
  }
  nlohmann::ordered_json msg;
  msg["ociVersion"] = oci::kSpecVersion;  // as runc: the runtime's spec version
  msg["fds"] = {"seccompFd"};
  msg["pid"] = pid;
  if (!metadata.empty()) msg["metadata"] = metadata;
  msg["state"] = std::move(state);
  const std::string payload = msg.dump();

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listenerPath.empty() || listenerPath.size() >= sizeof(addr.sun_path))
    throw Error(what + ": socket path empty or too long");
  std::memcpy(addr.sun_path, listenerPath.data(), listenerPath.size());

  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno(what + ": socket");
  while (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    // runc's words (seccomp-notify.bats), then which socket and why.
    if (errno != EINTR) throw_errno("failed to connect with seccomp agent specified in the seccomp profile: connect " + listenerPath);
  }

  // The fd travels with the first byte(s); the rest of a long payload follows.
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));

  std::size_t sent = 0;
  while (sent < payload.size()) {
    ssize_t n = ::sendmsg(sock.get(), &mh, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(what + ": sendmsg");
    sent += static_cast<std::size_t>(n);
    iov.iov_base = const_cast<char*>(payload.data()) + sent;
    iov.iov_len = payload.size() - sent;
    mh.msg_control = nullptr;  // the fd went with the first chunk
    mh.msg_controllen = 0;
  }
}

}  // namespace berth::linux_
