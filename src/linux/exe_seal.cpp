// See exe_seal.hpp for why and what.
#include "berth/linux/exe_seal.hpp"
#include "berth/linux/exe_view.hpp"

#include <elf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

extern char** environ;

namespace berth::linux_ {
namespace {

// Set by the re-exec, read and removed at once by the sealed process: its value
// is the original binary's identity.
constexpr const char* kMarker = "_BERTH_SEALED_EXE";

std::string& identity_slot() {
  static std::string id;
  return id;
}

std::string identity_of(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// The running binary's directory (O_PATH) and file name; false if it cannot be named
// (deleted, ...).
bool binary_location(UniqueFd& dirfd, std::string& base) {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return false;
  std::string p(path, static_cast<size_t>(n));
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return false;
  std::string dir = slash == 0 ? "/" : p.substr(0, slash);
  base = p.substr(slash + 1);
  dirfd.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  return static_cast<bool>(dirfd);
}

// The binary seen through a read-only overlayfs of its directory: root's persistent
// view (exe_view.hpp), else one made for this call and detached; empty (errno set)
// where overlayfs cannot be mounted (no CAP_SYS_ADMIN, a deleted binary, ...).
UniqueFd overlay_copy(const struct stat& exe) {
  UniqueFd dirfd;
  std::string base;
  if (!binary_location(dirfd, base)) return UniqueFd();
  if (UniqueFd view = persistent_exe_view(exe, dirfd.get(), base)) return view;
  UniqueFd ovl = detached_readonly_overlay(dirfd.get());
  if (!ovl) return UniqueFd();
  UniqueFd file(::openat(ovl.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  // The directory entry must still be the binary we run (not renamed or replaced meanwhile).
  if (!file || !is_readonly_view_of(file.get(), exe)) {
    errno = ESTALE;
    return UniqueFd();
  }
  return file;
}

// How much of the ELF file `exe` an exec needs: up to the end of the furthest
// segment (program headers included). What follows is the section headers and, in
// a RelWithDebInfo build, ~90 % of the file in debug sections no exec reads. The
// whole `size` if the file is not an ELF64 file this code understands.
off_t exec_extent(int exe, off_t size) {
  Elf64_Ehdr eh {};
  if (::pread(exe, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
    return size;
  Elf64_Phdr ph[64];
  const size_t len = sizeof(Elf64_Phdr) * eh.e_phnum;
  if (::pread(exe, ph, len, static_cast<off_t>(eh.e_phoff)) != static_cast<ssize_t>(len)) return size;
  uint64_t end = eh.e_phoff + len;
  for (size_t i = 0; i < eh.e_phnum; ++i)
    if (ph[i].p_offset + ph[i].p_filesz > end) end = ph[i].p_offset + ph[i].p_filesz;
  return end <= static_cast<uint64_t>(size) ? static_cast<off_t>(end) : size;
}

// A memfd copy of the binary (the part an exec reads: exec_extent), sealed: no write,
// shrink, grow or change of the seals.
UniqueFd memfd_copy(int exe, off_t file_size) {
  const off_t size = exec_extent(exe, file_size);
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
#ifdef MFD_EXEC
  flags |= MFD_EXEC;
#endif
  UniqueFd mem(::memfd_create("berth-sealed", flags));
#ifdef MFD_EXEC
  if (!mem && errno == EINVAL) mem.reset(::memfd_create("berth-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
#endif
  if (!mem) throw_errno("memfd_create for the sealed copy of berth");
  off_t off = 0;
  while (off < size) {
    ssize_t n = ::sendfile(mem.get(), exe, &off, static_cast<size_t>(size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("copy /proc/self/exe into a memfd");
    if (n == 0) throw Error("copy /proc/self/exe into a memfd: the binary shrank while being copied");
  }
  if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    throw_errno("seal the memfd copy of berth");
  return mem;
}

// Is /proc/self/exe one of the two sealed kinds?
bool running_sealed() {
  struct statfs sfs {};
  if (::statfs("/proc/self/exe", &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC && (sfs.f_flags & ST_RDONLY))
    return true;
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return false;
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  constexpr int kNeed = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  return seals >= 0 && (seals & kNeed) == kNeed;
}

}  // namespace

void reexec_sealed(char** argv) {
  if (const char* m = std::getenv(kMarker)) {
    identity_slot() = m;
    ::unsetenv(kMarker);  // nothing berth starts (hooks, the container) sees it
    if (!running_sealed())
      throw Error(std::string(kMarker) + " is set but /proc/self/exe is not a sealed copy of berth", EPERM);
    return;
  }
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) throw_errno("open /proc/self/exe");
  struct stat st {};
  if (::fstat(exe.get(), &st) < 0) throw_errno("stat /proc/self/exe");
  UniqueFd sealed = overlay_copy(st);
  // Where overlayfs cannot be mounted (no CAP_SYS_ADMIN: rootless), the memfd.
  // (No log: this may run before main, before logging is set up.)
  if (!sealed) sealed = memfd_copy(exe.get(), st.st_size);
  exe.reset();
  std::string id = identity_of(st);
  if (::setenv(kMarker, id.c_str(), 1) < 0) throw_errno("setenv " + std::string(kMarker));
  ::syscall(SYS_execveat, sealed.get(), "", argv, environ, AT_EMPTY_PATH);
  int err = errno;
  ::unsetenv(kMarker);
  throw_errno("re-execute berth from its sealed copy", err);
}

std::string berth_binary_identity() {
  if (!identity_slot().empty()) return identity_slot();
  struct stat st {};
  if (::stat("/proc/self/exe", &st) < 0) return "unknown";
  return identity_of(st);
}

}  // namespace berth::linux_
