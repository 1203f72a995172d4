#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <string.h>

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
