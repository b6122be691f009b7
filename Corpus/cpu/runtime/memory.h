/* The C memory functions the bare-metal runtimes share (memory.c). */
#ifndef VIRTBENCH_CPU_RUNTIME_MEMORY_H
#define VIRTBENCH_CPU_RUNTIME_MEMORY_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int value, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
