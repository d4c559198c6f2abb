// The cgroup v2 device filter: rules -> raw eBPF instructions -> bpf(2).
// Written against <linux/bpf.h> alone (no libbpf): the program is a straight
// line of compare-and-jump blocks, small enough to emit by hand.
#include "berth/cgroups/devices_bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/util/error.hpp"

namespace berth::cgroups {
namespace {

// Registers. The kernel passes the context (struct bpf_cgroup_dev_ctx) in r1;
// r0 is the verdict (1 allow, 0 deny). r1 is reused as scratch after the
// prologue has copied everything out of the context.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
constexpr uint8_t kType = R2, kAccess = R3, kMajor = R4, kMinor = R5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
// Jump with the offset filled in when the block is complete (to its end).
bpf_insn jmp_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

std::string describe(const oci::DeviceCgroupRule& r) {
  auto num = [](const std::optional<int64_t>& v) { return v && *v >= 0 ? std::to_string(*v) : std::string("*"); };
  return std::string(r.allow ? "allow " : "deny ") + (r.type.empty() ? "a" : r.type) + " " + num(r.major) + ":" +
         num(r.minor) + " " + (r.access.empty() ? "rwm" : r.access);
}

int32_t access_bits(const oci::DeviceCgroupRule& r) {
  if (r.access.empty()) return BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  int32_t bits = 0;
  for (char c : r.access) {
    switch (c) {
      case 'r': bits |= BPF_DEVCG_ACC_READ; break;
      case 'w': bits |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': bits |= BPF_DEVCG_ACC_MKNOD; break;
      default:
        throw Error("device rule \"" + describe(r) + "\": invalid access '" + std::string(1, c) + "' (want r, w, m)", EINVAL);
    }
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// One rule: the checks that jump past the block when the rule does not match,
// then the verdict. Returns false when nothing can get past this rule (it
// matches every request), so that earlier rules need no code.
bool append_rule(std::vector<bpf_insn>& prog, const oci::DeviceCgroupRule& r) {
  std::string type = r.type.empty() ? "a" : r.type;
  std::vector<bpf_insn> block;
  bool match_all = true;
  if (type == "c" || type == "b") {
    block.push_back(jmp_imm(BPF_JNE, kType, type == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    int32_t access = access_bits(r);
    if (access != kAllAccess) {
      block.push_back(mov32_reg(R1, kAccess));
      if (r.allow) {
        // allow: skip unless (requested & ~allowed) == 0
        block.push_back(alu32_imm(BPF_AND, R1, ~access & kAllAccess));
        block.push_back(jmp_imm(BPF_JNE, R1, 0));
      } else {
        // deny: skip unless (requested & denied) != 0
        block.push_back(alu32_imm(BPF_AND, R1, access));
        block.push_back(jmp_imm(BPF_JEQ, R1, 0));
      }
    }
    if (r.major && *r.major >= 0) block.push_back(jmp_imm(BPF_JNE, kMajor, static_cast<int32_t>(*r.major)));
    if (r.minor && *r.minor >= 0) block.push_back(jmp_imm(BPF_JNE, kMinor, static_cast<int32_t>(*r.minor)));
    match_all = false;
  } else if (type == "a") {
    // 'a' is every device with every access, whatever else the rule says: the
    // v1 kernel reads "a" that way, and the v1 driver writes "a *:* rwm".
  } else {
    throw Error("device rule \"" + describe(r) + "\": invalid type \"" + type + "\" (want a, b or c)", EINVAL);
  }
  if ((r.major && *r.major > INT32_MAX) || (r.minor && *r.minor > INT32_MAX))
    throw Error("device rule \"" + describe(r) + "\": device number out of range", EINVAL);
  block.push_back(mov64_imm(R0, r.allow ? 1 : 0));
  block.push_back(exit_insn());
  // Every jump so far goes to the first instruction after the block.
  for (size_t i = 0; i < block.size(); ++i)
    if ((block[i].code & 0x07) == BPF_JMP && (block[i].code & 0xf0) != BPF_EXIT)
      block[i].off = static_cast<int16_t>(block.size() - (i + 1));
  prog.insert(prog.end(), block.begin(), block.end());
  return !match_all;
}

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }
uint64_t ptr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// bpf(BPF_PROG_LOAD); log_buf non-null asks the verifier for its log.
long prog_load(const std::vector<bpf_insn>& insns, char* log_buf, uint32_t log_size) {
  static const char kLicense[] = "Apache";  // device programs call no GPL-only helper
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr(insns.data());
  attr.insn_cnt = static_cast<uint32_t>(insns.size());
  attr.license = ptr(kLicense);
  if (log_buf) {
    attr.log_buf = ptr(log_buf);
    attr.log_size = log_size;
    attr.log_level = 1;
  }
  return sys_bpf(BPF_PROG_LOAD, attr);
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<bpf_insn> prog = {
      ldx_w(kType, R1, 0),  // access_type: (access << 16) | type
      alu32_imm(BPF_AND, kType, 0xffff),
      ldx_w(kAccess, R1, 0),
      alu32_imm(BPF_RSH, kAccess, 16),
      ldx_w(kMajor, R1, 4),
      ldx_w(kMinor, R1, 8),
  };
  // Last match wins: test the rules from the last one backwards.
  bool reachable = true;
  for (auto it = rules.rbegin(); it != rules.rend() && reachable; ++it) reachable = append_rule(prog, *it);
  if (reachable) {
    prog.push_back(mov64_imm(R0, 0));  // no rule matched: deny
    prog.push_back(exit_insn());
  }
  return prog;
}

UniqueFd load_device_program(const std::vector<bpf_insn>& insns) {
  long fd = prog_load(insns, nullptr, 0);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  std::string msg = "load the cgroup v2 device eBPF program (" + std::to_string(insns.size()) +
                    " instructions): bpf(BPF_PROG_LOAD): " + std::strerror(err);
  if (err == EPERM) msg += " (needs CAP_BPF or CAP_SYS_ADMIN)";
  // Load again with the verifier's log, for the error message only.
  std::string log(64 * 1024, '\0');
  long fd2 = prog_load(insns, log.data(), static_cast<uint32_t>(log.size()));
  if (fd2 >= 0) {
    // Passed the second time (a transient failure such as memlock): use it.
    return UniqueFd(static_cast<int>(fd2));
  }
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  if (!log.empty()) msg += "; verifier log:\n" + log;
  throw Error(msg, err);
}

std::vector<uint32_t> attached_device_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(16);
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = ptr(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (sys_bpf(BPF_PROG_QUERY, attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    // ENOSPC: more programs than room; prog_cnt now says how many.
    if (errno == ENOSPC && attr.query.prog_cnt > ids.size()) {
      ids.resize(attr.query.prog_cnt);
      continue;
    }
    throw_errno("query the device eBPF programs of a cgroup: bpf(BPF_PROG_QUERY)");
  }
}

void install_device_filter(const std::string& dir, const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<bpf_insn> insns = device_filter_program(rules);
  UniqueFd cg(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!cg) throw_errno("open cgroup " + dir + " to attach the device eBPF program");
  std::vector<uint32_t> old;
  try {
    old = attached_device_programs(cg.get());
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + dir + ")", e.code());
  }
  UniqueFd prog = load_device_program(insns);

  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cg.get());
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, attr) < 0)
    throw_errno("attach the device eBPF program to cgroup " + dir + ": bpf(BPF_PROG_ATTACH)");

  // The new filter is in force; the old ones only narrow it further. Remove them.
  for (uint32_t id : old) {
    std::memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    long ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, attr);
    if (ofd < 0) {
      if (errno == ENOENT) continue;  // gone meanwhile
      throw_errno("detach the old device eBPF program " + std::to_string(id) + " from cgroup " + dir +
                  ": bpf(BPF_PROG_GET_FD_BY_ID)");
    }
    UniqueFd old_fd(static_cast<int>(ofd));
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cg.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(old_fd.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT)
      throw_errno("detach the old device eBPF program " + std::to_string(id) + " from cgroup " + dir +
                  ": bpf(BPF_PROG_DETACH)");
  }
}

}  // namespace berth::cgroups
