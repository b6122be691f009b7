#define _GNU_SOURCE
#include "HostIO.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#ifdef __linux__
#include <linux/falloc.h>
#endif

int vb_punch_hole(int fd, int64_t offset, int64_t length) {
#ifdef __linux__
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
#else
    (void)fd; (void)offset; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

int vb_lock_byte(int fd, int64_t offset, int shared, int unlock) {
#ifdef __linux__
    struct flock lock = {0};
    lock.l_type = unlock ? F_UNLCK : (shared ? F_RDLCK : F_WRLCK);
    lock.l_whence = SEEK_SET;
    lock.l_start = (off_t)offset;
    lock.l_len = 1;
    return fcntl(fd, F_OFD_SETLK, &lock);
#else
    (void)fd; (void)offset; (void)shared; (void)unlock;
    errno = ENOSYS;
    return -1;
#endif
}

int vb_byte_is_locked(int fd, int64_t offset) {
#ifdef __linux__
    struct flock lock = {0};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = (off_t)offset;
    lock.l_len = 1;
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return -1;
    return lock.l_type != F_UNLCK;
#else
    (void)fd; (void)offset;
    errno = ENOSYS;
    return -1;
#endif
}

int vb_memory_file(const char *name) {
#ifdef __linux__
    return memfd_create(name, MFD_CLOEXEC);
#else
    (void)name;
    errno = ENOSYS;
    return -1;
#endif
}
