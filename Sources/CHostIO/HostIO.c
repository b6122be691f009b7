#define _GNU_SOURCE
#include "HostIO.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/statfs.h>
#endif
#ifdef __linux__
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
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

int vb_openat2(int dirfd, const char *path, int flags, unsigned int mode, uint64_t resolve) {
#if defined(__linux__) && defined(SYS_openat2)
    struct open_how how = {0};
    how.flags = (uint64_t)(unsigned int)flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    (void)dirfd; (void)path; (void)flags; (void)mode; (void)resolve;
    errno = ENOSYS;
    return -1;
#endif
}

#ifdef __linux__
const uint64_t vb_resolve_beneath = RESOLVE_BENEATH;
const uint64_t vb_resolve_no_symlinks = RESOLVE_NO_SYMLINKS;
const uint64_t vb_resolve_no_magiclinks = RESOLVE_NO_MAGICLINKS;
#else
const uint64_t vb_resolve_beneath = 0;
const uint64_t vb_resolve_no_symlinks = 0;
const uint64_t vb_resolve_no_magiclinks = 0;
#endif

#ifdef __linux__
const int vb_o_path = O_PATH;
const int vb_at_empty_path = AT_EMPTY_PATH;
#else
const int vb_o_path = 0;
const int vb_at_empty_path = 0;
#endif
const long vb_utime_now = UTIME_NOW;
const long vb_utime_omit = UTIME_OMIT;

int64_t vb_file_system_type(int fd) {
#ifdef __linux__
    struct statfs info;
    if (fstatfs(fd, &info) != 0) return -1;
    return (int64_t)(uint64_t)info.f_type;
#else
    (void)fd;
    errno = ENOSYS;
    return -1;
#endif
}
