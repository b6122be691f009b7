/*
 * fs.c — TFS, TeachOS's file system (layout in fs.h): block allocation through the bitmap,
 * inodes with direct and single-indirect blocks, directories, path lookup, create and unlink.
 * Every change is written through the buffer cache at once; there is no log, so a crash in the
 * middle of an operation may leave the disk inconsistent (xv6 adds a log for that).
 */
#include "kernel.h"

struct superblock sb;

#define NINODE 16
static struct inode itable[NINODE];

int fs_init(void) {
    struct buf *b = bread(1);
    memmove(&sb, b->data, sizeof sb);
    brelse(b);
    if (sb.magic != FSMAGIC) return -1;
    return 0;
}

int fs_sync(void) { return virtio_blk_flush(); }

/* ---- blocks ---- */

static void bzero_block(uint32_t blockno) {
    struct buf *b = bread(blockno);
    memset(b->data, 0, BSIZE);
    bwrite(b);
    brelse(b);
}

/* A zeroed free block, marked in use; 0 when the disk is full. */
static uint32_t balloc(void) {
    for (uint32_t base = 0; base < sb.size; base += BPB) {
        struct buf *b = bread(BBLOCK(base, sb));
        for (uint32_t bit = 0; bit < BPB && base + bit < sb.size; bit++) {
            uint8_t mask = (uint8_t)(1u << (bit % 8));
            if ((b->data[bit / 8] & mask) == 0) {
                b->data[bit / 8] |= mask;
                bwrite(b);
                brelse(b);
                bzero_block(base + bit);
                return base + bit;
            }
        }
        brelse(b);
    }
    return 0;
}

static void bfree(uint32_t blockno) {
    if (blockno < sb.datastart || blockno >= sb.size) panic("bfree: not a data block");
    struct buf *b = bread(BBLOCK(blockno, sb));
    uint32_t bit = blockno % BPB;
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if ((b->data[bit / 8] & mask) == 0) panic("bfree: block already free");
    b->data[bit / 8] &= (uint8_t)~mask;
    bwrite(b);
    brelse(b);
}

uint32_t free_blocks(void) {
    uint32_t n = 0;
    for (uint32_t blockno = 0; blockno < sb.size; blockno++) {
        struct buf *b = bread(BBLOCK(blockno, sb));
        uint32_t bit = blockno % BPB;
        if ((b->data[bit / 8] & (1u << (bit % 8))) == 0) n++;
        brelse(b);
    }
    return n;
}

/* ---- inodes ---- */

struct inode *iget(uint32_t inum) {
    if (inum == 0 || inum >= sb.ninodes) panic("iget: bad inode number");
    struct inode *empty = 0;
    for (int i = 0; i < NINODE; i++) {
        if (itable[i].ref && itable[i].inum == inum) {
            itable[i].ref++;
            return &itable[i];
        }
        if (!empty && itable[i].ref == 0) empty = &itable[i];
    }
    if (!empty) panic("iget: inode table full");
    struct buf *b = bread(IBLOCK(inum, sb));
    memmove(&empty->d, b->data + (inum % IPB) * sizeof(struct dinode), sizeof(struct dinode));
    brelse(b);
    empty->inum = inum;
    empty->ref = 1;
    return empty;
}

void iput(struct inode *ip) {
    if (ip->ref == 0) panic("iput: not held");
    ip->ref--;
}

void iupdate(struct inode *ip) {
    struct buf *b = bread(IBLOCK(ip->inum, sb));
    memmove(b->data + (ip->inum % IPB) * sizeof(struct dinode), &ip->d, sizeof(struct dinode));
    bwrite(b);
    brelse(b);
}

/* A free inode of `type`, with one link; 0 when the table is full. */
static struct inode *ialloc(uint16_t type) {
    for (uint32_t inum = ROOTINO + 1; inum < sb.ninodes; inum++) {
        struct buf *b = bread(IBLOCK(inum, sb));
        struct dinode *d = (struct dinode *)(b->data + (inum % IPB) * sizeof(struct dinode));
        if (d->type == T_FREE) {
            memset(d, 0, sizeof *d);
            d->type = type;
            d->nlink = 1;
            bwrite(b);
            brelse(b);
            return iget(inum);
        }
        brelse(b);
    }
    return 0;
}

uint32_t free_inodes(void) {
    uint32_t n = 0;
    for (uint32_t inum = ROOTINO + 1; inum < sb.ninodes; inum++) {
        struct buf *b = bread(IBLOCK(inum, sb));
        if (((struct dinode *)(b->data + (inum % IPB) * sizeof(struct dinode)))->type == T_FREE) n++;
        brelse(b);
    }
    return n;
}

/* The disk block holding the file's block `bn`, allocated when `allocate`; 0 if none. */
static uint32_t bmap(struct inode *ip, uint32_t bn, int allocate) {
    if (bn < NDIRECT) {
        if (!ip->d.addrs[bn] && allocate) ip->d.addrs[bn] = balloc();
        return ip->d.addrs[bn];
    }
    bn -= NDIRECT;
    if (bn >= NINDIRECT) return 0;
    if (!ip->d.addrs[NDIRECT]) {
        if (!allocate || !(ip->d.addrs[NDIRECT] = balloc())) return 0;
    }
    struct buf *b = bread(ip->d.addrs[NDIRECT]);
    uint32_t *entries = (uint32_t *)b->data;
    uint32_t blockno = entries[bn];
    if (!blockno && allocate && (blockno = balloc())) {
        entries[bn] = blockno;
        bwrite(b);
    }
    brelse(b);
    return blockno;
}

/* Frees every block of the file and makes it empty. */
static void itrunc(struct inode *ip) {
    for (int i = 0; i < NDIRECT; i++) {
        if (ip->d.addrs[i]) bfree(ip->d.addrs[i]);
        ip->d.addrs[i] = 0;
    }
    if (ip->d.addrs[NDIRECT]) {
        struct buf *b = bread(ip->d.addrs[NDIRECT]);
        uint32_t *entries = (uint32_t *)b->data;
        for (uint32_t i = 0; i < NINDIRECT; i++) if (entries[i]) bfree(entries[i]);
        brelse(b);
        bfree(ip->d.addrs[NDIRECT]);
        ip->d.addrs[NDIRECT] = 0;
    }
    ip->d.size = 0;
    iupdate(ip);
}

int readi(struct inode *ip, void *dst, uint32_t off, uint32_t n) {
    if (off > ip->d.size) return -1;
    if (n > ip->d.size - off) n = ip->d.size - off;
    uint8_t *out = dst;
    for (uint32_t done = 0, chunk; done < n; done += chunk, off += chunk) {
        uint32_t blockno = bmap(ip, off / BSIZE, 0);
        chunk = BSIZE - off % BSIZE;
        if (chunk > n - done) chunk = n - done;
        if (blockno) {
            struct buf *b = bread(blockno);
            memmove(out + done, b->data + off % BSIZE, chunk);
            brelse(b);
        } else {
            memset(out + done, 0, chunk);   /* a hole reads as zeros */
        }
    }
    return (int)n;
}

int writei(struct inode *ip, const void *src, uint32_t off, uint32_t n) {
    if (off > ip->d.size || (uint64_t)off + n > (uint64_t)MAXFILE * BSIZE) return -1;
    const uint8_t *in = src;
    uint32_t done = 0;
    for (uint32_t chunk; done < n; done += chunk, off += chunk) {
        uint32_t blockno = bmap(ip, off / BSIZE, 1);
        if (!blockno) break;   /* disk full */
        chunk = BSIZE - off % BSIZE;
        if (chunk > n - done) chunk = n - done;
        struct buf *b = bread(blockno);
        memmove(b->data + off % BSIZE, in + done, chunk);
        bwrite(b);
        brelse(b);
    }
    if (off > ip->d.size) ip->d.size = off;
    iupdate(ip);   /* the size, and addrs that bmap may have filled */
    return (int)done;
}

/* ---- directories and paths ---- */

static int name_equal(const char *a, const char *b) { return strncmp(a, b, DIRSIZ) == 0; }

/* The inode named `name` in directory dp (and the entry's offset), or 0. */
static struct inode *dir_lookup(struct inode *dp, const char *name, uint32_t *offset) {
    if (dp->d.type != T_DIR) return 0;
    struct dirent de;
    for (uint32_t off = 0; off < dp->d.size; off += sizeof de) {
        if (readi(dp, &de, off, sizeof de) != sizeof de) panic("dir_lookup: short read");
        if (de.inum && name_equal(de.name, name)) {
            if (offset) *offset = off;
            return iget(de.inum);
        }
    }
    return 0;
}

static int dir_link(struct inode *dp, const char *name, uint32_t inum) {
    if (strlen(name) >= DIRSIZ) return -1;
    struct dirent de;
    uint32_t off;
    for (off = 0; off < dp->d.size; off += sizeof de) {   /* a free entry, or the end */
        if (readi(dp, &de, off, sizeof de) != sizeof de) panic("dir_link: short read");
        if (de.inum == 0) break;
    }
    memset(&de, 0, sizeof de);
    memmove(de.name, name, strlen(name));
    de.inum = inum;
    return writei(dp, &de, off, sizeof de) == sizeof de ? 0 : -1;
}

void dir_list(struct inode *dp, void (*fn)(const struct dirent *, void *), void *arg) {
    struct dirent de;
    for (uint32_t off = 0; off < dp->d.size; off += sizeof de) {
        if (readi(dp, &de, off, sizeof de) != sizeof de) panic("dir_list: short read");
        if (de.inum) fn(&de, arg);
    }
}

/* Copies the next element of `path` into name; returns the rest, or 0 at the end. */
static const char *skip_element(const char *path, char *name) {
    while (*path == '/') path++;
    if (*path == 0) return 0;
    const char *start = path;
    while (*path != '/' && *path) path++;
    size_t length = (size_t)(path - start);
    if (length >= DIRSIZ) length = DIRSIZ - 1;
    memmove(name, start, length);
    name[length] = 0;
    while (*path == '/') path++;
    return path;
}

/* The inode for `path` (or, with `parent`, its directory, the last element left in name). */
static struct inode *name_walk(const char *path, int parent, char *name) {
    struct inode *ip = iget(ROOTINO);
    while ((path = skip_element(path, name)) != 0) {
        if (ip->d.type != T_DIR) { iput(ip); return 0; }
        if (parent && *path == 0) return ip;
        struct inode *next = dir_lookup(ip, name, 0);
        iput(ip);
        if (!next) return 0;
        ip = next;
    }
    if (parent) { iput(ip); return 0; }   /* "/" has no parent */
    return ip;
}

struct inode *namei(const char *path) {
    char name[DIRSIZ];
    return name_walk(path, 0, name);
}

struct inode *create(const char *path, uint16_t type) {
    char name[DIRSIZ];
    struct inode *dp = name_walk(path, 1, name);
    if (!dp) return 0;
    struct inode *ip = dir_lookup(dp, name, 0);
    if (ip) { iput(ip); iput(dp); return 0; }
    if (!(ip = ialloc(type))) { iput(dp); return 0; }
    if (type == T_DIR) {
        /* "." does not count as a link (as in xv6, so unlink's arithmetic stays simple);
         * ".." is one more link to the parent. */
        if (dir_link(ip, ".", ip->inum) != 0 || dir_link(ip, "..", dp->inum) != 0) panic("create: dir_link");
        dp->d.nlink++;
        iupdate(dp);
    }
    if (dir_link(dp, name, ip->inum) != 0) panic("create: dir_link");
    iput(dp);
    return ip;
}

static int dir_is_empty(struct inode *dp) {
    struct dirent de;
    for (uint32_t off = 2 * sizeof de; off < dp->d.size; off += sizeof de) {
        if (readi(dp, &de, off, sizeof de) != sizeof de) panic("dir_is_empty: short read");
        if (de.inum) return 0;
    }
    return 1;
}

int unlink(const char *path) {
    char name[DIRSIZ];
    struct inode *dp = name_walk(path, 1, name);
    if (!dp) return -1;
    uint32_t off;
    struct inode *ip = 0;
    if (name_equal(name, ".") || name_equal(name, "..") || !(ip = dir_lookup(dp, name, &off))
        || (ip->d.type == T_DIR && !dir_is_empty(ip))) {
        if (ip) iput(ip);
        iput(dp);
        return -1;
    }
    struct dirent empty;
    memset(&empty, 0, sizeof empty);
    if (writei(dp, &empty, off, sizeof empty) != sizeof empty) panic("unlink: writei");
    if (ip->d.type == T_DIR) {
        dp->d.nlink--;
        iupdate(dp);
    }
    iput(dp);
    if (--ip->d.nlink == 0) {
        itrunc(ip);
        ip->d.type = T_FREE;
    }
    iupdate(ip);
    iput(ip);
    return 0;
}
