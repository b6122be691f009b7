/*
 * ARMv6-M (Cortex-M0 class) bare-metal runtime for the CPU-bound workloads: QEMU
 * `-M mps2-an385 -semihosting` and the VirtBench Thumb board (same memory map, see link.ld).
 *
 * It provides what workload.h asks of a runtime (wl_putc, wl_exit) through ARM semihosting,
 * the vector table and reset, a HardFault report, and the run-time helpers clang calls on a
 * core with no 64-bit multiply and no FPU: __aeabi_lmul, the __aeabi_mem* family, and binary64
 * add/sub/mul/div plus sqrt, written from IEEE 754-2008 (round to nearest, ties to even) so
 * nbody's energy matches the RV64 build's hardware doubles bit for bit.
 *
 * Nothing here may use a 64-bit multiply or division in C: clang would lower it to a call to
 * the helper being defined (or to compiler-rt, which this toolchain does not ship).
 */
#include "workload.h"
#include "../memory.h"

/* ---- semihosting (ARM "Semihosting for AArch32 and AArch64", v2.0) ------------------ */

/* On M-profile the semihosting trap is BKPT with immediate 0xAB; r0 holds the operation, r1
 * its parameter, r0 the result. */
#define SYS_WRITEC 0x03
#define SYS_EXIT   0x18
/* SYS_EXIT reasons (semihosting spec §5.4.4, table "Exception type"): an application exit
 * with status 0, and the run-time error QEMU reports as exit status 1. */
#define ADP_STOPPED_APPLICATION_EXIT   0x20026u
#define ADP_STOPPED_RUNTIME_ERROR      0x20023u

/* Exit status printed for a fault (on QEMU any nonzero status exits with 1). */
#define TRAP_EXIT_STATUS 2
#define RETURN_EXIT_STATUS 3

static uint32_t semihost(uint32_t operation, uint32_t parameter) {
    register uint32_t r0 __asm__("r0") = operation;
    register uint32_t r1 __asm__("r1") = parameter;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void wl_putc(char c) {
    volatile char byte = c;
    semihost(SYS_WRITEC, (uint32_t)(uintptr_t)&byte);
}

_Noreturn void wl_exit(int status) {
    semihost(SYS_EXIT, status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR);
    for (;;) {}
}

/* ---- vectors and reset (ARMv6-M ARM B1.5.2, B1.5.3) ---------------------------------- */

extern uint32_t __bss_start[], __bss_end[], wl_stack_top[];

static void put_hex32(uint32_t v) {
    for (int shift = 28; shift >= 0; shift -= 4) wl_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* Reached for every fault (ARMv6-M escalates all faults to HardFault) and any unexpected
 * exception: reports the stacked PC (frame word 6) and xPSR (word 7), then fails. */
void wl_fault_handler(uint32_t *frame) {
    wl_puts("FAIL hardfault pc ");
    put_hex32(frame[6]);
    wl_puts(" xpsr ");
    put_hex32(frame[7]);
    wl_putc('\n');
    wl_exit(TRAP_EXIT_STATUS);
}

/* The exception frame is on whichever stack was in use: EXC_RETURN bit 2 says which. */
__attribute__((naked)) void wl_fault_entry(void) {
    __asm__ volatile(
        "movs r0, #4\n"
        "mov  r1, lr\n"
        "tst  r0, r1\n"
        "beq  1f\n"
        "mrs  r0, psp\n"
        "b    wl_fault_handler\n"
        "1: mrs r0, msp\n"
        "b    wl_fault_handler\n");
}

_Noreturn void wl_reset(void) {
    for (uint32_t *word = __bss_start; word < __bss_end; word++) *(volatile uint32_t *)word = 0;
    workload_main();
}

typedef void (*wl_vector)(void);
/* Word 0: initial SP_main; then Reset, NMI, HardFault, 7 reserved, SVCall, 2 reserved,
 * PendSV, SysTick (ARMv6-M ARM B1.5.2, table B1-4). Function addresses carry the Thumb bit. */
__attribute__((section(".vectors"), used))
const wl_vector wl_vector_table[16] = {
    (wl_vector)wl_stack_top, (wl_vector)wl_reset, wl_fault_entry, wl_fault_entry,
    0, 0, 0, 0, 0, 0, 0, wl_fault_entry, 0, 0, wl_fault_entry, wl_fault_entry,
};

/* ---- memory helpers (C11 §5.1.2.1; ARM RTABI §4.3.4 for the __aeabi_ forms) ---------- */

/* memcpy, memmove, memset and memcmp live in ../memory.c, shared with the RV64 runtime. */

/* The RTABI forms: no return value, and __aeabi_memset takes (dest, n, c). The 4/8 variants
 * only promise alignment, which byte loops do not need. */
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset4(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset8(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }

/* ---- 64-bit multiply ------------------------------------------------------------------ */

/* 32 × 32 → 64 from four 16 × 16 products: ARMv6-M's MULS keeps only the low 32 bits. */
static uint64_t mul32x32(uint32_t a, uint32_t b) {
    uint32_t al = a & 0xffff, ah = a >> 16, bl = b & 0xffff, bh = b >> 16;
    uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint32_t middle = (ll >> 16) + (lh & 0xffff) + (hl & 0xffff);
    uint32_t low = (ll & 0xffff) | (middle << 16);
    uint32_t high = hh + (lh >> 16) + (hl >> 16) + (middle >> 16);
    return ((uint64_t)high << 32) | low;
}

/* RTABI §4.2 long shifts: clang calls these for 64-bit shifts by a variable count. Counts
 * of 64 and above are not defined in C, so callers never pass them. */
uint64_t __aeabi_llsl(uint64_t x, int count) {
    uint32_t low = (uint32_t)x, high = (uint32_t)(x >> 32);
    if (count == 0) return x;
    if (count >= 32) { high = low << (count - 32); low = 0; }
    else { high = (high << count) | (low >> (32 - count)); low <<= count; }
    return ((uint64_t)high << 32) | low;
}

uint64_t __aeabi_llsr(uint64_t x, int count) {
    uint32_t low = (uint32_t)x, high = (uint32_t)(x >> 32);
    if (count == 0) return x;
    if (count >= 32) { low = high >> (count - 32); high = 0; }
    else { low = (low >> count) | (high << (32 - count)); high >>= count; }
    return ((uint64_t)high << 32) | low;
}

int64_t __aeabi_lasr(int64_t x, int count) {
    uint32_t low = (uint32_t)x;
    int32_t high = (int32_t)(x >> 32);
    if (count == 0) return x;
    if (count >= 32) { low = (uint32_t)(high >> (count - 32)); high = high >> 31; }
    else { low = (low >> count) | ((uint32_t)high << (32 - count)); high >>= count; }
    return (int64_t)(((uint64_t)(uint32_t)high << 32) | low);
}

/* RTABI §4.2: the low 64 bits of a 64 × 64 product (signedness does not matter). */
uint64_t __aeabi_lmul(uint64_t a, uint64_t b) {
    uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    uint64_t low = mul32x32(al, bl);
    return low + ((uint64_t)(al * bh + ah * bl) << 32);
}

/* ---- binary64 (IEEE 754-2008 §3.4, §4.3.1 roundTiesToEven, §5.4.1, §6.2) ------------- */

typedef union { double value; uint64_t bits; } binary64;

#define FRACTION_BITS 52
#define FRACTION_MASK ((1ull << FRACTION_BITS) - 1)
#define EXPONENT_MAX  0x7ff               /* all ones: infinity or NaN */
#define EXPONENT_BIAS 1023
#define SIGN_BIT      (1ull << 63)
#define DEFAULT_NAN   0x7ff8000000000000ull /* the quiet NaN RISC-V also returns */
/* Working significands carry the integer bit at bit 62, so ten bits below the 52-bit fraction
 * hold the guard, round and sticky information. */
#define WORK_SHIFT    10
#define HALF_ULP      (1ull << (WORK_SHIFT - 1))
#define ROUND_MASK    ((1ull << WORK_SHIFT) - 1)

static int leading_zeros64(uint64_t x) {
    int n = 0;
    if (x == 0) return 64;
    while (!(x & SIGN_BIT)) { x <<= 1; n++; }
    return n;
}

/* Shifts right, ORing every bit shifted out into bit 0 so rounding still sees it. */
static uint64_t shift_right_jam(uint64_t x, int count) {
    if (count <= 0) return x;
    if (count >= 64) return x != 0;
    return (x >> count) | ((x << (64 - count)) != 0);
}

static double from_bits(uint64_t bits) { binary64 b; b.bits = bits; return b.value; }
/* The empty asm hides the bit pattern's origin: otherwise clang turns the integer NaN tests
 * back into floating-point compares, which on this core are calls to __aeabi_dcmpun. */
static uint64_t to_bits(double d) {
    binary64 b;
    b.value = d;
    __asm__("" : "+r"(b.bits));
    return b.bits;
}

static int is_nan(uint64_t x) { return ((x >> FRACTION_BITS) & EXPONENT_MAX) == EXPONENT_MAX && (x & FRACTION_MASK); }
static int is_inf(uint64_t x) { return (x & ~SIGN_BIT) == ((uint64_t)EXPONENT_MAX << FRACTION_BITS); }

/* Rounds sig · 2^(exponent − bias − 62) to binary64. `sig` is below 2^63 and, unless the
 * value is tiny, has bit 62 set. The carry of rounding into the exponent field is what makes
 * a significand of all ones round up to the next binade (or to infinity). */
static double round_pack(uint64_t sign, int exponent, uint64_t sig) {
    if (sig == 0) return from_bits(sign);
    if (exponent >= EXPONENT_MAX) return from_bits(sign | ((uint64_t)EXPONENT_MAX << FRACTION_BITS));
    if (exponent < 1) {
        /* Subnormal: the value keeps exponent 1's scale with fewer significant bits. */
        sig = shift_right_jam(sig, 1 - exponent);
        exponent = 1;
    }
    uint64_t round_bits = sig & ROUND_MASK;
    uint64_t rounded = (sig + HALF_ULP) >> WORK_SHIFT;
    if (round_bits == HALF_ULP) rounded &= ~1ull;   /* a tie goes to the even neighbour */
    uint64_t bits = ((uint64_t)(exponent - 1) << FRACTION_BITS) + rounded;
    if ((bits >> FRACTION_BITS) >= EXPONENT_MAX) return from_bits(sign | ((uint64_t)EXPONENT_MAX << FRACTION_BITS));
    return from_bits(sign | bits);
}

/* Splits a finite nonzero value into exponent and a significand with the integer bit at 52;
 * subnormals are normalised, so their exponent may go below 1. */
static uint64_t unpack_normalised(uint64_t x, int *exponent) {
    int e = (int)((x >> FRACTION_BITS) & EXPONENT_MAX);
    uint64_t fraction = x & FRACTION_MASK;
    if (e == 0) {
        int shift = leading_zeros64(fraction) - 11;
        *exponent = 1 - shift;
        return fraction << shift;
    }
    *exponent = e;
    return fraction | (1ull << FRACTION_BITS);
}

static double add_bits(uint64_t a, uint64_t b) {
    if (is_nan(a) || is_nan(b)) return from_bits(DEFAULT_NAN);
    uint64_t sign_a = a & SIGN_BIT, sign_b = b & SIGN_BIT;
    if (is_inf(a)) return (is_inf(b) && sign_a != sign_b) ? from_bits(DEFAULT_NAN) : from_bits(a);
    if (is_inf(b)) return from_bits(b);
    uint64_t magnitude_a = a & ~SIGN_BIT, magnitude_b = b & ~SIGN_BIT;
    if (magnitude_a == 0 && magnitude_b == 0) return from_bits(sign_a & sign_b);  /* −0 only if both are */
    if (magnitude_a == 0) return from_bits(b);
    if (magnitude_b == 0) return from_bits(a);
    /* Order by magnitude so the result takes the larger operand's sign. */
    if (magnitude_a < magnitude_b) {
        uint64_t t = a; a = b; b = t;
        t = sign_a; sign_a = sign_b; sign_b = t;
    }
    int exp_a, exp_b;
    uint64_t sig_a = unpack_normalised(a, &exp_a) << WORK_SHIFT;
    uint64_t sig_b = unpack_normalised(b, &exp_b) << WORK_SHIFT;
    sig_b = shift_right_jam(sig_b, exp_a - exp_b);
    int exponent = exp_a;
    uint64_t sig;
    if (sign_a == sign_b) {
        sig = sig_a + sig_b;                       /* below 2^64: both are below 2^63 */
        if (sig & SIGN_BIT) { sig = shift_right_jam(sig, 1); exponent++; }
    } else {
        sig = sig_a - sig_b;
        if (sig == 0) return from_bits(0);         /* exact cancellation is +0 in ties-to-even */
        int shift = leading_zeros64(sig) - 1;
        sig <<= shift;
        exponent -= shift;
    }
    return round_pack(sign_a, exponent, sig);
}

double __aeabi_dadd(double a, double b) { return add_bits(to_bits(a), to_bits(b)); }
double __aeabi_dsub(double a, double b) { return add_bits(to_bits(a), to_bits(b) ^ SIGN_BIT); }

double __aeabi_dmul(double x, double y) {
    uint64_t a = to_bits(x), b = to_bits(y);
    uint64_t sign = (a ^ b) & SIGN_BIT;
    if (is_nan(a) || is_nan(b)) return from_bits(DEFAULT_NAN);
    uint64_t magnitude_a = a & ~SIGN_BIT, magnitude_b = b & ~SIGN_BIT;
    if (is_inf(a) || is_inf(b)) {
        if (magnitude_a == 0 || magnitude_b == 0) return from_bits(DEFAULT_NAN);  /* ∞ × 0 */
        return from_bits(sign | ((uint64_t)EXPONENT_MAX << FRACTION_BITS));
    }
    if (magnitude_a == 0 || magnitude_b == 0) return from_bits(sign);
    int exp_a, exp_b;
    uint64_t sig_a = unpack_normalised(a, &exp_a) << 10;   /* integer bit at 62 */
    uint64_t sig_b = unpack_normalised(b, &exp_b) << 11;   /* integer bit at 63 */
    /* The 128-bit product from four 32 × 32 partial products. */
    uint32_t a0 = (uint32_t)sig_a, a1 = (uint32_t)(sig_a >> 32);
    uint32_t b0 = (uint32_t)sig_b, b1 = (uint32_t)(sig_b >> 32);
    uint64_t p00 = mul32x32(a0, b0), p01 = mul32x32(a0, b1), p10 = mul32x32(a1, b0), p11 = mul32x32(a1, b1);
    uint64_t middle = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    uint64_t low = (middle << 32) | (uint32_t)p00;
    uint64_t high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
    /* high is in [2^61, 2^63): value = high · 2^(exp_a + exp_b − 2·bias − 61). */
    uint64_t sig = high | (low != 0);
    int exponent = exp_a + exp_b - EXPONENT_BIAS + 1;
    if (!(sig & (1ull << 62))) { sig <<= 1; exponent--; }
    return round_pack(sign, exponent, sig);
}

double __aeabi_ddiv(double x, double y) {
    uint64_t a = to_bits(x), b = to_bits(y);
    uint64_t sign = (a ^ b) & SIGN_BIT;
    if (is_nan(a) || is_nan(b)) return from_bits(DEFAULT_NAN);
    uint64_t magnitude_a = a & ~SIGN_BIT, magnitude_b = b & ~SIGN_BIT;
    uint64_t infinity = (uint64_t)EXPONENT_MAX << FRACTION_BITS;
    if (is_inf(a)) return is_inf(b) ? from_bits(DEFAULT_NAN) : from_bits(sign | infinity);
    if (is_inf(b)) return from_bits(sign);
    if (magnitude_b == 0) return magnitude_a == 0 ? from_bits(DEFAULT_NAN) : from_bits(sign | infinity);
    if (magnitude_a == 0) return from_bits(sign);
    int exp_a, exp_b;
    uint64_t sig_a = unpack_normalised(a, &exp_a);
    uint64_t sig_b = unpack_normalised(b, &exp_b);
    int exponent = exp_a - exp_b + EXPONENT_BIAS;
    if (sig_a < sig_b) { sig_a <<= 1; exponent--; }
    /* Restoring long division: 63 quotient bits (integer bit at 62) and a sticky remainder. */
    uint64_t remainder = sig_a, quotient = 0;
    for (int i = 0; i < 63; i++) {
        quotient <<= 1;
        if (remainder >= sig_b) { remainder -= sig_b; quotient |= 1; }
        remainder <<= 1;
    }
    return round_pack(sign, exponent, quotient | (remainder != 0));
}

/* Correctly rounded square root (IEEE 754-2008 §5.4.1): the integer root of the significand
 * scaled to 110 bits, found digit by digit, plus a sticky bit for a nonzero remainder. */
double sqrt(double x) {
    uint64_t a = to_bits(x);
    if (is_nan(a)) return from_bits(DEFAULT_NAN);
    if ((a & ~SIGN_BIT) == 0) return x;                     /* ±0 */
    if (a & SIGN_BIT) return from_bits(DEFAULT_NAN);
    if (is_inf(a)) return x;
    int e;
    uint64_t m = unpack_normalised(a, &e);                  /* value = m · 2^k */
    int k = e - EXPONENT_BIAS - FRACTION_BITS;
    if (k & 1) { m <<= 1; k--; }
    /* Radicand m · 2^56 as two words: high = m >> 8, low = m << 56. */
    uint64_t high = m >> 8, low = m << 56;
    uint64_t root = 0, remainder = 0;
    for (int pair = 54; pair >= 0; pair--) {
        int bit = 2 * pair;
        uint64_t digits = bit >= 64 ? (high >> (bit - 64)) & 3 : (low >> bit) & 3;
        remainder = (remainder << 2) | digits;
        uint64_t trial = (root << 2) | 1;
        root <<= 1;
        if (remainder >= trial) { remainder -= trial; root |= 1; }
    }
    /* root has its integer bit at 54; value = root · 2^(k/2 − 28). */
    uint64_t sig = (root << 8) | (remainder != 0);
    return round_pack(0, k / 2 + 1049, sig);
}
