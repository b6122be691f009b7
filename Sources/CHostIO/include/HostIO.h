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

#endif
