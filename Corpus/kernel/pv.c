/* The para-virtual operations (the `para` mode, -DPARAVIRT; included by kernel.c): the corpus
 * kernel runs in the hart's U-mode and asks the hypervisor, through the hypercalls of pv.h, for
 * everything it would do with a privileged instruction.
 *
 * Direct paging, as Xen's PV Linux: page-table entries hold machine addresses (guest RAM is one
 * machine range, so physical-to-machine is an offset), page-table pages are mapped read-only in
 * the kernel's own map, and every PTE write is queued and applied in one batched, validated
 * mmu-update before a TLB flush, an address-space switch or a return to user mode. A process has
 * a user root (user mappings only); the kernel runs on its own root, which the hypervisor's boot
 * tables start (RAM mapped one to one in 4 KiB pages). Traps and events arrive at trap_vector
 * with scause, stval, sepc and sstatus in the shared-info page. */

struct pv_start_info {
    u64 magic, machine_base, memory_size, shared_info, kernel_root, reserved;
};
struct pv_shared_info {
    u64 scratch, sepc, scause, stval, sstatus, pending, mask;
};
struct pv_ring_slot {
    u64 id, op, address, length; /* a response reuses id and puts its status where op was */
};
struct pv_ring {
    u64 req_prod, rsp_prod, unused[6];
    struct pv_ring_slot slots[PV_RING_SLOTS];
};
_Static_assert(__builtin_offsetof(struct pv_shared_info, sstatus) == PV_SHARED_SSTATUS, "shared-info layout");
_Static_assert(__builtin_offsetof(struct pv_shared_info, mask) == PV_SHARED_MASK, "shared-info layout");
_Static_assert(__builtin_offsetof(struct pv_start_info, reserved) == PV_START_RESERVED, "start-info layout");
_Static_assert(__builtin_offsetof(struct pv_ring, slots) == PV_RING_SLOTS_OFFSET, "ring layout");
_Static_assert(sizeof(struct pv_ring_slot) == PV_RING_SLOT_SIZE, "ring layout");

/* entry.S finds the shared-info page here */
u64 pv_shared_address;
#define pv_shared ((volatile struct pv_shared_info *)pv_shared_address)
static u64 pv_machine_base, pv_memory_size;
static u64 *pv_kernel_root;
static struct pv_ring pv_console __attribute__((aligned(4096)));
static u64 pv_console_id, pv_console_rsp_cons;

extern char trap_vector[];

static struct sbiret hypercall(long function, u64 a0, u64 a1) { return sbi_call(HYPERCALL_EXTENSION, function, a0, a1, 0); }

static u64 machine(u64 pa) { return pa >= RAM_BASE && pa - RAM_BASE < pv_memory_size ? pa - RAM_BASE + pv_machine_base : pa; }
static u64 physical(u64 ma) { return ma >= pv_machine_base && ma - pv_machine_base < pv_memory_size ? ma - pv_machine_base + RAM_BASE : ma; }

/* ---- the mmu-update queue ---- */

#define PV_QUEUE 128
static struct { u64 pointer, value; } pv_queue[PV_QUEUE] __attribute__((aligned(16)));
static u64 pv_queued;

static void pv_flush(void) {
    if (!pv_queued) return;
    struct sbiret r = hypercall(HYPERCALL_MMU_UPDATE, (u64)pv_queue, pv_queued);
    if (r.error) panic("mmu-update refused: error, pointer, value", (u64)r.error, pv_queue[r.value].pointer, pv_queue[r.value].value);
    pv_queued = 0;
}

static void pv_queue_request(u64 pointer, u64 value) {
    if (pv_queued == PV_QUEUE) pv_flush();
    pv_queue[pv_queued].pointer = pointer;
    pv_queue[pv_queued].value = value;
    pv_queued++;
}

/* A PTE as it will be once the queue is applied: the newest queued write to it, or memory. */
static u64 pv_pte_read(u64 *pte) {
    u64 pointer = machine((u64)pte);
    for (u64 i = pv_queued; i > 0; i--) if (pv_queue[i - 1].pointer == pointer) return pv_queue[i - 1].value;
    return *pte;
}

static void pv_pte_write(u64 *pte, u64 value) { pv_queue_request(machine((u64)pte) | MMU_PTE_WRITE, value); }

static u64 pv_pte_address(u64 pte) { return physical((pte >> 10) << 12); }
static u64 pv_pte_for(u64 pa) { return (machine(pa) >> 12) << 10; }

/* The kernel's own (read-write) mapping of a page: page-table pages must not keep it writable. */
static void pv_direct_map(u64 *page, int writable) {
    u64 *pte = walk(pv_kernel_root, (u64)page, 0);
    if (!pte) panic("page outside the kernel map", (u64)page, 0, 0);
    u64 entry = pv_pte_read(pte);
    pv_pte_write(pte, writable ? entry | PTE_W | PTE_D : entry & ~(PTE_W | PTE_D));
}

static u64 *pv_table_alloc(int level) {
    u64 *page = page_alloc();
    if (!page) return 0;
    pv_direct_map(page, 0);
    if (level == 2) pv_queue_request(machine((u64)page) | MMU_PIN, 2); /* a root: pinned; lower tables type when linked */
    return page;
}

/* free_tables hands over an address space's tables children first and the root last: unpin the
 * root (its tables lose their types with it), make them all writable again, then free them. */
#define PV_FREED 64
static u64 *pv_freed[PV_FREED];
static u64 pv_freed_count;
static void pv_table_free(u64 *table, int level) {
    if (pv_freed_count == PV_FREED) panic("too many page tables in one address space", 0, 0, 0);
    pv_freed[pv_freed_count++] = table;
    if (level != 2) return;
    pv_queue_request(machine((u64)table) | MMU_UNPIN, 0);
    for (u64 i = 0; i < pv_freed_count; i++) pv_direct_map(pv_freed[i], 1);
    pv_flush();
    for (u64 i = 0; i < pv_freed_count; i++) page_free(pv_freed[i]);
    pv_freed_count = 0;
}

static void pv_flush_page(u64 va) {
    (void)va;
    if (pv_queued) pv_flush(); /* an applied batch flushes the TLB */
    else hypercall(HYPERCALL_TLB_FLUSH, 0, 0);
}

static void pv_set_root(u64 *root) {
    pv_flush();
    struct sbiret r = hypercall(HYPERCALL_NEW_BASEPTR, machine((u64)pv_kernel_root),
                                root == pv_kernel_root ? 0 : machine((u64)root));
    if (r.error) panic("new-baseptr refused", (u64)r.error, (u64)root, 0);
}

static u64 *pv_boot_root(void) { return pv_kernel_root; }

/* Process address spaces hold user mappings only; the kernel's root adds the UART page. */
static int pv_map_kernel(u64 *root) {
    return root == pv_kernel_root ? map_page(root, UART_BASE, UART_BASE, PTE_R | PTE_W | PTE_G) : 0;
}

/* ---- traps, events, timer ---- */

static void pv_poll(void) {
    if (pv_shared->pending & ~pv_shared->mask) hypercall(HYPERCALL_EVENT_POLL, 0, 0);
}
static void pv_interrupts(int on) {
    if (on) { pv_shared->sstatus |= SSTATUS_SIE; pv_poll(); }
    else pv_shared->sstatus &= ~SSTATUS_SIE;
}
static void pv_timer_interrupt(int on) {
    if (on) { pv_shared->mask &= ~1UL; pv_poll(); }
    else pv_shared->mask |= 1UL;
}
static u64 pv_trap_cause(void) { return pv_shared->scause; }
static u64 pv_trap_value(void) { return pv_shared->stval; }
static u64 pv_status(void) { return pv_shared->sstatus; }
static void pv_set_timer(u64 deadline) { hypercall(HYPERCALL_SET_TIMER, deadline, 0); }
static void pv_wait(void) { hypercall(HYPERCALL_BLOCK, 0, 0); }
static void pv_fpu_on(void) { hypercall(HYPERCALL_FPU_STATE, 3, 0); }

/* entry.S's trap_return: the queue goes first, then the PV sret (which does not return). */
void __attribute__((noreturn)) pv_trap_return(struct frame *f) {
    pv_flush();
    if (!(f->sstatus & SSTATUS_SPP)) pv_shared->scratch = (u64)(f + 1); /* this process's kernel stack top */
    struct sbiret r = hypercall(HYPERCALL_TRAP_RETURN, (u64)f, 0);
    panic("trap-return refused", (u64)r.error, (u64)f, f->sstatus);
}

/* ---- console: requests on a shared I/O ring ---- */

static void pv_console_write(const char *text, u64 length) {
    while (length) {
        u64 chunk = length < PAGE_SIZE ? length : PAGE_SIZE;
        volatile struct pv_ring_slot *slot = &pv_console.slots[pv_console.req_prod % PV_RING_SLOTS];
        slot->id = pv_console.req_prod;
        slot->op = PV_CONSOLE_WRITE;
        slot->address = (u64)text;
        slot->length = chunk;
        __asm__ volatile("fence rw, rw" ::: "memory");
        pv_console.req_prod++;
        hypercall(HYPERCALL_RING_NOTIFY, pv_console_id, 0);
        if (pv_console.rsp_prod != pv_console_rsp_cons + 1) break; /* the backend answers every request at once */
        pv_console_rsp_cons++;
        pv_shared->pending &= ~(1UL << (1 + pv_console_id));
        text += chunk;
        length -= chunk;
    }
}

static void pv_init(u64 start_info) {
    const struct pv_start_info *start = (const struct pv_start_info *)start_info;
    /* Not started by our hypervisor, or no console ring: nothing to print on, so just stop. */
    if (start->magic != PV_START_INFO_MAGIC) sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0);
    pv_shared_address = start->shared_info;
    pv_machine_base = start->machine_base;
    pv_memory_size = start->memory_size;
    pv_kernel_root = (u64 *)physical(start->kernel_root);
    hypercall(HYPERCALL_SET_CALLBACKS, (u64)trap_vector, 0);
    struct sbiret r = hypercall(HYPERCALL_RING_SETUP, (u64)&pv_console, PV_RING_CONSOLE);
    if (r.error) sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0);
    pv_console_id = (u64)r.value;
}

static const struct pv_ops paravirt_ops = {
    pv_init, pv_console_write, pv_set_timer, pv_wait, pv_interrupts, pv_timer_interrupt,
    pv_trap_cause, pv_trap_value, pv_status, pv_boot_root, pv_map_kernel, pv_set_root,
    pv_flush_page, pv_pte_read, pv_pte_write, pv_pte_address, pv_pte_for, pv_table_alloc,
    pv_table_free, pv_fpu_on, PTE_U, /* the kernel itself runs in U-mode */
};
