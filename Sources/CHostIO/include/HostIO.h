// Host file operations that Swift's Glibc module does not export: fallocate(2) is declared
// only under _GNU_SOURCE, and its FALLOC_FL_* modes come from <linux/falloc.h>. Used by the
// virtio block device for discard and write-zeroes on raw images (Sources/Virtio/RawFileDisk.swift).
#ifndef VIRTBENCH_HOST_IO_H
#define VIRTBENCH_HOST_IO_H

#include <stdint.h>

// Deallocates [offset, offset + length) of the file, keeping its size: the range then reads as
// zeros. Returns 0, or -1 with errno set (EOPNOTSUPP where the file system cannot punch holes);
// always -1 (ENOSYS) on hosts other than Linux.
int vb_punch_hole(int fd, int64_t offset, int64_t length);

// Open-file-description locks (fcntl F_OFD_SETLK / F_OFD_GETLK, Linux 3.15+): held per open
// file, not per process, so two opens of one image in one process conflict as two processes do.
// F_OFD_* are declared only under _GNU_SOURCE. Used for image locking (Sources/Storage/ImageLock.swift).

// Takes (shared != 0: a read lock, else a write lock) or drops (unlock != 0) one byte at `offset`.
// Returns 0, or -1 with errno set (EAGAIN or EACCES when another open file holds a conflicting lock).
int vb_lock_byte(int fd, int64_t offset, int shared, int unlock);

// Whether some other open file holds a lock on the byte at `offset` that conflicts with an
// exclusive lock: 1 if so, 0 if not, -1 with errno set on failure.
int vb_byte_is_locked(int fd, int64_t offset);

// An anonymous memory file (memfd_create(2), Linux 3.17+, declared only under _GNU_SOURCE),
// close-on-exec. Mapped twice, once writable and once executable, it gives the block compiler
// code memory that is never writable and executable at one address (Sources/Machine/BlockCompiler.swift).
// Returns the descriptor, or -1 with errno set (ENOSYS on hosts other than Linux).
int vb_memory_file(const char *name);

// openat2(2) (Linux 5.6+), which glibc does not wrap: opens `path` relative to `dirfd` with
// `resolve`'s RESOLVE_* restrictions (<linux/openat2.h>), which the kernel enforces during the
// lookup itself, so a rename racing the lookup cannot lead it out. Used by the 9P server to keep
// every lookup inside its share (Sources/Storage/NineP). Returns the new descriptor, or -1 with
// errno set (ENOSYS where the kernel has no openat2, and on hosts other than Linux).
int vb_openat2(int dirfd, const char *path, int flags, unsigned int mode, uint64_t resolve);

// The RESOLVE_* bits of <linux/openat2.h>, for Swift (0 on hosts other than Linux).
extern const uint64_t vb_resolve_beneath;
extern const uint64_t vb_resolve_no_symlinks;
extern const uint64_t vb_resolve_no_magiclinks;

// Linux values Swift's Glibc module leaves out (declared only under _GNU_SOURCE, or macros it
// cannot import): O_PATH, AT_EMPTY_PATH, and utimensat's UTIME_NOW and UTIME_OMIT.
extern const int vb_o_path;
extern const int vb_at_empty_path;
extern const long vb_utime_now;
extern const long vb_utime_omit;

// The file system type (statfs's f_type, a magic number such as EXT4_SUPER_MAGIC) of the file
// `fd` is open on, which statvfs does not give; -1 with errno set on failure. <sys/statfs.h> is
// not part of Swift's Glibc module.
int64_t vb_file_system_type(int fd);

#endif
