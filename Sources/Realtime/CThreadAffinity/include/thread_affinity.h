#pragma once

// The CPU affinity of the calling thread. glibc declares sched_getaffinity and sched_setaffinity
// only under _GNU_SOURCE, which Swift's Glibc module is built without, hence this small C target.

/// A set of CPUs: bit `n % 64` of word `n / 64` is CPU `n` (1024 CPUs, as glibc's cpu_set_t).
typedef struct {
    unsigned long long words[16];
} regie_cpu_mask;

/// Reads the calling thread's CPU mask; 0 on success, -1 (errno set) otherwise.
int regie_thread_affinity(regie_cpu_mask *mask);

/// Restricts the calling thread to `mask`; 0 on success, -1 (errno set) otherwise. Threads it
/// starts afterwards inherit the mask.
int regie_set_thread_affinity(const regie_cpu_mask *mask);
