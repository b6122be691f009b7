/*
 * vm.c — physical pages and the kernel's Sv39 page table (Privileged spec 1.12 §4.3-4.4).
 *
 * Free pages are a list threaded through the pages themselves, from the end of the kernel to
 * the end of RAM. The kernel maps RAM one to one (text read/execute, everything else
 * read/write) and the devices it uses; nothing else is mapped, so a stray pointer faults.
 * A, D are set in every leaf: the spec lets hardware either set them or fault (§4.3.1), and a
 * kernel that presets them runs the same on both kinds.
 */
#include "kernel.h"
#include "riscv.h"

extern char etext[], end[];

struct run { struct run *next; };
static struct run *freelist;
pagetable_t kernel_pagetable;

void kfree(void *page) {
    struct run *r = page;
    r->next = freelist;
    freelist = r;
}

void kalloc_init(void) {
    /* From the top down, so kalloc hands out low addresses first. */
    for (uint64_t pa = PHYSTOP - PGSIZE; pa >= (uint64_t)end; pa -= PGSIZE) kfree((void *)pa);
}

void *kalloc(void) {
    struct run *r = freelist;
    if (!r) return 0;
    freelist = r->next;
    memset(r, 0, PGSIZE);
    return r;
}

uint64_t kalloc_free_pages(void) {
    uint64_t n = 0;
    for (struct run *r = freelist; r; r = r->next) n++;
    return n;
}

/* The level-0 PTE for va, creating the tables on the way when `allocate`. */
uint64_t *walk(pagetable_t table, uint64_t va, int allocate) {
    if (va >= MAXVA) panic("walk: va too high");
    for (int level = 2; level > 0; level--) {
        uint64_t *pte = &table[PX(level, va)];
        if (*pte & PTE_V) {
            table = (pagetable_t)PTE2PA(*pte);
        } else {
            if (!allocate || !(table = kalloc())) return 0;
            *pte = PA2PTE(table) | PTE_V;
        }
    }
    return &table[PX(0, va)];
}

int map_pages(pagetable_t table, uint64_t va, uint64_t size, uint64_t pa, uint64_t perm) {
    for (uint64_t offset = 0; offset < size; offset += PGSIZE) {
        uint64_t *pte = walk(table, va + offset, 1);
        if (!pte) return -1;
        if (*pte & PTE_V) panic("map_pages: remap");
        *pte = PA2PTE(pa + offset) | perm | PTE_A | PTE_D | PTE_V;
    }
    return 0;
}

static void kvm_map(uint64_t pa, uint64_t size, uint64_t perm) {
    if (map_pages(kernel_pagetable, pa, size, pa, perm) != 0) panic("kvm_map: out of memory");
}

void kvm_init(void) {
    kernel_pagetable = kalloc();
    kvm_map(TEST_DEVICE, PGSIZE, PTE_R | PTE_W);
    kvm_map(UART0, PGSIZE, PTE_R | PTE_W);
    kvm_map(VIRTIO0, VIRTIO_SLOTS * PGSIZE, PTE_R | PTE_W);
    kvm_map(PLIC, PLIC_SIZE, PTE_R | PTE_W);
    kvm_map(KERNBASE, (uint64_t)etext - KERNBASE, PTE_R | PTE_X);
    kvm_map((uint64_t)etext, PHYSTOP - (uint64_t)etext, PTE_R | PTE_W);
}

void kvm_enable(void) {
    __asm__ volatile("sfence.vma zero, zero");
    csr_write(satp, SATP_SV39 | ((uint64_t)kernel_pagetable >> 12));
    __asm__ volatile("sfence.vma zero, zero");
}
