#include "berth/linux/seccomp_enosys.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstddef>

#include "berth/util/error.hpp"

namespace berth::linux_ {
namespace {

constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT

// An instruction whose jumps name labels, resolved once the layout is known.
enum Label : int { kNext = -1, kEnosys = -2, kFilter = -3 };
struct Ins {
  uint16_t code;
  uint32_t k;
  int jt = kNext, jf = kNext;  // a label, or the index of an instruction of the stub
};

// The kernel's view: every x86-64 mode reports AUDIT_ARCH_X86_64; x32 sets a bit in the number.
uint32_t audit_arch(uint32_t token) { return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token; }

}  // namespace

std::vector<sock_filter> enosys_stub(const std::map<uint32_t, uint32_t>& largest) {
  if (largest.empty()) return {};
  // audit arch -> {token -> largest}: x86_64 and x32 share one section.
  std::map<uint32_t, std::map<uint32_t, uint32_t>> by_arch;
  for (const auto& [token, nr] : largest) by_arch[audit_arch(token)][token] = nr;

  std::vector<Ins> ins;
  ins.push_back({BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)});
  std::vector<size_t> dispatch;  // the jeq of each section, its jt filled below
  for (const auto& entry : by_arch) {
    dispatch.push_back(ins.size());
    ins.push_back({BPF_JMP | BPF_JEQ | BPF_K, entry.first, kNext, kNext});
  }
  ins.push_back({BPF_JMP | BPF_JA, 0, kFilter, kFilter});  // another architecture: the filter decides
  size_t k = 0;
  for (const auto& [arch, tokens] : by_arch) {
    ins[dispatch[k++]].jt = static_cast<int>(ins.size());
    ins.push_back({BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)});
    auto above = [&](uint32_t nr) { ins.push_back({BPF_JMP | BPF_JGT | BPF_K, nr, kEnosys, kFilter}); };
    if (arch == AUDIT_ARCH_X86_64) {
      auto x64 = tokens.find(SCMP_ARCH_X86_64);
      auto x32 = tokens.find(SCMP_ARCH_X32);
      if (x64 != tokens.end() && x32 != tokens.end()) {
        size_t jset = ins.size();
        ins.push_back({BPF_JMP | BPF_JSET | BPF_K, kX32Bit, kNext, kNext});
        above(x64->second);
        ins[jset].jt = static_cast<int>(ins.size());
        above(x32->second);
      } else if (x64 != tokens.end()) {
        ins.push_back({BPF_JMP | BPF_JSET | BPF_K, kX32Bit, kFilter, kNext});  // x32: the filter decides
        above(x64->second);
      } else {
        ins.push_back({BPF_JMP | BPF_JSET | BPF_K, kX32Bit, kNext, kFilter});  // x86-64: the filter decides
        above(x32->second);
      }
    } else {
      above(tokens.begin()->second);
    }
  }
  const size_t enosys = ins.size();
  const size_t filter = enosys + 1;
  ins.push_back({BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)});

  auto target = [&](size_t pc, int label) -> size_t {
    if (label == kNext) return pc + 1;
    if (label == kEnosys) return enosys;
    if (label == kFilter) return filter;
    return static_cast<size_t>(label);
  };
  std::vector<sock_filter> out;
  for (size_t pc = 0; pc < ins.size(); ++pc) {
    const Ins& i = ins[pc];
    sock_filter f{i.code, 0, 0, i.k};
    if (BPF_CLASS(i.code) == BPF_JMP) {
      if (BPF_OP(i.code) == BPF_JA) {
        f.k = static_cast<uint32_t>(target(pc, i.jt) - pc - 1);
      } else {
        size_t jt = target(pc, i.jt) - pc - 1, jf = target(pc, i.jf) - pc - 1;
        if (jt > 255 || jf > 255) throw Error("seccomp ENOSYS stub: too many architectures for a BPF jump");
        f.jt = static_cast<uint8_t>(jt);
        f.jf = static_cast<uint8_t>(jf);
      }
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace berth::linux_
