/*
 * virtio_blk.c — a driver for a virtio block device on the modern (version 2) virtio-mmio
 * transport, from the virtio 1.2 specification: §4.2.2 (MMIO registers), §3.1.1 (driver
 * initialisation), §2.7 (split virtqueues), §5.2 (block device), §4.2.3.4 (interrupts).
 *
 * One virtqueue of QSIZE descriptors: a request is a chain of three (header, data, status
 * byte), chain k in descriptors 3k..3k+2, so up to NCHAINS requests can be in flight at once.
 * The driver notifies the device and sleeps in wfi until the interrupt handler has seen its
 * chains in the used ring, so every completion arrives by interrupt.
 */
#include "kernel.h"
#include "riscv.h"

enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034,
    QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
    INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
    QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4,
    CONFIG = 0x100,
};
#define VIRTIO_MAGIC   0x74726976u   /* "virt" */
#define DEVICE_ID_BLOCK 2

/* §2.1 device status bits. */
#define S_ACKNOWLEDGE 1u
#define S_DRIVER      2u
#define S_DRIVER_OK   4u
#define S_FEATURES_OK 8u

/* §5.2.3 and §6 feature bits. */
#define F_FLUSH     (1ull << 9)
#define F_VERSION_1 (1ull << 32)

/* §2.7.5 descriptor flags; §5.2.6 request types. */
#define D_NEXT  1
#define D_WRITE 2
#define T_IN    0
#define T_OUT   1
#define T_FLUSH 4

#define QSIZE 16
#define NCHAINS (QSIZE / 3)

struct desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct avail { uint16_t flags, idx, ring[QSIZE], used_event; };
struct used_elem { uint32_t id, len; };
struct used { uint16_t flags, idx; struct used_elem ring[QSIZE]; uint16_t avail_event; };
struct request_header { uint32_t type, reserved; uint64_t sector; };

struct virtio_blk_info virtio_blk;

static volatile struct desc *desc;
static volatile struct avail *avail;
static volatile struct used *used;
static uint16_t used_seen;
static struct request_header headers[NCHAINS];
static volatile uint8_t status_bytes[NCHAINS];
static volatile int chain_done[NCHAINS];

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(virtio_blk.base + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(virtio_blk.base + off) = v; }

void virtio_blk_init(void) {
    for (uint64_t slot = 0; slot < VIRTIO_SLOTS && !virtio_blk.base; slot++) {
        volatile uint32_t *regs = (volatile uint32_t *)(VIRTIO0 + slot * PGSIZE);
        if (regs[MAGIC / 4] == VIRTIO_MAGIC && regs[DEVICE_ID / 4] == DEVICE_ID_BLOCK) {
            virtio_blk.base = VIRTIO0 + slot * PGSIZE;
            virtio_blk.irq = VIRTIO_IRQ0 + (uint32_t)slot;
        }
    }
    if (!virtio_blk.base) panic("virtio: no block device");
    virtio_blk.version = rd(VERSION);
    if (virtio_blk.version != 2) panic("virtio: not the modern transport (use -global virtio-mmio.force-legacy=false)");

    /* §4.2.3.2: queue 0's three areas, in pages of their own. */
    desc = kalloc();
    avail = kalloc();
    used = kalloc();
    if (!desc || !avail || !used) panic("virtio: out of memory");
    if (virtio_blk_setup(0) != 0) panic("virtio: FEATURES_OK not accepted");

    /* §5.2.4: capacity, in 512-byte sectors, the first field of the configuration space. */
    volatile uint32_t *config = (volatile uint32_t *)(virtio_blk.base + CONFIG);
    virtio_blk.capacity = (uint64_t)config[0] | (uint64_t)config[1] << 32;
    plic_init(virtio_blk.irq);
}

/* The low word's features a driver written for legacy devices declines, as xv6's does: it
 * accepts every other bit offered there and never writes the high word, so VERSION_1 (bit 32)
 * stays unaccepted. */
#define LEGACY_DRIVER_DECLINES ((1u << 5) | (1u << 7) | (1u << 11) | (1u << 12) | (1u << 27) | (1u << 28) | (1u << 29))

int virtio_blk_setup(int as_legacy_driver) {
    /* §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (and check it stuck). */
    wr(STATUS, 0);
    while (rd(STATUS) != 0) {}   /* the reset is done when status reads 0 (§4.2.2) */
    wr(STATUS, S_ACKNOWLEDGE);
    wr(STATUS, S_ACKNOWLEDGE | S_DRIVER);
    wr(DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(DEVICE_FEATURES);
    wr(DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(DEVICE_FEATURES) << 32;
    if (!(offered & F_VERSION_1)) panic("virtio: VERSION_1 not offered");
    /* §6.1: a driver MUST accept VERSION_1 when offered; the legacy-style one does not, and
     * QEMU's virtio-mmio lets it run anyway (FEATURES_OK sticks). */
    virtio_blk.features = as_legacy_driver ? (uint32_t)offered & ~LEGACY_DRIVER_DECLINES : offered & (F_VERSION_1 | F_FLUSH);
    wr(DRIVER_FEATURES_SEL, 0);
    wr(DRIVER_FEATURES, (uint32_t)virtio_blk.features);
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, (uint32_t)(virtio_blk.features >> 32));
    wr(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(rd(STATUS) & S_FEATURES_OK)) {
        wr(STATUS, 128);   /* FAILED (§2.1) */
        return -1;
    }

    wr(QUEUE_SEL, 0);
    if (rd(QUEUE_READY)) panic("virtio: queue 0 already ready");
    uint32_t max = rd(QUEUE_NUM_MAX);
    if (max < QSIZE) panic("virtio: queue too small");
    virtio_blk.queue_size = QSIZE;
    memset((void *)desc, 0, PGSIZE);
    memset((void *)avail, 0, PGSIZE);
    memset((void *)used, 0, PGSIZE);
    used_seen = 0;
    wr(QUEUE_NUM, QSIZE);
    wr(QUEUE_DESC_LOW, (uint32_t)(uint64_t)desc);
    wr(QUEUE_DESC_HIGH, (uint32_t)((uint64_t)desc >> 32));
    wr(QUEUE_DRIVER_LOW, (uint32_t)(uint64_t)avail);
    wr(QUEUE_DRIVER_HIGH, (uint32_t)((uint64_t)avail >> 32));
    wr(QUEUE_DEVICE_LOW, (uint32_t)(uint64_t)used);
    wr(QUEUE_DEVICE_HIGH, (uint32_t)((uint64_t)used >> 32));
    wr(QUEUE_READY, 1);
    wr(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return 0;
}

/* Called from kerneltrap for the device's PLIC source: acknowledge (§4.2.3.4) and take every
 * chain the device has put in the used ring. */
void virtio_blk_interrupt(void) {
    uint32_t isr = rd(INTERRUPT_STATUS);
    wr(INTERRUPT_ACK, isr & 3);
    virtio_blk.interrupts++;
    while (used_seen != used->idx) {
        __sync_synchronize();   /* the used ring's entry after its index (§2.7.13) */
        uint32_t id = used->ring[used_seen % QSIZE].id;
        if (id % 3 != 0 || id / 3 >= NCHAINS || chain_done[id / 3]) panic("virtio: unknown chain completed");
        chain_done[id / 3] = 1;
        used_seen++;
        virtio_blk.completions_seen_in_interrupt++;
    }
}

/* Fills chain k's descriptors and makes it available; the caller notifies. */
static void queue_chain(int k, uint32_t type, uint64_t sector, void *data, uint32_t length, int device_writes) {
    uint16_t d = (uint16_t)(3 * k);
    headers[k] = (struct request_header){type, 0, sector};
    status_bytes[k] = 0xff;
    chain_done[k] = 0;
    desc[d] = (struct desc){(uint64_t)&headers[k], sizeof headers[k], D_NEXT, (uint16_t)(d + 1)};
    if (length) {
        desc[d + 1] = (struct desc){(uint64_t)data, length, D_NEXT | (device_writes ? D_WRITE : 0), (uint16_t)(d + 2)};
        desc[d + 2] = (struct desc){(uint64_t)&status_bytes[k], 1, D_WRITE, 0};
    } else {
        desc[d + 1] = (struct desc){(uint64_t)&status_bytes[k], 1, D_WRITE, 0};
    }
    avail->ring[avail->idx % QSIZE] = d;
    __sync_synchronize();   /* the ring entry before the index (§2.7.13.2) */
    avail->idx++;
    virtio_blk.requests++;
}

static void notify_and_wait(int chains) {
    __sync_synchronize();   /* the index before the notification (§2.7.13.3) */
    wr(QUEUE_NOTIFY, 0);
    for (int k = 0; k < chains; k++) while (!chain_done[k]) wait_for_interrupt();
}

static int request(uint32_t type, uint64_t sector, void *data, uint32_t length, int device_writes) {
    queue_chain(0, type, sector, data, length, device_writes);
    notify_and_wait(1);
    return status_bytes[0];
}

int virtio_blk_read_batch(const uint64_t *sectors, void *const *buffers, uint32_t length, int n) {
    if (n < 1 || n > NCHAINS) return -1;
    for (int k = 0; k < n; k++) queue_chain(k, T_IN, sectors[k], buffers[k], length, 1);
    notify_and_wait(n);
    for (int k = 0; k < n; k++) if (status_bytes[k] != 0) return status_bytes[k];
    return 0;
}

int virtio_blk_rw(uint64_t sector, void *data, uint32_t length, int write) {
    if (sector * 512 + length > virtio_blk.capacity * 512) panic("virtio: past the end of the disk");
    return request(write ? T_OUT : T_IN, sector, data, length, !write);
}

int virtio_blk_flush(void) {
    if (!(virtio_blk.features & F_FLUSH)) return 0;   /* no write cache to flush */
    return request(T_FLUSH, 0, 0, 0, 0);
}
