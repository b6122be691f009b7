/*
 * virtio-blk driven directly, on either virtio-mmio version: feature negotiation, reads,
 * writes through an indirect table, flush, get-id; the console output is compared
 * byte-for-byte with QEMU running the same ELF with the same -drive/-device line.
 *
 * Written from the virtio specification 1.2: §3.1.1 (driver initialisation), §4.2.2 (MMIO
 * registers), §4.2.4 (legacy MMIO: QueuePFN, GuestPageSize, QueueAlign), §2.7 (split
 * virtqueues, indirect descriptors §2.7.5.3, event index §2.7.10), §5.2 (block device).
 *
 * Built with -DHOSTILE it is the hostile variant (modern transport only): a descriptor loop,
 * a buffer past the end of RAM and a 65,536-entry chain in an indirect table must each end in
 * DEVICE_NEEDS_RESET with a configuration-change interrupt (§2.1.2); after a reset the device
 * works again. Polls (no interrupts), hart 0 in M-mode under -bios none, 128 MiB of RAM.
 *
 * The test makes the disk: 64 KiB where byte i of sector s is (s * 7 + i) & 0xff.
 */
#include "workload.h"
#include "runtime/memory.h"

#define VIRTIO_MMIO_FIRST   0x10001000ul
#define VIRTIO_MMIO_STRIDE  0x1000ul
#define VIRTIO_MMIO_COUNT   8

/* §4.2.2 register offsets. */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024, GUEST_PAGE_SIZE = 0x028, QUEUE_SEL = 0x030,
    QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_ALIGN = 0x03c, QUEUE_PFN = 0x040, QUEUE_READY = 0x044,
    QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
    QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094,
    QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4, CONFIG = 0x100,
};

/* §2.1 status bits. */
#define S_ACKNOWLEDGE 1u
#define S_DRIVER      2u
#define S_DRIVER_OK   4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u

/* Feature bits: §5.2.3 (block), §6 (reserved). */
#define F_SEG_MAX      (1ull << 2)
#define F_RO           (1ull << 5)
#define F_BLK_SIZE     (1ull << 6)
#define F_FLUSH        (1ull << 9)
#define F_MQ           (1ull << 12)
#define F_DISCARD      (1ull << 13)
#define F_WRITE_ZEROES (1ull << 14)
#define F_INDIRECT     (1ull << 28)
#define F_EVENT_IDX    (1ull << 29)
#define F_VERSION_1    (1ull << 32)
/* The bits this program looks at; a device may offer others (QEMU's geometry, topology...). */
#define F_KNOWN (F_SEG_MAX | F_RO | F_BLK_SIZE | F_FLUSH | F_MQ | F_DISCARD | F_WRITE_ZEROES | F_INDIRECT | F_EVENT_IDX | F_VERSION_1)

/* §2.7.5 descriptor flags. */
#define D_NEXT     1
#define D_WRITE    2
#define D_INDIRECT 4

/* §5.2.6 request types and status. */
#define T_IN     0
#define T_OUT    1
#define T_FLUSH  4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13

#define QSIZE 8
#define SECTOR 512

struct desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct req_header { uint32_t type; uint32_t reserved; uint64_t sector; };

/* One 8 KiB, page-aligned area holds queue 0 in the legacy layout (§2.7.2): descriptors,
 * then the available ring, then the used ring at the next 4 KiB boundary. The modern
 * transport is given the same three addresses. */
static uint8_t queue_area[8192] __attribute__((aligned(4096)));
#define DESC  ((volatile struct desc *)queue_area)
#define AVAIL ((volatile uint16_t *)(queue_area + 16 * QSIZE))   /* flags, idx, ring[QSIZE], used_event */
#define USED  ((volatile uint8_t *)(queue_area + 4096))          /* flags, idx, ring[QSIZE] {id, len}, avail_event */

static struct req_header header;
static uint8_t data[2 * SECTOR] __attribute__((aligned(16)));
static uint8_t status_byte;
static struct desc indirect_table[3] __attribute__((aligned(16)));

static uintptr_t dev;
static int legacy;
static uint16_t avail_idx, used_seen;

static inline uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(dev + off); }
static inline void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(dev + off) = v; }
static inline uint16_t used_idx(void) { return *(volatile uint16_t *)(USED + 2); }

static void put_hex(uint64_t v, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) wl_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}
static void line(const char *label, uint64_t v, int digits) {
    wl_puts(label);
    put_hex(v, digits);
    wl_putc('\n');
}
static _Noreturn void fail(const char *why) {
    wl_puts("FAIL virtio-blk: ");
    wl_puts(why);
    wl_putc('\n');
    wl_exit(1);
}

/* Driver initialisation, §3.1.1; the transport's queue setup, §4.2.3.2 / §4.2.4. */
static void init_device(uint64_t wanted) {
    wr(STATUS, 0);
    while (rd(STATUS) != 0) {}
    wr(STATUS, S_ACKNOWLEDGE);
    wr(STATUS, S_ACKNOWLEDGE | S_DRIVER);
    wr(DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(DEVICE_FEATURES);
    wr(DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(DEVICE_FEATURES) << 32;
    uint64_t accepted = offered & wanted;
    wr(DRIVER_FEATURES_SEL, 0);
    wr(DRIVER_FEATURES, (uint32_t)accepted);
    if (!legacy) {
        wr(DRIVER_FEATURES_SEL, 1);
        wr(DRIVER_FEATURES, (uint32_t)(accepted >> 32));
        wr(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
        if (!(rd(STATUS) & S_FEATURES_OK)) fail("FEATURES_OK not accepted");
    }
    memset(queue_area, 0, sizeof queue_area);
    avail_idx = used_seen = 0;
    wr(QUEUE_SEL, 0);
    if (rd(QUEUE_NUM_MAX) < QSIZE) fail("queue too small");
    wr(QUEUE_NUM, QSIZE);
    uintptr_t desc = (uintptr_t)queue_area, avail = desc + 16 * QSIZE, used = desc + 4096;
    if (legacy) {
        wr(GUEST_PAGE_SIZE, 4096);
        wr(QUEUE_ALIGN, 4096);
        wr(QUEUE_PFN, (uint32_t)(desc / 4096));
    } else {
        wr(QUEUE_DESC_LOW, (uint32_t)desc);
        wr(QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
        wr(QUEUE_DRIVER_LOW, (uint32_t)avail);
        wr(QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        wr(QUEUE_DEVICE_LOW, (uint32_t)used);
        wr(QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        wr(QUEUE_READY, 1);
    }
    wr(STATUS, rd(STATUS) | S_DRIVER_OK);
}

/* Makes the chain at `head` available, notifies, and waits for the device to use it (or to
 * need a reset). Returns 1 when the chain was used. */
static int submit(uint16_t head) {
    AVAIL[2 + avail_idx % QSIZE] = head;
    __sync_synchronize();        /* the ring entry before the index (§2.7.13.2) */
    avail_idx++;
    AVAIL[1] = avail_idx;
    __sync_synchronize();        /* the index before the notification (§2.7.13.3) */
    wr(QUEUE_NOTIFY, 0);
    for (uint64_t spin = 0; spin < 50000000; spin++) {
        if (used_idx() != used_seen) {
            __sync_synchronize();
            used_seen++;
            return 1;
        }
        if (rd(STATUS) & S_NEEDS_RESET) return 0;
    }
    fail("timeout");
}

/* A request as three direct descriptors: header, data (or none), status. */
static uint8_t request(uint32_t type, uint64_t sector, void *buffer, uint32_t length, int device_writes) {
    header.type = type;
    header.reserved = 0;
    header.sector = sector;
    status_byte = 0xff;
    DESC[0] = (struct desc){(uintptr_t)&header, sizeof header, D_NEXT, 1};
    if (length) {
        DESC[1] = (struct desc){(uintptr_t)buffer, length, D_NEXT | (device_writes ? D_WRITE : 0), 2};
        DESC[2] = (struct desc){(uintptr_t)&status_byte, 1, D_WRITE, 0};
    } else {
        DESC[1] = (struct desc){(uintptr_t)&status_byte, 1, D_WRITE, 0};
    }
    if (!submit(0)) fail("device needs reset");
    return status_byte;
}

static uint32_t interrupt_status_and_ack(void) {
    uint32_t isr = rd(INTERRUPT_STATUS);
    wr(INTERRUPT_ACK, isr);
    return isr;
}

static uint64_t fnv(const uint8_t *p, uint32_t n) {
    uint64_t h = WL_FNV_OFFSET;
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * WL_FNV_PRIME;
    return h;
}

static void find_device(void) {
    for (int slot = VIRTIO_MMIO_COUNT - 1; slot >= 0; slot--) {
        uintptr_t base = VIRTIO_MMIO_FIRST + VIRTIO_MMIO_STRIDE * (uintptr_t)slot;
        if (*(volatile uint32_t *)base != 0x74726976) fail("bad magic");
        if (*(volatile uint32_t *)(base + DEVICE_ID) == 2) {
            dev = base;
            legacy = rd(VERSION) == 1;
            line("virtio-blk at ", base, 8);
            line("version ", rd(VERSION), 1);
            return;
        }
    }
    fail("no virtio-blk device");
}

#ifndef HOSTILE
static void run_normal(void) {
    uint64_t wanted = F_VERSION_1 | F_FLUSH | F_BLK_SIZE | F_SEG_MAX | F_INDIRECT | F_EVENT_IDX;
    wr(DEVICE_FEATURES_SEL, 0);
    uint64_t offered = rd(DEVICE_FEATURES);
    wr(DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(DEVICE_FEATURES) << 32;
    line("offered (known bits) ", offered & F_KNOWN, 9);
    init_device(wanted);
    line("status ", rd(STATUS), 2);
    line("queue max ", rd(QUEUE_NUM_MAX), 4);
    volatile uint32_t *config = (volatile uint32_t *)(dev + CONFIG);
    line("capacity ", (uint64_t)config[0] | (uint64_t)config[1] << 32, 8);
    line("seg_max ", config[3], 8);
    line("blk_size ", config[5], 8);
    /* struct virtio_blk_config from num_queues on (§5.2.4): bytes 34-59. */
    line("num_queues ", *(volatile uint16_t *)(dev + CONFIG + 34), 4);
    line("max_discard_sectors ", config[9], 8);
    line("max_discard_seg ", config[10], 8);
    line("discard_sector_alignment ", config[11], 8);
    line("max_write_zeroes_sectors ", config[12], 8);
    line("max_write_zeroes_seg ", config[13], 8);
    line("write_zeroes_may_unmap ", *(volatile uint8_t *)(dev + CONFIG + 56), 2);

    /* Read sectors 0 and 1. */
    line("read status ", request(T_IN, 0, data, 2 * SECTOR, 1), 2);
    line("read fnv ", fnv(data, 2 * SECTOR), 16);
    line("sector 1 byte 5 ", data[SECTOR + 5], 2);
    line("isr ", interrupt_status_and_ack(), 1);
    line("avail_event ", *(volatile uint16_t *)(USED + 4 + 8 * QSIZE), 4);

    /* Write sector 3 through an indirect table (§2.7.5.3): header, data, status. */
    for (int i = 0; i < SECTOR; i++) data[i] = (uint8_t)(0xa5 ^ i);
    header = (struct req_header){T_OUT, 0, 3};
    status_byte = 0xff;
    indirect_table[0] = (struct desc){(uintptr_t)&header, sizeof header, D_NEXT, 1};
    indirect_table[1] = (struct desc){(uintptr_t)data, SECTOR, D_NEXT, 2};
    indirect_table[2] = (struct desc){(uintptr_t)&status_byte, 1, D_WRITE, 0};
    DESC[4] = (struct desc){(uintptr_t)indirect_table, sizeof indirect_table, D_INDIRECT, 0};
    if (!submit(4)) fail("device needs reset after the indirect write");
    line("write status ", status_byte, 2);
    line("flush status ", request(T_FLUSH, 0, 0, 0, 0), 2);
    memset(data, 0, sizeof data);
    line("reread status ", request(T_IN, 3, data, SECTOR, 1), 2);
    int same = 1;
    for (int i = 0; i < SECTOR; i++) same &= data[i] == (uint8_t)(0xa5 ^ i);
    wl_puts(same ? "reread matches\n" : "reread differs\n");

    /* GET_ID: the serial from -device ...,serial= (§5.2.6). */
    memset(data, 0, 32);
    line("get-id status ", request(T_GET_ID, 0, data, 20, 1), 2);
    wl_puts("serial ");
    for (int i = 0; i < 20 && data[i]; i++) wl_putc((char)data[i]);
    wl_putc('\n');
    /* Write-zeroes on sector 5 and discard of sector 6 (§5.2.6): one segment each, offered
     * whether or not the driver accepted the features, as both devices do. With QEMU's default
     * discard=ignore the discarded sector keeps its data. */
    struct { uint64_t sector; uint32_t count; uint32_t flags; } segment = {5, 1, 0};
    line("write-zeroes status ", request(T_WRITE_ZEROES, 0, &segment, sizeof segment, 0), 2);
    segment.sector = 6;
    line("discard status ", request(T_DISCARD, 0, &segment, sizeof segment, 0), 2);
    line("reread 5-6 status ", request(T_IN, 5, data, 2 * SECTOR, 1), 2);
    line("sectors 5-6 fnv ", fnv(data, 2 * SECTOR), 16);
    /* Past the end of the disk: an I/O error in the status, not a device error. */
    line("past-end status ", request(T_IN, 128, data, SECTOR, 1), 2);
    line("final status ", rd(STATUS), 2);
    wl_puts(same ? "PASS virtio-blk\n" : "FAIL virtio-blk\n");
    wl_exit(same ? 0 : 1);
}
#else
/* 65,536 one-byte buffers and the indirect table that chains them: 1 MiB of descriptors. */
#define HUGE_CHAIN 65536
static struct desc huge_table[HUGE_CHAIN] __attribute__((aligned(16)));
static uint8_t huge_buffer[HUGE_CHAIN];

static void expect_needs_reset(const char *what) {
    int used = submit(0);
    uint32_t status = rd(STATUS), isr = rd(INTERRUPT_STATUS);
    wl_puts(what);
    wl_puts(used ? ": used" : ": not used");
    wl_puts(status & S_NEEDS_RESET ? ", DEVICE_NEEDS_RESET" : ", no DEVICE_NEEDS_RESET");
    wl_puts(isr & 2 ? ", configuration interrupt\n" : ", no configuration interrupt\n");
    if (used || !(status & S_NEEDS_RESET) || !(isr & 2)) fail(what);
    wr(INTERRUPT_ACK, isr);
}

static void run_hostile(void) {
    if (legacy) fail("the hostile variant needs -global virtio-mmio.force-legacy=false");
    uint64_t wanted = F_VERSION_1 | F_INDIRECT;

    /* 1. A descriptor loop: 0 -> 1 -> 0. */
    init_device(wanted);
    header = (struct req_header){T_IN, 0, 0};
    DESC[0] = (struct desc){(uintptr_t)&header, sizeof header, D_NEXT, 1};
    DESC[1] = (struct desc){(uintptr_t)data, SECTOR, D_NEXT | D_WRITE, 0};
    expect_needs_reset("descriptor loop");

    /* 2. Data and status buffers just past the end of RAM (128 MiB from 0x8000_0000). Two of
     * them: QEMU maps one buffer outside RAM through its single bounce buffer, and refuses the
     * second ("bogus descriptor"); VirtBench refuses the first. */
    init_device(wanted);
    DESC[0] = (struct desc){(uintptr_t)&header, sizeof header, D_NEXT, 1};
    DESC[1] = (struct desc){0x88000000ull, SECTOR, D_NEXT | D_WRITE, 2};
    DESC[2] = (struct desc){0x88001000ull, 1, D_WRITE, 0};
    expect_needs_reset("buffer past RAM");

    /* 3. A 65,536-entry chain in one indirect table: header, 65,534 one-byte buffers, status. */
    init_device(wanted);
    huge_table[0] = (struct desc){(uintptr_t)&header, sizeof header, D_NEXT, 1};
    for (uint32_t i = 1; i < HUGE_CHAIN - 1; i++)
        huge_table[i] = (struct desc){(uintptr_t)&huge_buffer[i], 1, D_NEXT | D_WRITE, (uint16_t)(i + 1)};
    huge_table[HUGE_CHAIN - 1] = (struct desc){(uintptr_t)&status_byte, 1, D_WRITE, 0};
    DESC[0] = (struct desc){(uintptr_t)huge_table, sizeof huge_table, D_INDIRECT, 0};
    expect_needs_reset("65536-entry chain");

    /* After a reset the device works again. */
    init_device(wanted);
    line("read after reset status ", request(T_IN, 1, data, SECTOR, 1), 2);
    line("sector 1 byte 5 ", data[5], 2);
    wl_puts("PASS virtio-blk-hostile\n");
    wl_exit(0);
}
#endif

_Noreturn void workload_main(void) {
    find_device();
#ifdef HOSTILE
    run_hostile();
#else
    run_normal();
#endif
    wl_exit(1);
}
