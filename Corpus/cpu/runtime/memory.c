/*
 * The C memory functions both bare-metal runtimes (rv64, thumb) provide. The compiler may call
 * them for aggregate copies and initialisers even in freestanding mode (C11 §5.1.2.1 leaves them
 * to the implementation; clang and gcc document that they expect them). -ffreestanding implies
 * -fno-builtin, so these loops are not turned back into calls to themselves.
 */
#include "memory.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int value, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)value;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) return *x < *y ? -1 : 1;
    }
    return 0;
}
