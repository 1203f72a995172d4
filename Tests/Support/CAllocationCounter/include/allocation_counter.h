#pragma once

// Counts heap allocations made by the calling thread between begin and end, so tests can pin
// the real-time rule "no allocation after prepare" (as swift-nio does with its allocation tests).
// malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign are interposed for the
// whole test process and forward to glibc's __libc_* entry points; only counting is added.

/// Starts counting allocations on this thread (resets the count).
void regie_allocation_counting_begin(void);
/// Stops counting on this thread and returns the number of allocations since begin.
long regie_allocation_counting_end(void);
