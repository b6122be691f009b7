/* attack-memory: a guest that tries to reach memory that is not its own (issue 6, must-show 3).
 *
 * Under the hypervisor a guest owns guest-physical RAM at 0x8000_0000 (size from its device
 * tree) and sees the UART, sifive_test and (hav) its own PLIC and virtio-mmio windows; every other guest-physical address has no G-stage
 * mapping, and a load, store or fetch there must come back to the guest as an access fault
 * (privileged spec, "Exception Codes": 1 fetch, 5 load, 7 store access fault; page faults 12,
 * 13, 15 are accepted too) with stval = the address it used, never as data of another domain.
 *
 * It tries, each with a load, a store and (for a few) an instruction fetch:
 *   1. physical addresses with translation off (satp Bare): just past its RAM, where the
 *      host's other domains and its G-stage tables would be if guest and host addresses
 *      were the same, the host's own devices (CLINT, PCIe, fw_cfg), 0, and the top and just
 *      past the top of what Sv39x4 G-stage can express (41 bits), 0xffff_ffff_f000, and the
 *      last doubleword below 2^64 (where address + size wraps);
 *   2. the same addresses mapped through its own Sv39 tables (4 KiB leaves, and RAM's 1 GiB
 *      identity superpage, which reaches past the end of its RAM);
 *   3. Sv39 tables whose next-level table lies outside its RAM (past its end, on the UART,
 *      at 0): the walk's own reads must fault.
 * It prints one line per attempt ("read 0x... -> fault cause 5"), then writes a pattern over
 * every doubleword of its RAM it does not run from and reads it back, and prints
 * "PASS attack-memory" (SRST shutdown, status 0) or "FAIL attack-memory" (status 1).
 */
#include "guest.h"

long probe_load(u64 address, u64 *out);
long probe_store(u64 address, u64 value, u64 *out);
long probe_fetch(u64 address, u64 *out);

#define RAM_BASE 0x80000000ul
#define KERNEL_BASE 0x80200000ul /* where this image is loaded (fw_jump's payload address) */
#define PAGE_SIZE 4096ul
#define GIGAPAGE (1ul << 30)
#define UART_BASE 0x10000000ul

/* Sv39 PTE bits (privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System"). */
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define SATP_SV39 (8ul << 60)

/* "ATTACKER" in little-endian bytes: what the guest leaves in all of its memory. */
#define PATTERN 0x52454b4341545441ul
#define STORED_VALUE 0xbad0beefbad0beeful

/* Leaves of the window at WINDOW_VA, one 4 KiB page per target. */
#define WINDOW_VA 0x40000000ul
/* Tables whose next level is outside RAM: VA 0xc000_0000, 0x1_0000_0000, 0x1_4000_0000. */
#define OUTSIDE_TABLE_VA 0xc0000000ul

extern char _end[];

static u64 root[512] __attribute__((aligned(4096)));
static u64 window_l1[512] __attribute__((aligned(4096)));
static u64 window_l0[512] __attribute__((aligned(4096)));
static int failures;

static void fail_line(const char *why) {
    failures++;
    put_string(" FAILED: ");
    put_string(why);
    put_char('\n');
}

/* Prints the attempt's outcome; `expected` and `page` are the access and page fault causes. */
static void report(long cause, u64 result, u64 va, long expected, long page) {
    if (cause < 0) {
        put_string(" -> completed, value ");
        put_hex(result);
        fail_line("no fault");
        return;
    }
    put_string(" -> fault cause ");
    put_decimal((u64)cause);
    if (cause != expected && cause != page) {
        fail_line("wrong cause");
    } else if (result != va) {
        put_string(" stval ");
        put_hex(result);
        fail_line("stval is not the address used");
    } else {
        put_char('\n');
    }
}

static void describe(const char *access, u64 address, u64 va) {
    put_string(access);
    put_char(' ');
    put_hex(address);
    if (va != address) {
        put_string(" via va ");
        put_hex(va);
    }
}

static void attempt_read(u64 address, u64 va) {
    u64 result = 0;
    long cause = probe_load(va, &result);
    describe("read", address, va);
    report(cause, result, va, 5, 13);
}

static void attempt_write(u64 address, u64 va) {
    u64 result = 0;
    long cause = probe_store(va, STORED_VALUE, &result);
    describe("write", address, va);
    report(cause, result, va, 7, 15);
}

static void attempt_fetch(u64 address, u64 va) {
    u64 result = 0;
    long cause = probe_fetch(va, &result);
    describe("fetch", address, va);
    report(cause, result, va, 1, 12);
}

static u64 pte(u64 pa, u64 flags) { return (pa >> 12) << 10 | flags; }

static void sfence_all(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }

static void set_satp(u64 value) {
    __asm__ volatile("csrw satp, %0" ::"r"(value) : "memory");
    sfence_all();
}

void guest_main(u64 hartid, const void *dtb) {
    (void)hartid;
    u64 ram_size = fdt_memory_size(dtb);
    if (ram_size == 0 || ram_size > GIGAPAGE) {
        put_string("FAIL attack-memory: no usable /memory node in the device tree\n");
        shut_down(1);
    }
    u64 ram_end = RAM_BASE + ram_size;
    put_string("attack-memory: RAM ");
    put_hex(RAM_BASE);
    put_string("..");
    put_hex(ram_end);
    put_char('\n');

    /* Guest-physical addresses that are not this guest's RAM. */
    const u64 targets[] = {
        ram_end,                     /* the first byte past its RAM */
        ram_end + 0x1ff000,          /* the last page of the 2 MiB frame after it */
        RAM_BASE + (512ul << 20),    /* where a later domain would sit in a 1 GiB host */
        RAM_BASE + GIGAPAGE - PAGE_SIZE, /* the last page of a 1 GiB host's RAM */
        RAM_BASE + GIGAPAGE,         /* the end of a 1 GiB host's RAM */
        0x0ul,
        0x02000000ul,                /* the host's CLINT (mtime, mtimecmp) */
        /* Not the PLIC's window: since issue 19 a hav guest has a PLIC of its own there. */
        0x03000000ul,                /* the host's PCIe port I/O window */
        /* Nor the virtio-mmio windows: a hav guest has its own there too. */
        0x10100000ul,                /* the host's fw_cfg */
        0x1fffffff000ul,             /* the last page Sv39x4 G-stage can express */
        0x20000000000ul,             /* 2^41: past what Sv39x4 can express */
        0xfffffffff000ul,
        0xfffffffffffffff8ul,        /* the last doubleword of the address space: address + size wraps to 0 */
    };
    const int count = sizeof targets / sizeof targets[0];

    put_string("-- physical, translation off\n");
    for (int i = 0; i < count; i++) {
        attempt_read(targets[i], targets[i]);
        attempt_write(targets[i], targets[i]);
    }
    attempt_fetch(ram_end, ram_end);
    attempt_fetch(0, 0);

    /* Sv39: RAM's 1 GiB identity superpage (the code runs there), one 4 KiB leaf per target in
     * the window, and three level-1 pointers to tables outside RAM. */
    root[RAM_BASE >> 30] = pte(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[WINDOW_VA >> 30] = pte((u64)window_l1, PTE_V);
    window_l1[0] = pte((u64)window_l0, PTE_V);
    for (int i = 0; i < count; i++) window_l0[i] = pte(targets[i], PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    const u64 outside_tables[] = {ram_end, UART_BASE, 0x0ul};
    for (int i = 0; i < 3; i++) root[(OUTSIDE_TABLE_VA >> 30) + i] = pte(outside_tables[i], PTE_V);
    set_satp(SATP_SV39 | (u64)root >> 12);

    put_string("-- mapped through Sv39 4 KiB pages\n");
    for (int i = 0; i < count; i++) {
        u64 va = WINDOW_VA + (u64)i * PAGE_SIZE;
        attempt_read(targets[i], va);
        attempt_write(targets[i], va);
    }
    attempt_fetch(ram_end, WINDOW_VA);

    put_string("-- mapped through the RAM superpage\n");
    attempt_read(ram_end, ram_end);
    attempt_write(ram_end, ram_end);
    attempt_read(RAM_BASE + GIGAPAGE - 8, RAM_BASE + GIGAPAGE - 8);
    attempt_write(RAM_BASE + GIGAPAGE - 8, RAM_BASE + GIGAPAGE - 8);

    put_string("-- page tables outside RAM\n");
    for (int i = 0; i < 3; i++) {
        u64 va = OUTSIDE_TABLE_VA + (u64)i * GIGAPAGE;
        put_string("table at ");
        put_hex(outside_tables[i]);
        put_string(": ");
        attempt_read(va, va);
        put_string("table at ");
        put_hex(outside_tables[i]);
        put_string(": ");
        attempt_write(va, va);
    }
    set_satp(0);

    /* Its own RAM: all of it but this image (code, data, tables, stack). */
    u64 image_end = ((u64)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    u64 written = 0, wrong = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (u64 a = RAM_BASE; a < ram_end; a += 8) {
            if (a == KERNEL_BASE) a = image_end;
            volatile u64 *word = (volatile u64 *)a;
            if (pass == 0) {
                *word = PATTERN;
                written += 8;
            } else if (*word != PATTERN) {
                wrong++;
            }
        }
    }
    put_string("own RAM: wrote ");
    put_decimal(written >> 10);
    put_string(" KiB of pattern, ");
    put_decimal(wrong);
    put_string(" doublewords read back wrong\n");
    if (wrong) failures++;

    if (failures) {
        put_string("FAIL attack-memory: ");
        put_decimal((u64)failures);
        put_string(" attempts did not fault as they must\n");
        shut_down(1);
    }
    put_string("PASS attack-memory\n");
    shut_down(0);
}
