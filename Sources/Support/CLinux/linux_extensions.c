#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <errno.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux_extensions.h"

_Static_assert(sizeof(regie_cpu_mask) == sizeof(cpu_set_t), "regie_cpu_mask mirrors cpu_set_t");

int regie_thread_affinity(regie_cpu_mask *mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;   // pid 0: the calling thread
    memcpy(mask, &set, sizeof set);
    return 0;
}

int regie_set_thread_affinity(const regie_cpu_mask *mask) {
    cpu_set_t set;
    memcpy(&set, mask, sizeof set);
    return sched_setaffinity(0, sizeof set, &set);
}

int regie_reserve_space(int fd, long long bytes) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)bytes);
}

int regie_open_beneath(int dirfd, const char *path, int flags) {
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    (void)dirfd; (void)path; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}
