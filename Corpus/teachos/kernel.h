/*
 * kernel.h — what TeachOS's parts offer each other. One hart, no processes: the kernel runs in
 * S-mode with Sv39 paging, takes the timer and the disk's interrupts, and runs its own test
 * suite (tests.c) at boot.
 */
#ifndef TEACHOS_KERNEL_H
#define TEACHOS_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "fs.h"

/* console.c */
void console_putc(char c);
void uart_init(void);
void uart_send_by_interrupt(const char *s);   /* sent by THR-empty interrupts */
int uart_sending(void);
void uart_interrupt(void);
extern volatile uint64_t uart_interrupts;
void printf(const char *format, ...);
_Noreturn void panic(const char *why);
_Noreturn void power_off(int failures);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* vm.c */
void kalloc_init(void);
void *kalloc(void);                 /* one zeroed 4 KiB page, or 0 */
void kfree(void *page);
uint64_t kalloc_free_pages(void);
typedef uint64_t *pagetable_t;
extern pagetable_t kernel_pagetable;
void kvm_init(void);
void kvm_enable(void);
int map_pages(pagetable_t table, uint64_t va, uint64_t size, uint64_t pa, uint64_t perm);
uint64_t *walk(pagetable_t table, uint64_t va, int allocate);

/* trap.c */
void trap_init(void);
extern volatile uint64_t ticks;               /* timer interrupts taken */
extern volatile uint64_t external_interrupts; /* PLIC claims handled */
extern volatile uint64_t software_interrupts; /* supervisor software interrupts (M-mode's timer ticks) */
/* Runs fn(arg) and reports the first page fault it takes instead of stopping the kernel:
 * returns the fault's scause (0 when there was none) and its stval in *tval. */
uint64_t catch_fault(void (*fn)(void *), void *arg, uint64_t *tval);
/* Enters U-mode at `pc` with stack `sp`; returns the scause of the trap that ends it and
 * the user's a0 in *a0. */
uint64_t run_user(uint64_t pc, uint64_t sp, uint64_t *a0);
void wait_for_interrupt(void);   /* wfi with interrupts enabled, then disabled again */

/* plic.c */
void plic_init(uint32_t irq);
uint32_t plic_claim(void);
void plic_complete(uint32_t irq);

/* virtio_blk.c */
struct virtio_blk_info {
    uint64_t base;           /* MMIO address of the device's slot */
    uint32_t irq;            /* its PLIC source */
    uint32_t version;        /* 2: the modern register layout */
    uint64_t features;       /* what the driver accepted */
    uint64_t capacity;       /* 512-byte sectors */
    uint32_t queue_size;
    uint64_t requests, interrupts, completions_seen_in_interrupt;
};
extern struct virtio_blk_info virtio_blk;
void virtio_blk_init(void);   /* finds the device, then virtio_blk_setup(0) */
/* Resets the device and negotiates again: as this driver does (VERSION_1 and FLUSH), or with
 * `as_legacy_driver` as a driver for legacy devices does (low word only, so no VERSION_1).
 * -1 when FEATURES_OK does not stick. */
int virtio_blk_setup(int as_legacy_driver);
int virtio_blk_rw(uint64_t sector, void *data, uint32_t length, int write);   /* 0 = ok */
int virtio_blk_flush(void);                                                  /* 0 = ok */
/* Reads n requests of `length` bytes at once (n chains in flight, one notification). */
int virtio_blk_read_batch(const uint64_t *sectors, void *const *buffers, uint32_t length, int n);
void virtio_blk_interrupt(void);

/* bio.c: the buffer cache, NBUF blocks, least recently used reused first. */
struct buf {
    int valid;             /* data holds the block's contents */
    uint32_t refcnt;
    uint32_t blockno;
    struct buf *prev, *next;   /* LRU list, most recent first */
    uint8_t data[BSIZE];
};
#define NBUF 32
void binit(void);
struct buf *bread(uint32_t blockno);
void bwrite(struct buf *b);
void brelse(struct buf *b);
struct bcache_stats { uint64_t hits, misses, writes; };
extern struct bcache_stats bcache_stats;

/* fs.c */
struct inode {
    uint32_t inum;
    uint32_t ref;
    struct dinode d;   /* a copy of the disk inode, written back by iupdate */
};
extern struct superblock sb;
int fs_init(void);                        /* 0 when the superblock is TFS's */
struct inode *iget(uint32_t inum);
void iput(struct inode *ip);
void iupdate(struct inode *ip);
int readi(struct inode *ip, void *dst, uint32_t off, uint32_t n);
int writei(struct inode *ip, const void *src, uint32_t off, uint32_t n);
struct inode *namei(const char *path);
struct inode *create(const char *path, uint16_t type);   /* 0 if it exists or the parent is missing */
int unlink(const char *path);                            /* 0 = ok */
/* Calls fn for each used entry of directory dp, in disk order. */
void dir_list(struct inode *dp, void (*fn)(const struct dirent *, void *), void *arg);
uint32_t free_blocks(void);
uint32_t free_inodes(void);
int fs_sync(void);                       /* the disk's write cache to stable storage */

#endif
