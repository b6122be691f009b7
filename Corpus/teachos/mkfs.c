/*
 * mkfs.c — the host tool that makes TeachOS's disk image: `mkfs fs.img` writes a formatted
 * TFS (fs.h) of FS_BLOCKS blocks holding the files the kernel's tests expect:
 *
 *   /hello.txt        HELLO_TEXT
 *   /big.bin          BIG_SIZE bytes, byte i = BIG_BYTE(i): more than the direct blocks hold
 *   /docs/readme.txt  README_TEXT
 *   /boots            a 4-byte little-endian boot counter, 0
 *   /persist          empty; each boot checks the previous boot's data in it and writes its own
 *
 * The image is the same, byte for byte, every time: the test makes one for QEMU and one for
 * VirtBench with this tool. Built for the build host (`clang -O2 -o mkfs mkfs.c`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"

static uint8_t image[FS_BLOCKS][BSIZE];
static struct superblock sb;
static uint32_t next_block, next_inode = ROOTINO;

static struct dinode *inode(uint32_t inum) {
    return (struct dinode *)image[IBLOCK(inum, sb)] + inum % IPB;
}

static uint32_t alloc_block(void) {
    if (next_block >= FS_BLOCKS) { fprintf(stderr, "mkfs: disk full\n"); exit(1); }
    return next_block++;
}

static uint32_t alloc_inode(uint16_t type) {
    uint32_t inum = next_inode++;
    struct dinode *d = inode(inum);
    d->type = type;
    d->nlink = 1;
    return inum;
}

/* Appends n bytes to the inode's contents (as the kernel's writei would). */
static void append(uint32_t inum, const void *data, uint32_t n) {
    struct dinode *d = inode(inum);
    const uint8_t *p = data;
    while (n) {
        uint32_t bn = d->size / BSIZE, off = d->size % BSIZE, chunk = BSIZE - off;
        if (chunk > n) chunk = n;
        uint32_t *slot;
        if (bn < NDIRECT) {
            slot = &d->addrs[bn];
        } else {
            if (bn - NDIRECT >= NINDIRECT) { fprintf(stderr, "mkfs: file too big\n"); exit(1); }
            if (!d->addrs[NDIRECT]) d->addrs[NDIRECT] = alloc_block();
            slot = (uint32_t *)image[d->addrs[NDIRECT]] + (bn - NDIRECT);
        }
        if (!*slot) *slot = alloc_block();
        memcpy(image[*slot] + off, p, chunk);
        d->size += chunk;
        p += chunk;
        n -= chunk;
    }
}

static void link_entry(uint32_t dir, const char *name, uint32_t inum) {
    struct dirent de;
    memset(&de, 0, sizeof de);
    de.inum = inum;
    strncpy(de.name, name, DIRSIZ - 1);
    append(dir, &de, sizeof de);
}

static uint32_t make_dir(uint32_t parent) {
    uint32_t inum = alloc_inode(T_DIR);
    link_entry(inum, ".", inum);
    link_entry(inum, "..", parent ? parent : inum);
    if (parent) inode(parent)->nlink++;
    return inum;
}

static uint32_t make_file(uint32_t dir, const char *name, const void *data, uint32_t n) {
    uint32_t inum = alloc_inode(T_FILE);
    append(inum, data, n);
    link_entry(dir, name, inum);
    return inum;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: mkfs fs.img\n"); return 2; }
    uint32_t inode_blocks = (FS_INODES + IPB - 1) / IPB, bitmap_blocks = (FS_BLOCKS + BPB - 1) / BPB;
    sb = (struct superblock){FSMAGIC, FS_BLOCKS, FS_INODES, 2, 2 + inode_blocks, 2 + inode_blocks + bitmap_blocks};
    next_block = sb.datastart;

    uint32_t root = make_dir(0);
    if (root != ROOTINO) { fprintf(stderr, "mkfs: root is not inode %d\n", ROOTINO); return 1; }
    make_file(root, "hello.txt", HELLO_TEXT, sizeof HELLO_TEXT - 1);
    static uint8_t big[BIG_SIZE];
    for (uint32_t i = 0; i < BIG_SIZE; i++) big[i] = BIG_BYTE(i);
    make_file(root, "big.bin", big, BIG_SIZE);
    uint32_t docs = make_dir(root);
    link_entry(root, "docs", docs);
    make_file(docs, "readme.txt", README_TEXT, sizeof README_TEXT - 1);
    uint8_t zero[4] = {0, 0, 0, 0};
    make_file(root, "boots", zero, sizeof zero);
    make_file(root, "persist", 0, 0);

    memcpy(image[1], &sb, sizeof sb);
    for (uint32_t b = 0; b < next_block; b++) image[BBLOCK(b, sb)][(b % BPB) / 8] |= (uint8_t)(1u << (b % 8));

    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(image, sizeof image, 1, f) != 1 || fclose(f) != 0) { perror(argv[1]); return 1; }
    return 0;
}
