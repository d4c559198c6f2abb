// cgroups/devices_bpf: the instructions generated for known rules, their
// meaning (run through a small interpreter of the instructions the generator
// emits), and — as root on a host with a cgroup2 mount — the real kernel:
// a program attached to a fresh cgroup lets a child open /dev/null and refuses
// /dev/zero with EPERM, and a second install replaces the first. The same
// cgroup2 fixture checks clone3(CLONE_INTO_CGROUP), which the v2 driver uses
// to have the container's init born in its cgroup.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "berth/cgroups/devices.hpp"
#include "berth/cgroups/devices_bpf.hpp"
#include "berth/linux/syscalls.hpp"
#include "berth/util/error.hpp"

#include "error_of.hpp"

namespace cg = berth::cgroups;
namespace oci = berth::oci;

namespace {

using Rule = oci::DeviceCgroupRule;
Rule allow(const char* t, std::optional<int64_t> ma, std::optional<int64_t> mi, const char* acc) {
  return {true, t, ma, mi, acc};
}
Rule deny(const char* t, std::optional<int64_t> ma, std::optional<int64_t> mi, const char* acc) {
  return {false, t, ma, mi, acc};
}

// Runs a generated program on one request, as the kernel would. Supports the
// instructions device_filter_program emits and fails the test on any other.
int run(const std::vector<bpf_insn>& p, int type, int access, uint32_t major, uint32_t minor) {
  uint32_t ctx[3] = {static_cast<uint32_t>(access << 16 | type), major, minor};
  uint64_t r[11] = {};
  for (size_t pc = 0; pc < p.size(); ++pc) {
    const bpf_insn& i = p[pc];
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        REQUIRE(i.src_reg == 1);
        REQUIRE((i.off == 0 || i.off == 4 || i.off == 8));
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & imm); break;
      case BPF_ALU | BPF_RSH | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm; break;
      case BPF_ALU | BPF_MOV | BPF_X: r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]); break;
      case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = imm; break;
      case BPF_JMP | BPF_JNE | BPF_K: if (r[i.dst_reg] != imm) pc += i.off; break;
      case BPF_JMP | BPF_JEQ | BPF_K: if (r[i.dst_reg] == imm) pc += i.off; break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(r[0]);
      default: FAIL("unexpected instruction code " << int(i.code) << " at " << pc);
    }
  }
  FAIL("fell off the end of the program");
  return -1;
}
constexpr int C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
constexpr int R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;

}  // namespace

TEST_CASE("devices_bpf: instructions for deny-all + allow c 1:3 rwm") {
  auto p = cg::device_filter_program({deny("a", {}, {}, "rwm"), allow("c", 1, 3, "rwm")});
  // prologue (6), the /dev/null block (5), the deny-all verdict (2), no epilogue
  REQUIRE(p.size() == 13);
  CHECK(p[0].code == (BPF_LDX | BPF_MEM | BPF_W));
  CHECK(p[1].code == (BPF_ALU | BPF_AND | BPF_K));
  CHECK(p[1].imm == 0xffff);
  CHECK(p[3].code == (BPF_ALU | BPF_RSH | BPF_K));
  CHECK(p[3].imm == 16);
  CHECK((p[4].off == 4 && p[5].off == 8));
  // if type != char goto +4; if major != 1 goto +3; if minor != 3 goto +2; r0 = 1; exit
  CHECK(p[6].code == (BPF_JMP | BPF_JNE | BPF_K));
  CHECK(p[6].imm == BPF_DEVCG_DEV_CHAR);
  CHECK(p[6].off == 4);
  CHECK((p[7].imm == 1 && p[7].off == 3 && p[7].dst_reg == 4));
  CHECK((p[8].imm == 3 && p[8].off == 2 && p[8].dst_reg == 5));
  CHECK((p[9].code == (BPF_ALU64 | BPF_MOV | BPF_K) && p[9].dst_reg == 0 && p[9].imm == 1));
  CHECK(p[10].code == (BPF_JMP | BPF_EXIT));
  CHECK((p[11].imm == 0 && p[12].code == (BPF_JMP | BPF_EXIT)));
}

TEST_CASE("devices_bpf: partial access adds a mask test; no rules = deny everything") {
  auto p = cg::device_filter_program({allow("c", 1, 5, "r")});
  // allow r: (requested & (w|m)) != 0 -> next
  CHECK(p[7].code == (BPF_ALU | BPF_MOV | BPF_X));
  CHECK((p[8].code == (BPF_ALU | BPF_AND | BPF_K) && p[8].imm == (W | M)));
  CHECK(p[9].code == (BPF_JMP | BPF_JNE | BPF_K));
  CHECK(p.back().code == (BPF_JMP | BPF_EXIT));
  CHECK(p[p.size() - 2].imm == 0);  // default deny
  auto none = cg::device_filter_program({});
  CHECK(none.size() == 8);
  CHECK(run(none, C, R, 1, 3) == 0);
}

TEST_CASE("devices_bpf: runc's default list, evaluated") {
  oci::Spec spec;
  auto p = cg::device_filter_program(cg::effective_device_rules(spec));
  CHECK(run(p, C, R | W, 1, 3) == 1);     // /dev/null
  CHECK(run(p, C, R, 1, 5) == 1);         // /dev/zero
  CHECK(run(p, C, R | W, 136, 7) == 1);   // /dev/pts/7
  CHECK(run(p, C, R, 1, 11) == 0);        // /dev/kmsg
  CHECK(run(p, C, M, 1, 11) == 1);        // mknod of any char device
  CHECK(run(p, B, M, 8, 0) == 1);         // mknod of any block device
  CHECK(run(p, B, R, 8, 0) == 0);         // but not reading it
  CHECK(run(p, C, R | M, 1, 11) == 0);    // mknod alone is allowed, not with read
  CHECK(run(p, C, R, 10, 229) == 0);      // /dev/fuse: not in the defaults
}

TEST_CASE("devices_bpf: the last matching rule wins; deny rules match on any shared access") {
  std::vector<Rule> rules = {deny("a", {}, {}, "rwm"), allow("c", 1, {}, "rwm"), deny("c", 1, 5, "w")};
  auto p = cg::device_filter_program(rules);
  CHECK(run(p, C, R, 1, 5) == 1);
  CHECK(run(p, C, W, 1, 5) == 0);
  CHECK(run(p, C, R | W, 1, 5) == 0);  // as v1's devices.deny: the w part is refused
  CHECK(run(p, C, R | W, 1, 9) == 1);  // the wildcard minor
  CHECK(run(p, B, R, 1, 9) == 0);
  // an allow after a deny of the same device lets it through again
  rules.push_back(allow("c", 1, 5, "rw"));
  p = cg::device_filter_program(rules);
  CHECK(run(p, C, R | W, 1, 5) == 1);
  CHECK(run(p, C, M, 1, 5) == 1);  // from "allow c 1:* rwm"
  // allow-all at the end: nothing before it is even emitted
  rules.push_back(allow("a", {}, {}, "rwm"));
  auto all = cg::device_filter_program(rules);
  CHECK(all.size() == 8);
  CHECK(run(all, B, R | W | M, 8, 0) == 1);
}

TEST_CASE("devices_bpf: invalid rules are refused with the rule named") {
  auto err = [](const Rule& r) { return error_of([&] { cg::device_filter_program({r}); }); };
  CHECK(err(allow("u", 1, 1, "rwm")) == "device rule \"allow u 1:1 rwm\": invalid type \"u\" (want a, b or c)");
  CHECK(err(deny("c", 1, {}, "rx")) == "device rule \"deny c 1:* rx\": invalid access 'x' (want r, w, m)");
}

// ---- the kernel ----

namespace {

// The first cgroup2 mount of this host ("" if none).
std::string cgroup2_mount() {
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos || line.compare(sep + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream pre(line.substr(0, sep));
    std::string id, parent, dev, root, mnt;
    pre >> id >> parent >> dev >> root >> mnt;
    return mnt;
  }
  return "";
}

// A cgroup made for the test and removed (after its processes are gone) at the end.
struct TempCgroup {
  std::string dir;
  explicit TempCgroup(const std::string& mnt) {
    dir = mnt + "/berth-unit-bpf-" + std::to_string(::getpid());
    if (::mkdir(dir.c_str(), 0755) < 0) dir.clear();
  }
  ~TempCgroup() {
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

// Forks a child that joins `dir` and tries to open `dev`; returns 0 if the
// open worked, else the errno it failed with.
int open_in_cgroup(const std::string& dir, const char* dev, int flags) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(200);
    ::close(fd);
    int d = ::open(dev, flags | O_CLOEXEC);
    ::_exit(d >= 0 ? 0 : errno);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

}  // namespace

TEST_CASE("devices_bpf: the kernel enforces the program; a second install replaces the first") {
  std::string mnt = cgroup2_mount();
  if (::geteuid() != 0 || mnt.empty()) {
    MESSAGE("skipped: needs root and a cgroup2 mount");
    return;
  }
  TempCgroup cgroup(mnt);
  REQUIRE_MESSAGE(!cgroup.dir.empty(), "mkdir in " << mnt << ": " << std::strerror(errno));

  cg::install_device_filter(cgroup.dir, {deny("a", {}, {}, "rwm"), allow("c", 1, 3, "rwm")});
  berth::UniqueFd fd(::open(cgroup.dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  auto first = cg::attached_device_programs(fd.get());
  CHECK(first.size() == 1);
  CHECK(open_in_cgroup(cgroup.dir, "/dev/null", O_RDWR) == 0);
  CHECK(open_in_cgroup(cgroup.dir, "/dev/zero", O_RDONLY) == EPERM);

  cg::install_device_filter(cgroup.dir, {deny("a", {}, {}, "rwm"), allow("c", 1, 3, "rwm"), allow("c", 1, 5, "r")});
  auto second = cg::attached_device_programs(fd.get());
  REQUIRE(second.size() == 1);
  CHECK(second[0] != first[0]);
  CHECK(open_in_cgroup(cgroup.dir, "/dev/zero", O_RDONLY) == 0);
  CHECK(open_in_cgroup(cgroup.dir, "/dev/zero", O_RDWR) == EPERM);
}

TEST_CASE("devices_bpf: a program the verifier refuses: the error carries the verifier log") {
  std::string mnt = cgroup2_mount();
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root");
    return;
  }
  // r0 = 0 and no exit: the verifier refuses to fall off the end
  bpf_insn i{};
  i.code = BPF_ALU64 | BPF_MOV | BPF_K;
  std::string msg;
  try {
    cg::load_device_program({i});
  } catch (const berth::Error& e) {
    msg = e.what();
  }
  CHECK(msg.find("load the cgroup v2 device eBPF program (1 instructions): bpf(BPF_PROG_LOAD): ") == 0);
  CHECK(msg.find("verifier log:") != std::string::npos);
}

TEST_CASE("clone3 CLONE_INTO_CGROUP: the child is born in the cgroup") {
  std::string mnt = cgroup2_mount();
  if (::geteuid() != 0 || mnt.empty()) {
    MESSAGE("skipped: needs root and a cgroup2 mount");
    return;
  }
  TempCgroup cgroup(mnt);
  REQUIRE(!cgroup.dir.empty());
  berth::UniqueFd fd(::open(cgroup.dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  std::string want = "0::" + cgroup.dir.substr(mnt.size());
  int pidfd = -1;
  pid_t pid = berth::sys::clone3_fork(CLONE_PIDFD | CLONE_INTO_CGROUP, &pidfd, static_cast<uint64_t>(fd.get()));
  if (pid == 0) {
    // the first thing the child sees: already in the cgroup
    std::ifstream f("/proc/self/cgroup");
    std::string line;
    while (std::getline(f, line))
      if (line == want) ::_exit(0);
    ::_exit(1);
  }
  REQUIRE_MESSAGE(pid > 0, "clone3: " << std::strerror(errno));
  berth::UniqueFd owned(pidfd);
  int st = 0;
  ::waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
}
