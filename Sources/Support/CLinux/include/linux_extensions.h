#pragma once

// GNU extensions of glibc that Swift's Glibc module does not declare (it is built without
// _GNU_SOURCE): a thread's CPU affinity, and reserving a file's disk space ahead of its writes.

/// A set of CPUs: bit `n % 64` of word `n / 64` is CPU `n` (1024 CPUs, as glibc's cpu_set_t).
typedef struct {
    unsigned long long words[16];
} regie_cpu_mask;

/// Reads the calling thread's CPU mask; 0 on success, -1 (errno set) otherwise.
int regie_thread_affinity(regie_cpu_mask *mask);

/// Restricts the calling thread to `mask`; 0 on success, -1 (errno set) otherwise. Threads it
/// starts afterwards inherit the mask.
int regie_set_thread_affinity(const regie_cpu_mask *mask);

/// Reserves `bytes` of disk space for the file behind `fd` from offset 0 without changing its
/// size (fallocate FALLOC_FL_KEEP_SIZE): appends then use the reserved blocks and cannot fail for
/// want of space while the reserve lasts. 0 on success, -1 (errno set: EOPNOTSUPP on file systems
/// that cannot, ENOSPC when the space is not there) otherwise.
int regie_reserve_space(int fd, long long bytes);

/// Opens `path` relative to the folder `dirfd` without ever leaving it (openat2 with
/// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): `..`, absolute symbolic links and links that climb
/// out fail with EXDEV, in one system call and with no window between the check and the open.
/// Returns the descriptor, or -1 with errno set (ENOSYS where the kernel or a seccomp filter
/// lacks openat2: the caller then checks the path itself).
int regie_open_beneath(int dirfd, const char *path, int flags);
