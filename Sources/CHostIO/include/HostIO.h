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

#endif
