/* The para-virtual hypercall ABI for C and assembly: the numbers of Sources/Hypervisor/HypercallABI.swift
 * (the one statement of the ABI; Tests/HypervisorTests/ParaVirtualizationTests.swift checks that every
 * number here matches it), and the operations table the corpus kernel calls its privileged operations
 * through (struct pv_ops): native instructions in the plain build, hypercalls with -DPARAVIRT (pv.c). */
#ifndef CORPUS_KERNEL_PV_H
#define CORPUS_KERNEL_PV_H

#define HYPERCALL_EXTENSION 0x0A564250
#define HYPERCALL_VERSION 0
#define HYPERCALL_MMU_UPDATE 1
#define HYPERCALL_PIN_TABLE 2
#define HYPERCALL_UNPIN_TABLE 3
#define HYPERCALL_NEW_BASEPTR 4
#define HYPERCALL_TLB_FLUSH 5
#define HYPERCALL_SET_CALLBACKS 6
#define HYPERCALL_TRAP_RETURN 7
#define HYPERCALL_SET_TIMER 8
#define HYPERCALL_EVENT_POLL 9
#define HYPERCALL_YIELD 10
#define HYPERCALL_BLOCK 11
#define HYPERCALL_RING_SETUP 12
#define HYPERCALL_RING_NOTIFY 13
#define HYPERCALL_FPU_STATE 14

/* mmu-update request commands (the low bits of the pointer) */
#define MMU_PTE_WRITE 0
#define MMU_PIN 1
#define MMU_UNPIN 2

/* Shared-info page offsets (entry.S reads them; pv.c's struct must agree) */
#define PV_SHARED_SCRATCH 0
#define PV_SHARED_SEPC 8
#define PV_SHARED_SCAUSE 16
#define PV_SHARED_STVAL 24
#define PV_SHARED_SSTATUS 32
#define PV_SHARED_PENDING 40
#define PV_SHARED_MASK 48

/* Start-info page offsets */
#define PV_START_MAGIC 0
#define PV_START_MACHINE_BASE 8
#define PV_START_MEMORY_SIZE 16
#define PV_START_SHARED_INFO 24
#define PV_START_KERNEL_ROOT 32
#define PV_START_RESERVED 40
#define PV_START_INFO_MAGIC 0x5642505653544152UL

/* I/O rings */
#define PV_RING_REQ_PROD 0
#define PV_RING_RSP_PROD 8
#define PV_RING_SLOTS 64
#define PV_RING_SLOTS_OFFSET 64
#define PV_RING_SLOT_SIZE 32
#define PV_RING_CONSOLE 1
#define PV_CONSOLE_WRITE 1

#ifndef __ASSEMBLER__
#include <stdint.h>

struct frame;

/* The privileged operations of the corpus kernel (Linux's pv_ops idea): what a kernel in S-mode
 * does with an instruction and a para-virtual kernel in U-mode asks the hypervisor for. */
struct pv_ops {
    void (*init)(uint64_t boot_argument);        /* a1 at entry: the DTB, or the start-info page */
    void (*console_write)(const char *text, uint64_t length);
    void (*set_timer)(uint64_t deadline);
    void (*wait)(void);                          /* wfi */
    void (*interrupts)(int on);                  /* sstatus.SIE */
    void (*timer_interrupt)(int on);             /* sie.STIE */
    uint64_t (*trap_cause)(void);                /* scause */
    uint64_t (*trap_value)(void);                /* stval */
    uint64_t (*status)(void);                    /* sstatus */
    uint64_t *(*boot_root)(void);                /* the kernel's root page table */
    int (*map_kernel)(uint64_t *root);           /* the kernel's mappings in an address space */
    void (*set_root)(uint64_t *root);            /* satp write and the flush after it */
    void (*flush_page)(uint64_t va);             /* sfence.vma va */
    uint64_t (*pte_read)(uint64_t *pte);
    void (*pte_write)(uint64_t *pte, uint64_t value);
    uint64_t (*pte_address)(uint64_t pte);       /* physical address a PTE points at */
    uint64_t (*pte_for)(uint64_t address);       /* PTE bits pointing at a physical address */
    uint64_t *(*table_alloc)(int level);         /* a zeroed page for a page table */
    void (*table_free)(uint64_t *table, int level);
    void (*fpu_on)(void);                        /* sstatus.FS = Dirty, to save or load f registers */
    uint64_t kernel_pte_bits;                    /* added to every leaf the kernel maps */
};
#endif

#endif
