/* The SBI self-test: an S-mode payload that calls every function the corpus firmware
 * (Corpus/firmware) implements, with good and bad arguments, and checks what comes back
 * against the RISC-V SBI specification v2.0.
 *
 * It prints one line per extension ("<extension>: ok") and ends with "PASS sbi" (then an SRST
 * shutdown) or "FAIL sbi" after the failed checks' lines. Checks marked strict hold our
 * firmware to the exact error codes of the specification; with another implementation
 * (Debian's OpenSBI) they are skipped, because it answers some bad arguments differently
 * (see Corpus/firmware/README.md). Everything printed is independent of the machine: no
 * times, no vendor or architecture IDs, so QEMU and VirtBench print the same bytes.
 *
 * Not exercised: hart_stop (it would stop the only hart for good) and the shutdown and reboot
 * calls themselves except for the final shutdown.
 */
#include <stdint.h>
#include "sbi.h"

typedef uint64_t u64;

struct sbiret {
    long error;
    long value;
};

static struct sbiret ecall(long extension, long function, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4) {
    register u64 r0 __asm__("a0") = a0;
    register u64 r1 __asm__("a1") = a1;
    register u64 r2 __asm__("a2") = a2;
    register u64 r3 __asm__("a3") = a3;
    register u64 r4 __asm__("a4") = a4;
    register long r6 __asm__("a6") = function;
    register long r7 __asm__("a7") = extension;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

static struct sbiret call0(long e, long f) { return ecall(e, f, 0, 0, 0, 0, 0); }
static struct sbiret call1(long e, long f, u64 a0) { return ecall(e, f, a0, 0, 0, 0, 0); }
static struct sbiret call2(long e, long f, u64 a0, u64 a1) { return ecall(e, f, a0, a1, 0, 0, 0); }
static struct sbiret call3(long e, long f, u64 a0, u64 a1, u64 a2) { return ecall(e, f, a0, a1, a2, 0, 0); }

/* A legacy call: one result, in a0. */
static long legacy(long extension, u64 a0) { return ecall(extension, 0, a0, 0, 0, 0, 0).error; }

/* ---- output, through the legacy putchar every SBI implementation has ---- */

static void putc_(char c) { legacy(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, (u64)(unsigned char)c); }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void put_hex(u64 v) {
    puts_("0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 15) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) putc_("0123456789abcdef"[(v >> shift) & 15]);
}

/* ---- checks ---- */

static int failures, strict, have_dbcn;
static int group_failures;

static void begin(void) { group_failures = 0; }
static void end(const char *group) {
    puts_(group);
    puts_(group_failures ? ": FAILED\n" : ": ok\n");
}

static void check(const char *what, int condition, struct sbiret r) {
    if (condition) return;
    failures++;
    group_failures++;
    puts_("FAIL ");
    puts_(what);
    puts_(": error ");
    put_hex((u64)r.error);
    puts_(" value ");
    put_hex((u64)r.value);
    puts_("\n");
}

static void expect_error(const char *what, struct sbiret r, long error) { check(what, r.error == error, r); }
static void expect_ok(const char *what, struct sbiret r) { check(what, r.error == SBI_SUCCESS, r); }

#define csr_read(name) ({ u64 v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((u64)(v)) : "memory")
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((u64)(v)) : "memory")

#define SIP_SSIP (1UL << 1)
#define SIP_STIP (1UL << 5)
#define SSTATUS_SIE (1UL << 1)
/* The deadline a timer check sets: 100 us at the virt board's 10 MHz timebase. */
#define TIMER_DELTA 1000
/* Bounded waits: a missing interrupt must fail the check, not hang the test. */
#define WAIT_LIMIT 10000000

static int wait_pending(u64 bit) {
    for (long i = 0; i < WAIT_LIMIT; i++) {
        if (csr_read(sip) & bit) return 1;
        __asm__ volatile("wfi"); /* wakes on a pending interrupt enabled in sie, SIE=0 or not */
    }
    return 0;
}

long probe_readable(u64 address);

static u64 now(void) { return csr_read(time); }

static void test_base(void) {
    begin();
    struct sbiret spec = call0(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);
    check("base get_spec_version >= 0.2", spec.error == 0 && spec.value >= SBI_SPEC_VERSION(0, 2), spec);
    struct sbiret id = call0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID);
    expect_ok("base get_impl_id", id);
    struct sbiret version = call0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION);
    expect_ok("base get_impl_version", version);
    strict = id.value == SBI_IMPL_VIRTBENCH;
    if (strict) {
        check("base get_spec_version == 2.0", spec.value == SBI_SPEC_VERSION(2, 0), spec);
        check("base get_impl_version == 0.1", version.value == VIRTBENCH_SBI_VERSION, version);
    }
    static const long present[] = {SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM,
                                   SBI_EXT_SRST, SBI_EXT_LEGACY_SET_TIMER, SBI_EXT_LEGACY_CONSOLE_PUTCHAR,
                                   SBI_EXT_LEGACY_CONSOLE_GETCHAR, SBI_EXT_LEGACY_SHUTDOWN};
    for (unsigned i = 0; i < sizeof present / sizeof present[0]; i++) {
        struct sbiret r = call1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, (u64)present[i]);
        check("base probe_extension of an implemented extension", r.error == 0 && r.value != 0, r);
    }
    struct sbiret dbcn = call1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_DBCN);
    expect_ok("base probe_extension(DBCN)", dbcn);
    have_dbcn = dbcn.value != 0;
    if (strict) check("base probe_extension(DBCN) == 1", dbcn.value == 1, dbcn);
    struct sbiret absent = call1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, 0x0A0B0C0D);
    check("base probe_extension of an unknown extension == 0", absent.error == 0 && absent.value == 0, absent);
    expect_ok("base get_mvendorid", call0(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID));
    expect_ok("base get_marchid", call0(SBI_EXT_BASE, SBI_BASE_GET_MARCHID));
    expect_ok("base get_mimpid", call0(SBI_EXT_BASE, SBI_BASE_GET_MIMPID));
    expect_error("base unknown function", call0(SBI_EXT_BASE, 7), SBI_ERR_NOT_SUPPORTED);
    expect_error("unknown extension", call0(0x0A000001, 0), SBI_ERR_NOT_SUPPORTED);
    expect_error("unknown extension, function 5", call0(0x0A000001, 5), SBI_ERR_NOT_SUPPORTED);
    end("base");
}

static void test_time(void) {
    begin();
    csr_set(sie, SIP_STIP);
    struct sbiret r = call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, now() + TIMER_DELTA);
    expect_ok("time set_timer", r);
    check("time set_timer raises STIP at the deadline", wait_pending(SIP_STIP), r);
    r = call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, UINT64_MAX);
    check("time set_timer(far future) clears STIP", r.error == 0 && !(csr_read(sip) & SIP_STIP), r);
    long legacy_result = legacy(SBI_EXT_LEGACY_SET_TIMER, now() + TIMER_DELTA);
    r = (struct sbiret){legacy_result, 0};
    check("legacy set_timer returns 0", legacy_result == 0, r);
    check("legacy set_timer raises STIP", wait_pending(SIP_STIP), r);
    legacy(SBI_EXT_LEGACY_SET_TIMER, UINT64_MAX);
    check("legacy set_timer(far future) clears STIP", !(csr_read(sip) & SIP_STIP), r);
    expect_error("time unknown function", call0(SBI_EXT_TIME, 1), SBI_ERR_NOT_SUPPORTED);
    csr_clear(sie, SIP_STIP);
    end("time");
}

static void test_ipi(void) {
    begin();
    csr_set(sie, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    struct sbiret r = call2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, 0);
    check("ipi send_ipi(hart 0) sets SSIP", r.error == 0 && (csr_read(sip) & SIP_SSIP), r);
    csr_clear(sip, SIP_SSIP);
    r = call2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0, (u64)-1);
    check("ipi send_ipi(all harts) sets SSIP", r.error == 0 && (csr_read(sip) & SIP_SSIP), r);
    csr_clear(sip, SIP_SSIP);
    r = call2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0, 0);
    check("ipi send_ipi(empty mask) sends nothing", r.error == 0 && !(csr_read(sip) & SIP_SSIP), r);
    if (strict) {
        expect_error("ipi send_ipi(hart 1)", call2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 2, 0), SBI_ERR_INVALID_PARAM);
        expect_error("ipi send_ipi(base 1)", call2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, 1), SBI_ERR_INVALID_PARAM);
        check("ipi to an invalid hart sends nothing", !(csr_read(sip) & SIP_SSIP), r);
    }
    csr_clear(sip, SIP_SSIP);
    expect_error("ipi unknown function", call0(SBI_EXT_IPI, 1), SBI_ERR_NOT_SUPPORTED);
    csr_clear(sie, SIP_SSIP);
    end("ipi");
}

static void test_rfence(void) {
    begin();
    expect_ok("rfence remote_fence_i", call2(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 1, 0));
    expect_ok("rfence remote_fence_i(all)", call2(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 0, (u64)-1));
    expect_ok("rfence remote_sfence_vma(everything)", ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0, 0, 0, 0));
    expect_ok("rfence remote_sfence_vma(range)", ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0, 0x80200000, 0x2000, 0));
    expect_ok("rfence remote_sfence_vma(size -1)", ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0, 0, (u64)-1, 0));
    expect_ok("rfence remote_sfence_vma_asid", ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, 0, (u64)-1, 0, (u64)-1, 1));
    if (strict) {
        for (long f = SBI_RFENCE_HFENCE_GVMA_VMID; f <= SBI_RFENCE_HFENCE_VVMA; f++)
            expect_error("rfence hfence without the H extension", ecall(SBI_EXT_RFENCE, f, 1, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
        expect_error("rfence remote_fence_i(hart 1)", call2(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 2, 0), SBI_ERR_INVALID_PARAM);
        expect_error("rfence remote_sfence_vma(wrapping range)",
                     ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0, (u64)-4096, 0x2000, 0), SBI_ERR_INVALID_ADDRESS);
    }
    expect_error("rfence unknown function", call0(SBI_EXT_RFENCE, 7), SBI_ERR_NOT_SUPPORTED);
    end("rfence");
}

extern char resume_entry[];
#define RESUME_OPAQUE 0x5eed0000cafeUL

static void test_hsm(void) {
    begin();
    struct sbiret r = call1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0);
    check("hsm hart_get_status(0) == STARTED", r.error == 0 && r.value == SBI_HSM_STATE_STARTED, r);
    expect_error("hsm hart_get_status(1)", call1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1), SBI_ERR_INVALID_PARAM);
    expect_error("hsm hart_start(0) while it runs",
                 call3(SBI_EXT_HSM, SBI_HSM_HART_START, 0, (u64)resume_entry, 0), SBI_ERR_ALREADY_AVAILABLE);
    expect_error("hsm hart_start(1)", call3(SBI_EXT_HSM, SBI_HSM_HART_START, 1, (u64)resume_entry, 0), SBI_ERR_INVALID_PARAM);

    /* Default retentive suspend: returns success once the armed timer is pending. */
    csr_set(sie, SIP_STIP);
    call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, now() + TIMER_DELTA);
    r = call3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_RETENTIVE, 0, 0);
    check("hsm retentive suspend returns after the timer", r.error == 0 && (csr_read(sip) & SIP_STIP), r);
    call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, UINT64_MAX);
    expect_error("hsm suspend of a reserved type", call3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 1, 0, 0), SBI_ERR_INVALID_PARAM);
    expect_error("hsm unknown function", call0(SBI_EXT_HSM, 4), SBI_ERR_NOT_SUPPORTED);
    if (strict) {
        expect_error("hsm non-retentive suspend to a bad address",
                     call3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NON_RETENTIVE, 0x1000, 0),
                     SBI_ERR_INVALID_ADDRESS);
    }
    end("hsm");
}

static void test_srst(void) {
    begin();
    expect_error("srst reserved type", call2(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 3, 0), SBI_ERR_INVALID_PARAM);
    expect_error("srst reserved reason", call2(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0, 2), SBI_ERR_INVALID_PARAM);
    expect_error("srst unknown function", call0(SBI_EXT_SRST, 1), SBI_ERR_NOT_SUPPORTED);
    end("srst");
}

static char dbcn_buffer[16];

static void test_dbcn(void) {
    if (!have_dbcn) {
        puts_("dbcn: not offered\n");
        return;
    }
    begin();
    static const char text[] = "dbcn: console_write";
    struct sbiret r = call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, sizeof text - 1, (u64)text, 0);
    check("dbcn console_write writes it all", r.error == 0 && r.value == (long)sizeof text - 1, r);
    r = call1(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE_BYTE, '\n');
    expect_ok("dbcn console_write_byte", r);
    r = call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_READ, sizeof dbcn_buffer, (u64)dbcn_buffer, 0);
    check("dbcn console_read with no input reads 0 bytes", r.error == 0 && r.value == 0, r);
    expect_error("dbcn console_write from outside RAM", call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 4, 0x1000, 0),
                 SBI_ERR_INVALID_PARAM);
    expect_error("dbcn console_write with base_addr_hi", call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 4, (u64)text, 1),
                 SBI_ERR_INVALID_PARAM);
    expect_error("dbcn console_read into outside RAM", call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_READ, 4, 0x1000, 0),
                 SBI_ERR_INVALID_PARAM);
    /* Only where firmware occupies the start of RAM, out of S-mode's reach: under a hypervisor's
     * SBI that memory is the guest's own. */
    if (strict && !probe_readable(0x80000000)) {
        expect_error("dbcn console_write from the firmware's memory",
                     call3(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 4, 0x80000000, 0), SBI_ERR_INVALID_PARAM);
    }
    expect_error("dbcn unknown function", call0(SBI_EXT_DBCN, 3), SBI_ERR_NOT_SUPPORTED);
    end("dbcn");
}

static void test_legacy_console(void) {
    begin();
    long c = legacy(SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0);
    check("legacy getchar with no input returns -1", c == -1, (struct sbiret){c, 0});
    end("legacy console");
}

static void __attribute__((noreturn)) finish(void) {
    puts_(failures ? "FAIL sbi\n" : "PASS sbi\n");
    call2(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
          failures ? SBI_SRST_REASON_SYSTEM_FAILURE : SBI_SRST_REASON_NONE);
    legacy(SBI_EXT_LEGACY_SHUTDOWN, 0);
    for (;;) __asm__ volatile("wfi");
}

void sbitest_main(u64 hart_id, u64 dtb) {
    (void)dtb;
    puts_("SBI self-test on hart ");
    put_hex(hart_id);
    puts_("\n");
    test_base();
    test_time();
    test_ipi();
    test_rfence();
    test_hsm();
    test_srst();
    test_dbcn();
    test_legacy_console();

    /* Last: default non-retentive suspend, woken by the timer, resumes at resume_entry with a
     * fresh register state (sbitest_resumed), never here. */
    csr_set(sie, SIP_STIP);
    call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, now() + TIMER_DELTA);
    struct sbiret r = call3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NON_RETENTIVE, (u64)resume_entry, RESUME_OPAQUE);
    if (strict) {
        check("hsm non-retentive suspend resumes at resume_addr", 0, r);
    } else {
        /* Another implementation may not offer it (NOT_SUPPORTED is a valid answer). */
        check("hsm non-retentive suspend: a valid error", r.error == SBI_ERR_NOT_SUPPORTED, r);
        puts_("hsm non-retentive suspend: not supported here\n");
    }
    csr_clear(sie, SIP_STIP);
    finish();
}

/* Where the non-retentive suspend resumes: the registers the SBI specification promises. */
void sbitest_resumed(u64 hart_id, u64 opaque) {
    struct sbiret r = {(long)hart_id, (long)opaque};
    check("hsm resume: a0 = hart id, a1 = opaque", hart_id == 0 && opaque == RESUME_OPAQUE, r);
    check("hsm resume: satp = 0, sstatus.SIE = 0", csr_read(satp) == 0 && !(csr_read(sstatus) & SSTATUS_SIE), r);
    call1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, UINT64_MAX);
    csr_clear(sie, SIP_STIP);
    puts_("hsm non-retentive suspend: ok\n");
    finish();
}

void sbitest_unexpected_trap(u64 cause, u64 epc, u64 tval) {
    puts_("FAIL sbi: unexpected trap, scause ");
    put_hex(cause);
    puts_(" sepc ");
    put_hex(epc);
    puts_(" stval ");
    put_hex(tval);
    puts_("\n");
    failures++;
    finish();
}
