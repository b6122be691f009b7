/*
 * fs.h — TeachOS's on-disk file system ("TFS"), shared by the kernel (fs.c) and the host tool
 * that formats a disk image (mkfs.c), so the two cannot disagree about the layout.
 *
 * The disk is an array of BSIZE-byte blocks (two 512-byte virtio-blk sectors each):
 *
 *   block 0              unused (a boot block, by tradition)
 *   block 1              the superblock
 *   blocks inodestart..  the inode table, IPB inodes per block
 *   blocks bmapstart..   the free-block bitmap, one bit per block of the disk (1 = in use)
 *   blocks datastart..   data blocks: file contents, directories, indirect blocks
 *
 * An inode lists NDIRECT direct blocks and one single-indirect block of NINDIRECT more, so a
 * file holds at most MAXFILE blocks. A directory is a file of struct dirent; inum 0 marks a
 * free entry. Inode 0 is never used; the root directory is inode ROOTINO. All integers are
 * little-endian, as RISC-V and x86-64 both store them.
 */
#ifndef TEACHOS_FS_H
#define TEACHOS_FS_H

#include <stdint.h>

#define BSIZE      1024                     /* bytes per block */
#define FSMAGIC    0x31534f54u              /* "TOS1" */
#define ROOTINO    1
#define NDIRECT    12
#define NINDIRECT  (BSIZE / sizeof(uint32_t))
#define MAXFILE    (NDIRECT + NINDIRECT)
#define DIRSIZ     28                        /* name bytes in a directory entry, NUL-padded */

struct superblock {
    uint32_t magic;       /* FSMAGIC */
    uint32_t size;        /* blocks on the disk */
    uint32_t ninodes;     /* inodes in the table */
    uint32_t inodestart;  /* first block of the inode table */
    uint32_t bmapstart;   /* first block of the bitmap */
    uint32_t datastart;   /* first data block */
};

/* Inode types. */
#define T_FREE 0
#define T_DIR  1
#define T_FILE 2

struct dinode {
    uint16_t type;                 /* T_FREE, T_DIR or T_FILE */
    uint16_t nlink;                /* directory entries naming this inode */
    uint32_t size;                 /* bytes */
    uint32_t addrs[NDIRECT + 1];   /* direct blocks, then the indirect block; 0 = none */
    uint32_t reserved;
};
_Static_assert(sizeof(struct dinode) == 64, "an inode is 64 bytes");

#define IPB          (BSIZE / sizeof(struct dinode))   /* inodes per block */
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)   /* block holding inode i */
#define BPB          (BSIZE * 8)                       /* bitmap bits per block */
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)     /* bitmap block holding block b's bit */

struct dirent {
    uint32_t inum;
    char name[DIRSIZ];
};
_Static_assert(sizeof(struct dirent) == 32, "a directory entry is 32 bytes");

/* What mkfs writes, and what the kernel's tests expect to find. */
#define FS_BLOCKS      2048                 /* a 2 MiB image */
#define FS_INODES      128
#define HELLO_TEXT     "Hello from TeachOS's mkfs.\nThis file was written on the host.\n"
#define README_TEXT    "docs/readme.txt: found through a subdirectory.\n"
#define BIG_SIZE       (40 * 1024 + 123)   /* more than NDIRECT blocks: needs the indirect block */
/* Byte i of big.bin. */
#define BIG_BYTE(i)    ((uint8_t)(((i) * 31u + ((i) >> 10) * 7u) & 0xff))

#endif
