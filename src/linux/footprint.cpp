// The init is a clone of berth, so it has faulted in every code page that the
// whole set-up touched (plus the kernel's fault-around neighbours): about 1 MiB
// of the binary that it will never run again. Zapping those mappings' PTEs is
// cheap and safe for read-only file-backed segments (they are never written, so
// nothing private is discarded); the few pages still needed before execve fault
// back in from the page cache.
#include "berth/linux/footprint.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace berth::linux_ {
namespace {

int drop_readonly_segments(struct dl_phdr_info* info, size_t, void*) {
  // Only the main program (the first object reported); libc and friends are
  // shared with every other process, so they cost the init little.
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    uintptr_t start = (info->dlpi_addr + ph.p_vaddr) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_memsz + page - 1) & ~(page - 1);
    (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  return 1;  // stop after the main program
}

}  // namespace

void trim_heap() noexcept { ::malloc_trim(0); }

void drop_code_pages() noexcept { ::dl_iterate_phdr(drop_readonly_segments, nullptr); }

}  // namespace berth::linux_
