// Guest RAM as seen by more than one host thread.
//
// Harts run on their own host threads (as QEMU's multi-threaded TCG runs vCPUs) and share one
// mapping of guest RAM. In Swift's memory model, which is C's, two threads touching the same
// bytes with plain loads and stores, at least one of them a store, is a data race and undefined
// behaviour. Every access the Swift code makes to guest RAM therefore goes through these
// functions: relaxed atomic loads and stores (a guest race is then only a race in the guest,
// with the outcome the RISC-V memory model allows), sequentially consistent compare-and-swap for
// the A extension, and a full fence for FENCE. On x86-64 a relaxed aligned load or store is one
// plain `mov` and compare-and-swap is `lock cmpxchg`, so the interpreter pays nothing for this;
// the functions are `static inline` so Swift inlines them. Compiled blocks are host machine code
// and follow the x86-64 memory model directly (TSO: stronger than RVWMO, except that FENCE with
// a store before and a load after needs `mfence`).
//
// Aligned accesses only: the engine takes misaligned accesses byte by byte (RISC-V does not
// require them to be atomic).
#ifndef VIRTBENCH_GUEST_MEMORY_H
#define VIRTBENCH_GUEST_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

static inline uint8_t vb_load8(const void *p) { return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED); }
static inline uint16_t vb_load16(const void *p) { return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED); }
static inline uint32_t vb_load32(const void *p) { return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED); }
static inline uint64_t vb_load64(const void *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED); }

static inline void vb_store8(void *p, uint8_t v) { __atomic_store_n((uint8_t *)p, v, __ATOMIC_RELAXED); }
static inline void vb_store16(void *p, uint16_t v) { __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED); }
static inline void vb_store32(void *p, uint32_t v) { __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED); }
static inline void vb_store64(void *p, uint64_t v) { __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); }

// Replaces *p with `desired` if it holds `expected`; true when it did. AMOs are built as a
// compare-and-swap loop and SC as one compare-and-swap against the value LR loaded.
static inline bool vb_cas32(void *p, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n((uint32_t *)p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
static inline bool vb_cas64(void *p, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n((uint64_t *)p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

// Counters other harts read (CodeWatch.swift): add and return the old value.
static inline uint64_t vb_fetch_add64(void *p, uint64_t v) { return __atomic_fetch_add((uint64_t *)p, v, __ATOMIC_SEQ_CST); }
static inline uint64_t vb_fetch_sub64(void *p, uint64_t v) { return __atomic_fetch_sub((uint64_t *)p, v, __ATOMIC_SEQ_CST); }
static inline uint64_t vb_load64_acquire(const void *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE); }
static inline void vb_store64_release(void *p, uint64_t v) { __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE); }

// FENCE between harts: orders every earlier access before every later one.
static inline void vb_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

#endif
