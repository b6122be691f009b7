/* The corpus SBI firmware: a minimal M-mode Supervisor Execution Environment for the virt
 * board, written from the RISC-V SBI specification v2.0 and the privileged specification.
 *
 * It boots like OpenSBI's fw_jump: linked at 0x8000_0000, it sets up the hart's M-mode state,
 * prints one banner line, and enters the payload at 0x8020_0000 in S-mode with a0 = hart id
 * and a1 = the DTB address. Afterwards it runs only when S-mode (or U-mode) traps to M-mode:
 * SBI calls (ecall from S), the machine timer when the hart lacks Sstc, and exceptions that are
 * not delegated, which it hands to S-mode as if they had been.
 *
 * Extensions: legacy set_timer/putchar/getchar/shutdown, BASE, TIME, IPI, RFENCE, HSM, SRST
 * and DBCN. Single hart: hart 0 boots, every other hart parks in entry.S and counts as not
 * available to the supervisor. Misaligned loads and stores are not emulated: the virt board's
 * harts (QEMU's and ours) perform them in hardware.
 */
#include <stdint.h>
#include <stddef.h>
#include "sbi.h"

typedef uint64_t u64;
typedef uint32_t u32;

/* ---- the virt board (QEMU hw/riscv/virt.c memory map, as ARCHITECTURE.md lists it) ---- */

#define SIFIVE_TEST_BASE 0x100000UL
#define SIFIVE_TEST_PASS 0x5555u  /* power off, exit status 0 */
#define SIFIVE_TEST_FAIL 0x3333u  /* power off, exit status in bits 31:16 */
#define SIFIVE_TEST_RESET 0x7777u /* reset the machine */
#define CLINT_BASE 0x2000000UL
#define CLINT_MTIMECMP0 (CLINT_BASE + 0x4000) /* hart 0's mtimecmp (SiFive CLINT layout) */
#define UART_BASE 0x10000000UL
#define UART_RBR 0 /* ns16550a receive buffer (read) */
#define UART_THR 0 /* transmit holding register (write) */
#define UART_LSR 5 /* line status register */
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define RAM_BASE 0x80000000UL
#define PAYLOAD_ENTRY 0x80200000UL /* fw_jump's FW_JUMP_ADDR on virt */
#define BOOT_HART 0

/* ---- CSR bits (privileged specification 1.12) ---- */

#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3UL << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS_INITIAL (1UL << 13)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_MPRV (1UL << 17)
#define PRIV_U 0
#define PRIV_S 1
#define PRIV_M 3
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define MIP_SSIP (1UL << IRQ_S_SOFT)
#define MIP_STIP (1UL << IRQ_S_TIMER)
#define MIP_MTIP (1UL << IRQ_M_TIMER)
#define MIP_SEIP (1UL << IRQ_S_EXT)
#define MCAUSE_INTERRUPT (1UL << 63)
#define EXC_INSTRUCTION_MISALIGNED 0
#define EXC_BREAKPOINT 3
#define EXC_ECALL_FROM_U 8
#define EXC_ECALL_FROM_S 9
#define EXC_INSTRUCTION_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15
/* Counters S-mode may read (mcounteren/scounteren bit 0 CY, 1 TM, 2 IR), as OpenSBI grants. */
#define COUNTEREN_CY_TM_IR 7
#define MENVCFG_STCE (1UL << 63) /* Sstc: stimecmp drives STIP */
/* PMP (privileged spec §3.7): a NAPOT region with no permissions, then everything RWX. */
#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_A_NAPOT 0x18

#define csr_read(name) ({ u64 v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csr_write(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((u64)(v)) : "memory")
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((u64)(v)) : "memory")
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((u64)(v)) : "memory")
/* stimecmp (0x14d) and menvcfg (0x30a) by number: older assemblers lack the names. */
#define write_stimecmp(v) __asm__ volatile("csrw 0x14d, %0" ::"r"((u64)(v)) : "memory")
#define menvcfg_set(v) __asm__ volatile("csrs 0x30a, %0" ::"r"((u64)(v)) : "memory")

extern int csr_exists_stimecmp(void);
extern int csr_exists_menvcfg(void);
extern char _fw_start[], _fw_end[];

static int have_sstc;
static u64 ram_start, ram_end; /* the RAM S-mode may hand us addresses in */

static inline void mmio_write8(u64 address, uint8_t value) { *(volatile uint8_t *)address = value; }
static inline uint8_t mmio_read8(u64 address) { return *(volatile uint8_t *)address; }
static inline void mmio_write32(u64 address, u32 value) { *(volatile u32 *)address = value; }
static inline void mmio_write64(u64 address, u64 value) { *(volatile u64 *)address = value; }

/* ---- console: the ns16550a, polled ---- */

static void uart_putc(uint8_t c) {
    while (!(mmio_read8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {}
    mmio_write8(UART_BASE + UART_THR, c);
}

/* The next received byte, or -1 when none is waiting (never blocks). */
static long uart_getc(void) {
    if (!(mmio_read8(UART_BASE + UART_LSR) & UART_LSR_DR)) return -1;
    return mmio_read8(UART_BASE + UART_RBR);
}

static void uart_puts(const char *s) {
    while (*s) uart_putc((uint8_t)*s++);
}

static void uart_put_hex(u64 value) {
    uart_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) uart_putc((uint8_t)"0123456789abcdef"[(value >> shift) & 15]);
}

/* ---- power ---- */

static void __attribute__((noreturn)) power_off(u32 code) {
    mmio_write32(SIFIVE_TEST_BASE, code);
    for (;;) __asm__ volatile("wfi");
}

/* A firmware bug or a machine fault while M-mode runs: nothing to return to. */
static void __attribute__((noreturn)) firmware_panic(const char *why, u64 a, u64 b, u64 c) {
    uart_puts("VirtBench SBI: ");
    uart_puts(why);
    uart_putc(' ');
    uart_put_hex(a);
    uart_putc(' ');
    uart_put_hex(b);
    uart_putc(' ');
    uart_put_hex(c);
    uart_putc('\n');
    power_off((1u << 16) | SIFIVE_TEST_FAIL);
}

/* ---- the device tree: only the RAM range (devicetree specification v0.4, §5) ---- */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
/* A larger DTB is not one the virt board makes: refuse it rather than walk far. */
#define FDT_MAX_SIZE (1u << 20)

static u32 be32(const uint8_t *p) { return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3]; }

static int name_is(const char *name, const char *prefix, int allow_unit) {
    while (*prefix) if (*name++ != *prefix++) return 0;
    return *name == 0 || (allow_unit && *name == '@');
}

/* The first memory node's first (address, size) pair, with the root's #address-cells and
 * #size-cells (1 or 2 each). Returns 0 when the blob is missing, malformed or has no memory node. */
static int fdt_memory(const uint8_t *fdt, u64 *base, u64 *size) {
    if (!fdt || ((u64)fdt & 3) || be32(fdt) != FDT_MAGIC) return 0;
    u32 total = be32(fdt + 4), structure = be32(fdt + 8), strings = be32(fdt + 12);
    u32 structure_size = be32(fdt + 36);
    if (total > FDT_MAX_SIZE || structure >= total || strings >= total || structure_size > total - structure) return 0;
    const uint8_t *p = fdt + structure, *end = p + structure_size;
    u32 address_cells = 2, size_cells = 1; /* the specification's defaults */
    int depth = 0, in_memory = 0;
    while (p + 4 <= end) {
        u32 token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            while (p < end && *p) p++;
            p = (const uint8_t *)(((u64)p + 4) & ~3UL); /* past the NUL, padded to 4 */
            depth++;
            in_memory = depth == 2 && name_is(name, "memory", 1);
        } else if (token == FDT_END_NODE) {
            depth--;
            in_memory = 0;
        } else if (token == FDT_PROP) {
            if (p + 8 > end) return 0;
            u32 length = be32(p), name_offset = be32(p + 4);
            const uint8_t *value = p + 8;
            if (length > (u32)(end - value) || name_offset >= total - strings) return 0;
            const char *name = (const char *)fdt + strings + name_offset;
            if (depth == 1 && length == 4 && name_is(name, "#address-cells", 0)) address_cells = be32(value);
            if (depth == 1 && length == 4 && name_is(name, "#size-cells", 0)) size_cells = be32(value);
            if (in_memory && name_is(name, "reg", 0)) {
                if (address_cells < 1 || address_cells > 2 || size_cells < 1 || size_cells > 2) return 0;
                if (length < 4 * (address_cells + size_cells)) return 0;
                u64 a = be32(value), s;
                if (address_cells == 2) a = (a << 32) | be32(value + 4);
                value += 4 * address_cells;
                s = be32(value);
                if (size_cells == 2) s = (s << 32) | be32(value + 4);
                *base = a;
                *size = s;
                return 1;
            }
            p = (const uint8_t *)(((u64)value + length + 3) & ~3UL);
        } else if (token == FDT_NOP) {
            continue;
        } else {
            return 0; /* FDT_END before a memory node, or garbage */
        }
    }
    return 0;
}

/* ---- start-up ---- */

/* mret target and M-mode state for the payload; returns the payload's entry (entry.S mrets). */
u64 firmware_init(u64 hart_id, u64 dtb) {
    (void)hart_id;
    u64 memory_base, memory_size;
    if (fdt_memory((const uint8_t *)dtb, &memory_base, &memory_size) && memory_base == RAM_BASE && memory_size > 0) {
        ram_start = memory_base;
        ram_end = memory_base + memory_size;
    } else {
        /* No usable DTB: the board puts it at the top of RAM, so RAM reaches at least that far. */
        ram_start = RAM_BASE;
        ram_end = dtb > RAM_BASE ? dtb : PAYLOAD_ENTRY;
    }

    /* Delegate what S-mode handles itself, as OpenSBI does: misaligned fetch, breakpoint,
     * ecall from U and the page faults; S-mode interrupts. Illegal instructions and access
     * faults come here first and are passed down (redirect_to_supervisor). */
    csr_write(medeleg, (1UL << EXC_INSTRUCTION_MISALIGNED) | (1UL << EXC_BREAKPOINT) | (1UL << EXC_ECALL_FROM_U) |
                           (1UL << EXC_INSTRUCTION_PAGE_FAULT) | (1UL << EXC_LOAD_PAGE_FAULT) |
                           (1UL << EXC_STORE_PAGE_FAULT));
    csr_write(mideleg, MIP_SSIP | MIP_STIP | MIP_SEIP);
    csr_write(mie, 0);
    csr_write(mip, 0);
    csr_write(mcounteren, COUNTEREN_CY_TM_IR);
    csr_write(scounteren, COUNTEREN_CY_TM_IR);

    /* Sstc: let S-mode's timer be stimecmp (written by set_timer below), else the CLINT path. */
    have_sstc = csr_exists_stimecmp();
    if (csr_exists_menvcfg() && have_sstc) menvcfg_set(MENVCFG_STCE);
    if (have_sstc) write_stimecmp(UINT64_MAX);
    else mmio_write64(CLINT_MTIMECMP0, UINT64_MAX);

    /* PMP: entry 0 denies S and U the firmware's own memory (a NAPOT region of the next power
     * of two that covers it), entry 1 gives them the rest of the address space. Lower-numbered
     * entries take priority; M-mode is unaffected because no entry is locked. */
    u64 size = 4096;
    while (size < (u64)_fw_end - (u64)_fw_start) size <<= 1;
    csr_write(pmpaddr0, ((u64)_fw_start >> 2) | ((size >> 3) - 1));
    csr_write(pmpaddr1, ~0UL); /* NAPOT with every bit set: all of memory */
    csr_write(pmpcfg0, (u64)PMP_A_NAPOT | ((u64)(PMP_A_NAPOT | PMP_R | PMP_W | PMP_X) << 8));

    /* Enter S-mode with S interrupts off and the FPU usable, as OpenSBI leaves it. */
    u64 mstatus = csr_read(mstatus);
    mstatus &= ~(MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MPRV | MSTATUS_FS);
    mstatus |= ((u64)PRIV_S << MSTATUS_MPP_SHIFT) | MSTATUS_FS_INITIAL;
    csr_write(mstatus, mstatus);
    __asm__ volatile("fscsr zero");
    csr_write(satp, 0);

    uart_puts("VirtBench SBI v0.1\n");
    return PAYLOAD_ENTRY;
}

/* ---- trap handling ---- */

struct frame {
    u64 x[32]; /* x[0] unused; a0..a7 are x[10]..x[17] */
    u64 mepc;
};

#define A0 10
#define A1 11
#define A2 12
#define A3 13
#define A4 14
#define A6 16
#define A7 17

struct sbiret {
    long error;
    long value;
};

static struct sbiret ok(long value) { return (struct sbiret){SBI_SUCCESS, value}; }
static struct sbiret fail(long error) { return (struct sbiret){error, 0}; }

/* A hart mask (SBI "Hart list parameter"): base -1 means every hart; otherwise every set bit
 * must name an available hart, and only the boot hart is. Returns whether the boot hart is in it. */
static int hart_mask_targets_us(u64 mask, u64 base, long *error) {
    *error = SBI_SUCCESS;
    if (base == UINT64_MAX) return 1;
    if (mask == 0) return 0;
    if (base > BOOT_HART) { *error = SBI_ERR_INVALID_PARAM; return 0; }
    if (mask & ~(1UL << (BOOT_HART - base))) { *error = SBI_ERR_INVALID_PARAM; return 0; }
    return 1;
}

static void set_timer(u64 deadline) {
    if (have_sstc) {
        write_stimecmp(deadline); /* STIP follows time >= stimecmp by itself */
    } else {
        mmio_write64(CLINT_MTIMECMP0, deadline);
        csr_clear(mip, MIP_STIP);
        csr_set(mie, 1UL << IRQ_M_TIMER);
    }
}

/* Whether [base, base + length) is RAM S-mode may use: inside RAM, outside the firmware. */
static int supervisor_memory(u64 base, u64 length) {
    if (length == 0) return 1;
    u64 last = base + length - 1;
    if (last < base) return 0; /* wraps around */
    if (base < ram_start || last >= ram_end) return 0;
    return last < (u64)_fw_start || base >= (u64)_fw_end;
}

static struct sbiret base_call(u64 function, u64 a0) {
    switch (function) {
    case SBI_BASE_GET_SPEC_VERSION: return ok(SBI_SPEC_VERSION(2, 0));
    case SBI_BASE_GET_IMPL_ID: return ok(SBI_IMPL_VIRTBENCH);
    case SBI_BASE_GET_IMPL_VERSION: return ok(VIRTBENCH_SBI_VERSION);
    case SBI_BASE_PROBE_EXTENSION:
        switch ((long)a0) {
        case SBI_EXT_LEGACY_SET_TIMER: case SBI_EXT_LEGACY_CONSOLE_PUTCHAR: case SBI_EXT_LEGACY_CONSOLE_GETCHAR:
        case SBI_EXT_LEGACY_SHUTDOWN: case SBI_EXT_BASE: case SBI_EXT_TIME: case SBI_EXT_IPI: case SBI_EXT_RFENCE:
        case SBI_EXT_HSM: case SBI_EXT_SRST: case SBI_EXT_DBCN:
            return ok(1);
        default: return ok(0);
        }
    case SBI_BASE_GET_MVENDORID: return ok((long)csr_read(mvendorid));
    case SBI_BASE_GET_MARCHID: return ok((long)csr_read(marchid));
    case SBI_BASE_GET_MIMPID: return ok((long)csr_read(mimpid));
    default: return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static struct sbiret rfence_call(u64 function, struct frame *f) {
    if (function > SBI_RFENCE_HFENCE_VVMA) return fail(SBI_ERR_NOT_SUPPORTED);
    /* The hfence functions need the H extension in every target hart; we never offer it. */
    if (function >= SBI_RFENCE_HFENCE_GVMA_VMID) return fail(SBI_ERR_NOT_SUPPORTED);
    long error;
    int local = hart_mask_targets_us(f->x[A0], f->x[A1], &error);
    if (error) return fail(error);
    if (function != SBI_RFENCE_FENCE_I) {
        /* start + size must not wrap, unless size is -1 ("the whole address space"). */
        u64 start = f->x[A2], size = f->x[A3];
        if (size != UINT64_MAX && start + size < start) return fail(SBI_ERR_INVALID_ADDRESS);
    }
    if (!local) return ok(0);
    /* Flushing everything is always a correct (if coarse) answer to a ranged request. */
    if (function == SBI_RFENCE_FENCE_I) __asm__ volatile("fence.i" ::: "memory");
    else __asm__ volatile("sfence.vma" ::: "memory");
    return ok(0);
}

/* Non-retentive suspend and hart start enter S-mode the same way (SBI §9, "Hart Start
 * Register State"): at `address`, satp = 0, sstatus.SIE = 0, a0 = hart id, a1 = opaque. */
static void enter_supervisor_fresh(struct frame *f, u64 address, u64 opaque) {
    csr_write(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    csr_clear(mstatus, MSTATUS_SIE | MSTATUS_MPP | MSTATUS_MPRV);
    csr_set(mstatus, (u64)PRIV_S << MSTATUS_MPP_SHIFT);
    f->mepc = address;
    f->x[A0] = BOOT_HART;
    f->x[A1] = opaque;
}

/* Suspends until an interrupt S-mode enabled in sie becomes pending: wfi in M-mode wakes on
 * any pending and enabled interrupt, whatever the global enables (privileged spec, WFI). */
static void wait_for_supervisor_interrupt(void) {
    while (!(csr_read(mip) & csr_read(mie) & (MIP_SSIP | MIP_STIP | MIP_SEIP))) {
        __asm__ volatile("wfi");
        /* A machine timer (CLINT path) lands here as pending: turn it into STIP. */
        if (!have_sstc && (csr_read(mip) & MIP_MTIP) && (csr_read(mie) & MIP_MTIP)) {
            csr_set(mip, MIP_STIP);
            csr_clear(mie, MIP_MTIP);
        }
    }
}

/* Sets *resumed when a non-retentive suspend has rewritten the frame to enter S-mode afresh
 * at the resume address: the result must then not be written into a0/a1. */
static struct sbiret hsm_call(u64 function, struct frame *f, int *resumed) {
    u64 hart = f->x[A0];
    switch (function) {
    case SBI_HSM_HART_START:
        if (hart != BOOT_HART) return fail(SBI_ERR_INVALID_PARAM);
        return fail(SBI_ERR_ALREADY_AVAILABLE);
    case SBI_HSM_HART_STOP:
        /* The only hart stops for good: no other hart is left to start it again. */
        csr_write(mie, 0);
        for (;;) __asm__ volatile("wfi");
    case SBI_HSM_HART_GET_STATUS:
        if (hart != BOOT_HART) return fail(SBI_ERR_INVALID_PARAM);
        return ok(SBI_HSM_STATE_STARTED);
    case SBI_HSM_HART_SUSPEND: {
        u32 type = (u32)f->x[A0];
        if (type == SBI_HSM_SUSPEND_RETENTIVE) {
            wait_for_supervisor_interrupt();
            return ok(0);
        }
        if (type == SBI_HSM_SUSPEND_NON_RETENTIVE) {
            u64 resume = f->x[A1];
            if (!supervisor_memory(resume, 4)) return fail(SBI_ERR_INVALID_ADDRESS);
            wait_for_supervisor_interrupt();
            enter_supervisor_fresh(f, resume, f->x[A2]);
            *resumed = 1;
            return ok(0);
        }
        /* Reserved or platform-specific types: none is implemented here. */
        return fail(SBI_ERR_INVALID_PARAM);
    }
    default: return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static struct sbiret srst_call(u64 function, struct frame *f) {
    if (function != SBI_SRST_SYSTEM_RESET) return fail(SBI_ERR_NOT_SUPPORTED);
    u32 type = (u32)f->x[A0], reason = (u32)f->x[A1];
    if (type > SBI_SRST_TYPE_WARM_REBOOT || reason > SBI_SRST_REASON_SYSTEM_FAILURE) {
        /* Reserved, or SBI-/vendor-specific values none of which we implement. */
        return fail(SBI_ERR_INVALID_PARAM);
    }
    if (type == SBI_SRST_TYPE_SHUTDOWN) {
        /* A shutdown for a system failure exits with status 1 (QEMU's sifive_test), so a test
         * harness sees it failed; OpenSBI 1.2 powers off with status 0 whatever the reason. */
        mmio_write32(SIFIVE_TEST_BASE, reason == SBI_SRST_REASON_NONE ? SIFIVE_TEST_PASS : (1u << 16) | SIFIVE_TEST_FAIL);
    } else {
        mmio_write32(SIFIVE_TEST_BASE, SIFIVE_TEST_RESET);
    }
    return fail(SBI_ERR_FAILED); /* the device did not take the machine down */
}

static struct sbiret dbcn_call(u64 function, struct frame *f) {
    u64 count = f->x[A0], base = f->x[A1], base_high = f->x[A2];
    switch (function) {
    case SBI_DBCN_CONSOLE_WRITE:
    case SBI_DBCN_CONSOLE_READ:
        /* RV64 physical addresses are at most 56 bits: the upper half must be zero. */
        if (base_high != 0 || !supervisor_memory(base, count)) return fail(SBI_ERR_INVALID_PARAM);
        if (function == SBI_DBCN_CONSOLE_WRITE) {
            for (u64 i = 0; i < count; i++) uart_putc(((const uint8_t *)base)[i]);
            return ok((long)count);
        } else {
            u64 n = 0;
            for (long c; n < count && (c = uart_getc()) >= 0; n++) ((uint8_t *)base)[n] = (uint8_t)c;
            return ok((long)n);
        }
    case SBI_DBCN_CONSOLE_WRITE_BYTE:
        uart_putc((uint8_t)count);
        return ok(0);
    default: return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

/* One SBI call. Legacy extensions return a single value in a0 and leave a1 alone. */
static void sbi_call(struct frame *f) {
    u64 extension = f->x[A7], function = f->x[A6];
    struct sbiret r;
    int resumed = 0;
    f->mepc += 4; /* past the ecall (never compressed) */
    switch (extension) {
    case SBI_EXT_LEGACY_SET_TIMER: set_timer(f->x[A0]); f->x[A0] = 0; return;
    case SBI_EXT_LEGACY_CONSOLE_PUTCHAR: uart_putc((uint8_t)f->x[A0]); f->x[A0] = 0; return;
    case SBI_EXT_LEGACY_CONSOLE_GETCHAR: f->x[A0] = (u64)uart_getc(); return;
    case SBI_EXT_LEGACY_SHUTDOWN: power_off(SIFIVE_TEST_PASS);
    case SBI_EXT_BASE: r = base_call(function, f->x[A0]); break;
    case SBI_EXT_TIME:
        if (function != SBI_TIME_SET_TIMER) { r = fail(SBI_ERR_NOT_SUPPORTED); break; }
        set_timer(f->x[A0]);
        r = ok(0);
        break;
    case SBI_EXT_IPI: {
        if (function != SBI_IPI_SEND_IPI) { r = fail(SBI_ERR_NOT_SUPPORTED); break; }
        long error;
        if (hart_mask_targets_us(f->x[A0], f->x[A1], &error)) csr_set(mip, MIP_SSIP);
        r = error ? fail(error) : ok(0);
        break;
    }
    case SBI_EXT_RFENCE: r = rfence_call(function, f); break;
    case SBI_EXT_HSM:
        r = hsm_call(function, f, &resumed);
        if (resumed) return;
        break;
    case SBI_EXT_SRST: r = srst_call(function, f); break;
    case SBI_EXT_DBCN: r = dbcn_call(function, f); break;
    default:
        /* Unknown extensions, including the legacy ones we do not offer (0x03..0x07). */
        if (extension < SBI_EXT_BASE) { f->x[A0] = (u64)(long)SBI_ERR_NOT_SUPPORTED; return; }
        r = fail(SBI_ERR_NOT_SUPPORTED);
        break;
    }
    f->x[A0] = (u64)r.error;
    f->x[A1] = (u64)r.value;
}

/* Takes an exception S-mode should have had as if it had been delegated (privileged spec,
 * "Supervisor Trap Handling"): scause/sepc/stval, SPP = the trapped mode, SPIE = SIE, SIE = 0,
 * and continue at stvec's base in S-mode. */
static void redirect_to_supervisor(struct frame *f, u64 cause, u64 tval, u64 from) {
    csr_write(scause, cause);
    csr_write(sepc, f->mepc);
    csr_write(stval, tval);
    u64 mstatus = csr_read(mstatus);
    mstatus &= ~(MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_MPP);
    if (from == PRIV_S) mstatus |= MSTATUS_SPP;
    if (mstatus & MSTATUS_SIE) mstatus |= MSTATUS_SPIE;
    mstatus &= ~MSTATUS_SIE;
    mstatus |= (u64)PRIV_S << MSTATUS_MPP_SHIFT;
    csr_write(mstatus, mstatus);
    f->mepc = csr_read(stvec) & ~3UL;
}

void trap_handler(struct frame *f) {
    u64 cause = csr_read(mcause), tval = csr_read(mtval);
    u64 from = (csr_read(mstatus) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    if (cause & MCAUSE_INTERRUPT) {
        u64 irq = cause & ~MCAUSE_INTERRUPT;
        if (irq == IRQ_M_TIMER) {
            /* The CLINT path of set_timer: pass the deadline on as S-mode's timer interrupt. */
            csr_clear(mie, MIP_MTIP);
            csr_set(mip, MIP_STIP);
            return;
        }
        firmware_panic("unexpected interrupt: mcause, mepc, mie", cause, f->mepc, csr_read(mie));
    }
    if (from == PRIV_M) firmware_panic("trap in M-mode: mcause, mepc, mtval", cause, f->mepc, tval);
    if (cause == EXC_ECALL_FROM_S) sbi_call(f);
    else redirect_to_supervisor(f, cause, tval, from);
}
