/*
 * Feature negotiation as QEMU 7.2 answers it, on both transports of virtio-blk: modern
 * virtio-mmio (a virtio-blk-device) and virtio-pci (a virtio-blk-pci-non-transitional in slot
 * 1). For each, three drivers write their features and FEATURES_OK, and the program prints the
 * status read back (virtio 1.2 §3.1.1 step 6):
 *   legacy-style  the low word only, so no VERSION_1, as xv6's driver negotiates;
 *   unoffered     VERSION_1 and bit 50, which no device offers;
 *   modern        VERSION_1 alone.
 * The spec lets a device refuse the first two (§2.2.2, §6.1); QEMU keeps FEATURES_OK for all
 * three, and VirtBench must too. The output is compared line for line with QEMU's.
 *
 * Written from §4.2.2 (MMIO registers), §4.1.4.3 (virtio-pci common configuration), §4.1.4
 * (vendor capabilities), PCI Local Bus 3.0 §6.1-6.2 (configuration header, BARs, capabilities)
 * and QEMU virt's memory map (ECAM at 0x3000_0000, a 32-bit MMIO window at 0x4000_0000).
 * Polls, hart 0 in M-mode under -bios none.
 */
#include "workload.h"

#define VIRTIO_MMIO_FIRST  0x10001000ul
#define VIRTIO_MMIO_COUNT  8
#define PCI_ECAM           0x30000000ul
#define PCI_SLOT           1
#define PCI_BAR4_ADDRESS   0x40000000ul

#define S_ACKNOWLEDGE 1u
#define S_DRIVER      2u
#define S_FEATURES_OK 8u

static void put_hex(uint64_t v, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) wl_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* One transport's feature registers, as four accessors. */
struct transport {
    const char *name;
    uint32_t (*read_status)(void);
    void (*write_status)(uint32_t);
    uint64_t (*offered)(void);
    void (*write_features)(uint64_t);
};

/* ---- virtio-mmio, §4.2.2 ---- */
static uintptr_t mmio;
static volatile uint32_t *mmio_reg(uint32_t offset) { return (volatile uint32_t *)(mmio + offset); }
static uint32_t mmio_read_status(void) { return *mmio_reg(0x70); }
static void mmio_write_status(uint32_t v) { *mmio_reg(0x70) = v; }
static uint64_t mmio_offered(void) {
    *mmio_reg(0x14) = 0;
    uint64_t low = *mmio_reg(0x10);
    *mmio_reg(0x14) = 1;
    return low | (uint64_t)*mmio_reg(0x10) << 32;
}
static void mmio_write_features(uint64_t f) {
    *mmio_reg(0x24) = 0;
    *mmio_reg(0x20) = (uint32_t)f;
    *mmio_reg(0x24) = 1;
    *mmio_reg(0x20) = (uint32_t)(f >> 32);
}

/* ---- virtio-pci's common configuration, §4.1.4.3 ---- */
static uintptr_t common;
static volatile uint32_t *common_word(uint32_t offset) { return (volatile uint32_t *)(common + offset); }
static uint32_t pci_read_status(void) { return *(volatile uint8_t *)(common + 0x14); }
static void pci_write_status(uint32_t v) { *(volatile uint8_t *)(common + 0x14) = (uint8_t)v; }
static uint64_t pci_offered(void) {
    *common_word(0x00) = 0;
    uint64_t low = *common_word(0x04);
    *common_word(0x00) = 1;
    return low | (uint64_t)*common_word(0x04) << 32;
}
static void pci_write_features(uint64_t f) {
    *common_word(0x08) = 0;
    *common_word(0x0c) = (uint32_t)f;
    *common_word(0x08) = 1;
    *common_word(0x0c) = (uint32_t)(f >> 32);
}

static uintptr_t config(uint32_t offset) { return PCI_ECAM + ((uintptr_t)PCI_SLOT << 15) + offset; }

/* Places BAR 4 (64-bit) and finds the common configuration capability (cfg_type 1). */
static int find_pci(void) {
    if (*(volatile uint32_t *)config(0) != 0x10421af4u) return 0;   /* 1af4:1042, modern virtio-blk */
    *(volatile uint32_t *)config(0x20) = (uint32_t)PCI_BAR4_ADDRESS;
    *(volatile uint32_t *)config(0x24) = 0;
    *(volatile uint16_t *)config(0x04) = 0x6;   /* memory space, bus master */
    for (uint8_t at = *(volatile uint8_t *)config(0x34); at; at = *(volatile uint8_t *)config(at + 1u)) {
        if (*(volatile uint8_t *)config(at) == 0x09 && *(volatile uint8_t *)config(at + 3u) == 1 &&
            *(volatile uint8_t *)config(at + 4u) == 4) {
            common = PCI_BAR4_ADDRESS + *(volatile uint32_t *)config(at + 8u);
            return 1;
        }
    }
    return 0;
}

static int find_mmio(void) {
    for (uintptr_t slot = 0; slot < VIRTIO_MMIO_COUNT; slot++) {
        uintptr_t base = VIRTIO_MMIO_FIRST + 0x1000 * slot;
        if (*(volatile uint32_t *)(base + 8) == 2 && *(volatile uint32_t *)(base + 4) == 2) {
            mmio = base;
            return 1;
        }
    }
    return 0;
}

static void negotiate(const struct transport *t) {
    static const char *const names[3] = {"legacy-style", "unoffered", "modern"};
    uint64_t offered = t->offered();
    uint64_t wanted[3] = {offered & 0xffffffffu, (1ull << 32) | (1ull << 50), 1ull << 32};
    for (int i = 0; i < 3; i++) {
        t->write_status(0);
        while (t->read_status() != 0) {}
        t->write_status(S_ACKNOWLEDGE);
        t->write_status(S_ACKNOWLEDGE | S_DRIVER);
        t->write_features(wanted[i]);
        t->write_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
        wl_puts(t->name);
        wl_putc(' ');
        wl_puts(names[i]);
        wl_puts(": status ");
        put_hex(t->read_status(), 2);
        wl_putc('\n');
    }
    t->write_status(0);
}

_Noreturn void workload_main(void) {
    static const struct transport mmio_transport = {"virtio-mmio", mmio_read_status, mmio_write_status, mmio_offered, mmio_write_features};
    static const struct transport pci_transport = {"virtio-pci", pci_read_status, pci_write_status, pci_offered, pci_write_features};
    int found_mmio = find_mmio(), found_pci = find_pci();
    if (found_mmio) negotiate(&mmio_transport);
    if (found_pci) negotiate(&pci_transport);
    int ok = found_mmio && found_pci;
    wl_puts(ok ? "PASS virtio-features\n" : "FAIL virtio-features: a transport is missing\n");
    wl_exit(ok ? 0 : 1);
}
