/*
 * bio.c — the buffer cache: NBUF copies of disk blocks, so blocks read often (the superblock,
 * the inode table, the bitmap, directories) are read from the disk once. A buffer in use has
 * refcnt > 0; the least recently released unused buffer is reused for a block not cached.
 * Writes go to the disk at once (write-through), so the cache never holds data the disk lacks;
 * fs_sync then asks the device to make them durable (virtio FLUSH).
 */
#include "kernel.h"

static struct buf bufs[NBUF];
static struct buf head;   /* head.next is the most recently used */
struct bcache_stats bcache_stats;

#define SECTORS_PER_BLOCK (BSIZE / 512)

void binit(void) {
    head.next = head.prev = &head;
    for (int i = 0; i < NBUF; i++) {
        struct buf *b = &bufs[i];
        b->next = head.next;
        b->prev = &head;
        head.next->prev = b;
        head.next = b;
    }
}

static struct buf *bget(uint32_t blockno) {
    for (struct buf *b = head.next; b != &head; b = b->next) {
        if (b->valid && b->blockno == blockno) {
            b->refcnt++;
            bcache_stats.hits++;
            return b;
        }
    }
    for (struct buf *b = head.prev; b != &head; b = b->prev) {
        if (b->refcnt == 0) {
            b->blockno = blockno;
            b->valid = 0;
            b->refcnt = 1;
            return b;
        }
    }
    panic("bget: every buffer is in use");
}

struct buf *bread(uint32_t blockno) {
    if (blockno >= sb.size && sb.size) panic("bread: block past the file system");
    struct buf *b = bget(blockno);
    if (!b->valid) {
        bcache_stats.misses++;
        if (virtio_blk_rw((uint64_t)blockno * SECTORS_PER_BLOCK, b->data, BSIZE, 0) != 0) panic("bread: disk error");
        b->valid = 1;
    }
    return b;
}

void bwrite(struct buf *b) {
    bcache_stats.writes++;
    if (virtio_blk_rw((uint64_t)b->blockno * SECTORS_PER_BLOCK, b->data, BSIZE, 1) != 0) panic("bwrite: disk error");
}

void brelse(struct buf *b) {
    if (b->refcnt == 0) panic("brelse: not held");
    if (--b->refcnt == 0) {   /* to the front: most recently used */
        b->next->prev = b->prev;
        b->prev->next = b->next;
        b->next = head.next;
        b->prev = &head;
        head.next->prev = b;
        head.next = b;
    }
}
