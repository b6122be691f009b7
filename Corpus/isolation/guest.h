/* What the isolation guests (Corpus/isolation) share: SBI calls (RISC-V SBI specification
 * v2.0), console output through the legacy putchar every SBI implementation has, shutdown
 * through SRST, and the guest RAM size read from the device tree (Devicetree Specification
 * v0.4, chapter 5, "Flattened Devicetree (DTB) Format"). */
#ifndef ISOLATION_GUEST_H
#define ISOLATION_GUEST_H

#include <stdint.h>
#include "sbi.h"

typedef uint64_t u64;
typedef uint32_t u32;

struct sbiret {
    long error;
    long value;
};

static inline struct sbiret sbi_call(long extension, long function, u64 a0, u64 a1) {
    register u64 r0 __asm__("a0") = a0;
    register u64 r1 __asm__("a1") = a1;
    register long r6 __asm__("a6") = function;
    register long r7 __asm__("a7") = extension;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

static inline void put_char(char c) {
    sbi_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, (u64)(unsigned char)c, 0);
}

static inline void put_string(const char *s) {
    while (*s) put_char(*s++);
}

static inline void put_hex(u64 v) {
    put_string("0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 15) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) put_char("0123456789abcdef"[(v >> shift) & 15]);
}

static inline void put_decimal(u64 v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) put_char(digits[--n]);
}

/* SRST shutdown: reason "none" is a clean exit, "system failure" a failed run. */
static inline void shut_down(int failed) {
    sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
             failed ? SBI_SRST_REASON_SYSTEM_FAILURE : SBI_SRST_REASON_NONE);
    for (;;) __asm__ volatile("wfi");
}

/* Called by entry.S for a trap outside a probe: none is expected, so the run fails. */
void unexpected_trap(u64 cause, u64 epc, u64 tval) {
    put_string("FAIL unexpected trap: cause ");
    put_decimal(cause);
    put_string(" at ");
    put_hex(epc);
    put_string(" tval ");
    put_hex(tval);
    put_char('\n');
    shut_down(1);
}

/* ---- the flattened device tree (big-endian throughout) ---- */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

static inline u32 fdt_u32(const void *p) {
    const unsigned char *b = p;
    return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline int name_is_memory(const char *name) {
    const char *want = "memory";
    while (*want)
        if (*name++ != *want++) return 0;
    return *name == 0 || *name == '@';
}

static inline int string_equals(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* The size of the first /memory node's first range (#address-cells = #size-cells = 2, as on
 * the virt board); 0 when the tree is not one or has no such node. */
static inline u64 fdt_memory_size(const void *fdt) {
    const unsigned char *base = fdt;
    if (fdt_u32(base) != FDT_MAGIC) return 0;
    const unsigned char *p = base + fdt_u32(base + 8);          /* off_dt_struct */
    const char *strings = (const char *)base + fdt_u32(base + 12); /* off_dt_strings */
    const unsigned char *end = p + fdt_u32(base + 36);          /* size_dt_struct */
    int depth = 0, in_memory = 0;
    while (p < end) {
        u32 token = fdt_u32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            u64 length = 0;
            while (name[length]) length++;
            p += (length + 1 + 3) & ~3ul;
            depth++;
            in_memory = depth == 2 && name_is_memory(name);
        } else if (token == FDT_END_NODE) {
            depth--;
            in_memory = 0;
        } else if (token == FDT_PROP) {
            u32 length = fdt_u32(p), name = fdt_u32(p + 4);
            const unsigned char *value = p + 8;
            p = value + ((length + 3) & ~3u);
            if (in_memory && length >= 16 && string_equals(strings + name, "reg"))
                return (u64)fdt_u32(value + 8) << 32 | fdt_u32(value + 12);
        } else if (token == FDT_END) {
            break;
        } else if (token != FDT_NOP) {
            return 0;
        }
    }
    return 0;
}

#endif
