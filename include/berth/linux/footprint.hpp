// The resident memory a created-but-not-started container costs while its init
// waits on the exec fifo (possibly for a long time: engines create pods ahead).
#pragma once

namespace berth::linux_ {

// Returns the heap that set-up freed to the kernel (malloc_trim: madvise, brk).
void trim_heap() noexcept;

// Drops this process's page-table entries for the read-only segments of the
// berth binary (code and constants: reloaded from the page cache on the next
// touch, so nothing is lost). Called by the init as the very last thing before
// it blocks on the exec fifo: the kernel maps 16 neighbouring pages on every
// fault, so any code run afterwards brings back 64 KiB a call. Needs madvise(2)
// to return (SeccompFilter::may_madvise). Best effort: failure changes only the
// footprint.
void drop_code_pages() noexcept;

}  // namespace berth::linux_
