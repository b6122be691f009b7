/* The corpus kernel: a small S-mode operating system on the SBI (issue 6).
 *
 * Entered as OpenSBI fw_jump's payload (entry.S), it pages itself with Sv39, takes timer
 * interrupts through SBI TIME, runs user processes in their own address spaces with system
 * calls, round-robin preemption and a demand-paged heap, runs the OS-bound microbenchmarks,
 * and shuts down through SBI SRST. Everything it prints is independent of timing (iteration
 * counts and checksums, never times or preemption counts), so QEMU and VirtBench print the
 * same bytes; user processes' output is buffered per process and printed in pid order when
 * the batch ends, because preemption points differ between machines.
 */
#include <stdint.h>
#include <stddef.h>
#include "syscall.h"
#include "pv.h"

typedef uint64_t u64;

/* ---- SBI (RISC-V Supervisor Binary Interface specification v2.0) ---- */

#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_EXT_TIME 0x54494D45 /* "TIME" */
#define SBI_TIME_SET_TIMER 0
#define SBI_EXT_SRST 0x53525354 /* "SRST" */
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1
#define SBI_EXT_DBCN 0x4442434E /* "DBCN" */
#define SBI_DBCN_WRITE 0

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(long extension, long function, u64 arg0, u64 arg1, u64 arg2) {
    register u64 a0 __asm__("a0") = arg0;
    register u64 a1 __asm__("a1") = arg1;
    register u64 a2 __asm__("a2") = arg2;
    register long a6 __asm__("a6") = function;
    register long a7 __asm__("a7") = extension;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
    return (struct sbiret){(long)a0, (long)a1};
}

static int sbi_probe(long extension) {
    struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, (u64)extension, 0, 0);
    return r.error == 0 && r.value != 0;
}

static int have_dbcn, have_time, have_srst;
/* The privileged operations: native_ops, or paravirt_ops in the PV build (pv.c). */
static const struct pv_ops *pv;

static void native_set_timer(u64 deadline) {
    if (have_time) sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, deadline, 0, 0);
    else sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, deadline, 0, 0);
}

static void __attribute__((noreturn)) shutdown(int failed) {
    if (have_srst) {
        sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
                 failed ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE, 0);
    }
    sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
    for (;;) pv->wait();
}

/* ---- console ---- */

static void native_console_write(const char *text, u64 length) {
    if (length == 0) return;
    /* DBCN takes a physical address; the kernel's identity map makes its addresses physical. */
    if (have_dbcn) {
        while (length) {
            struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, length, (u64)text, 0);
            if (r.error != 0 || r.value <= 0) break;
            text += r.value;
            length -= (u64)r.value;
        }
        if (length == 0) return;
    }
    for (u64 i = 0; i < length; i++) sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (u64)(unsigned char)text[i], 0, 0);
}

static void console_write(const char *text, u64 length) { pv->console_write(text, length); }

static void puts_(const char *text) {
    u64 n = 0;
    while (text[n]) n++;
    console_write(text, n);
}

static void put_decimal(u64 value) {
    char digits[20];
    int count = 0;
    do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value);
    char out[20];
    for (int i = 0; i < count; i++) out[i] = digits[count - 1 - i];
    console_write(out, (u64)count);
}

static void put_hex(u64 value) {
    char out[18] = {'0', 'x'};
    for (int i = 0; i < 16; i++) out[2 + i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 15];
    console_write(out, 18);
}

static void report(const char *name, u64 iterations, u64 checksum) {
    puts_(name);
    puts_(": ");
    put_decimal(iterations);
    puts_(" iterations, checksum ");
    put_hex(checksum);
    puts_("\n");
}

static void __attribute__((noreturn)) panic(const char *why, u64 a, u64 b, u64 c) {
    puts_("kernel panic: ");
    puts_(why);
    puts_(" ");
    put_hex(a);
    puts_(" ");
    put_hex(b);
    puts_(" ");
    put_hex(c);
    puts_("\nFAIL kernel\n");
    shutdown(1);
}

/* ---- CSRs ---- */

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_FS (3UL << 13)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_FS_CLEAN (2UL << 13)
#define SSTATUS_FS_DIRTY (3UL << 13)
#define SSTATUS_SUM (1UL << 18)
#define SIE_STIE (1UL << 5)
#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_TIMER 5
#define EXC_INSTRUCTION_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_ECALL_FROM_U 8

#define csr_read(name) ({ u64 v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csr_write(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((u64)(v)) : "memory")
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((u64)(v)) : "memory")
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((u64)(v)) : "memory")

static u64 read_time(void) { return csr_read(time); }
static void sfence_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static void sfence_page(u64 va) { __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

/* ---- physical pages ---- */

#define PAGE_SIZE 4096UL
/* Pages handed out come from just above the image; 8 MiB fits the smallest RAM we run with. */
#define PAGE_POOL_SIZE (8UL << 20)

extern char _end[];
static u64 pool_next, pool_limit;
static u64 free_list; /* physical address of the first free page, each holding the next */

static void *page_alloc(void) {
    u64 page;
    if (free_list) {
        page = free_list;
        free_list = *(u64 *)page;
    } else if (pool_next < pool_limit) {
        page = pool_next;
        pool_next += PAGE_SIZE;
    } else {
        return 0;
    }
    u64 *words = (u64 *)page;
    for (u64 i = 0; i < PAGE_SIZE / 8; i++) words[i] = 0;
    return words;
}

static void page_free(void *page) {
    *(u64 *)page = free_list;
    free_list = (u64)page;
}

/* ---- Sv39 (privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System") ---- */

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_MODE_SV39 (8UL << 60)
#define RAM_BASE 0x80000000UL
#define UART_BASE 0x10000000UL
#define UART_LSR (UART_BASE + 5) /* ns16550a line status register */

static u64 native_pte_address(u64 pte) { return (pte >> 10) << 12; }
static u64 native_pte_for(u64 pa) { return (pa >> 12) << 10; }
static u64 pte_to_pa(u64 pte) { return pv->pte_address(pte); }
static u64 pa_to_pte(u64 pa) { return pv->pte_for(pa); }
static u64 vpn(u64 va, int level) { return (va >> (12 + 9 * level)) & 511; }

/* The leaf PTE slot for va, creating intermediate tables when `create`; 0 when absent. */
static u64 *walk(u64 *root, u64 va, int create) {
    u64 *table = root;
    for (int level = 2; level > 0; level--) {
        u64 *pte = &table[vpn(va, level)];
        u64 entry = pv->pte_read(pte);
        if (entry & PTE_V) {
            if (entry & (PTE_R | PTE_X)) return 0; /* a superpage: not ours to split */
            table = (u64 *)pte_to_pa(entry);
        } else {
            if (!create) return 0;
            u64 *next = pv->table_alloc(level - 1);
            if (!next) return 0;
            pv->pte_write(pte, pa_to_pte((u64)next) | PTE_V);
            table = next;
        }
    }
    return &table[vpn(va, 0)];
}

/* A and D are set up front: the kernel never relies on hardware A/D updates (Svade allows
 * either), so the same tables work on QEMU and VirtBench. */
static int map_page(u64 *root, u64 va, u64 pa, u64 permissions) {
    u64 *pte = walk(root, va, 1);
    if (!pte) return -1;
    pv->pte_write(pte, pa_to_pte(pa) | permissions | pv->kernel_pte_bits | PTE_V | PTE_A | (permissions & PTE_W ? PTE_D : 0));
    return 0;
}

/* Every address space holds the kernel: RAM as one 1 GiB identity superpage and the UART page. */
static int native_map_kernel(u64 *root) {
    root[vpn(RAM_BASE, 2)] = pa_to_pte(RAM_BASE) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D;
    return map_page(root, UART_BASE, UART_BASE, PTE_R | PTE_W | PTE_G);
}

static void free_tables(u64 *table, int level, int free_leaves) {
    for (int i = 0; i < 512; i++) {
        u64 pte = table[i];
        if (!(pte & PTE_V)) continue;
        if (pte & (PTE_R | PTE_X)) {
            if (free_leaves && level == 0 && (pte & PTE_U) && (pte & PTE_W)) page_free((void *)pte_to_pa(pte));
            continue;
        }
        free_tables((u64 *)pte_to_pa(pte), level - 1, free_leaves);
    }
    pv->table_free(table, level);
}

static u64 *kernel_root;

static u64 satp_for(u64 *root) { return SATP_MODE_SV39 | ((u64)root >> 12); }

/* ---- processes ---- */

struct frame {
    u64 x[32]; /* x[0] unused */
    u64 sepc;
    u64 sstatus;
};

enum { PROC_FREE, PROC_RUNNABLE, PROC_EXITED };

#define MAX_PROCESSES 4
#define KERNEL_STACK_SIZE 4096
#define OUTPUT_BUFFER_SIZE 512
/* Preemption quantum: 1 ms of the 10 MHz timebase of QEMU virt. */
#define QUANTUM_TICKS 10000

struct process {
    int state;
    u64 pid;
    u64 *root;
    struct frame *frame;
    /* f0..f31 and fcsr while another process owns the FPU (only for processes started with
     * the FPU on: the CPU workloads). */
    u64 fp[32];
    u64 fcsr;
    long exit_status;
    u64 output_length;
    int output_truncated;
    char output[OUTPUT_BUFFER_SIZE];
    u64 kernel_stack[KERNEL_STACK_SIZE / 8] __attribute__((aligned(16)));
};

static struct process processes[MAX_PROCESSES];
static struct process *current;
static u64 next_pid = 1;
static u64 kmain_context[14];
static u64 yields, preemptions, user_page_faults, zero_fill_faults;

extern char __user_load[], __user_load_end[];
extern char __udata_load[], __udata_start[], __udata_end[], __ubss_start[], __ubss_end[];
extern void trap_return(struct frame *frame);
extern int kcontext_save(u64 *context);
extern void __attribute__((noreturn)) kcontext_restore(u64 *context);

/* Whether a user program computes in floating point: only the CPU workloads do. */
static int uses_fpu(long program) { return program == USER_PROGRAM_WORKLOAD; }

static struct process *spawn(long program, u64 argument) {
    struct process *p = 0;
    for (int i = 0; i < MAX_PROCESSES; i++) if (processes[i].state == PROC_FREE) { p = &processes[i]; break; }
    if (!p) panic("no free process slot", (u64)program, 0, 0);
    p->root = pv->table_alloc(2);
    if (!p->root || pv->map_kernel(p->root) != 0) panic("out of memory creating a process", (u64)program, 0, 0);
    for (u64 pa = (u64)__user_load; pa < (u64)__user_load_end; pa += PAGE_SIZE) {
        if (map_page(p->root, USER_BASE + (pa - (u64)__user_load), pa, PTE_R | PTE_X | PTE_U) != 0)
            panic("out of memory mapping user code", pa, 0, 0);
    }
    /* Each process's own copy of the user-*.c files' initialised data (empty in the plain build). */
    for (u64 va = (u64)__udata_start; va < (u64)__udata_end; va += PAGE_SIZE) {
        u64 *page = page_alloc();
        if (!page || map_page(p->root, va, (u64)page, PTE_R | PTE_W | PTE_U) != 0)
            panic("out of memory copying user data", va, 0, 0);
        const u64 *source = (const u64 *)((u64)__udata_load + (va - (u64)__udata_start));
        for (u64 i = 0; i < PAGE_SIZE / 8; i++) page[i] = source[i];
    }
    void *stack = page_alloc();
    if (!stack || map_page(p->root, USER_STACK_TOP - PAGE_SIZE, (u64)stack, PTE_R | PTE_W | PTE_U) != 0)
        panic("out of memory for a user stack", (u64)program, 0, 0);
    for (int i = 0; i < 32; i++) p->fp[i] = 0;
    p->fcsr = 0;
    p->pid = next_pid++;
    p->output_length = 0;
    p->output_truncated = 0;
    p->exit_status = 0;
    struct frame *f = (struct frame *)((char *)p->kernel_stack + KERNEL_STACK_SIZE) - 1;
    for (int i = 0; i < 32; i++) f->x[i] = 0;
    f->x[2] = USER_STACK_TOP;
    f->x[10] = (u64)program;
    f->x[11] = argument;
    f->sepc = USER_BASE; /* user_start, first in .user */
    /* Return to U-mode with the FPU off unless the program computes in floating point (then
     * switch_to saves and restores its f registers): a stray FP instruction must trap. */
    f->sstatus = (pv->status() & ~(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_FS | SSTATUS_SUM)) | SSTATUS_SPIE;
    if (uses_fpu(program)) f->sstatus |= SSTATUS_FS_INITIAL;
    p->frame = f;
    p->state = PROC_RUNNABLE;
    return p;
}

/* f registers by number, with the FPU enabled for the kernel for the moment; trap_return
 * then sets sstatus.FS from the frame it resumes. */
#define FP_REGISTERS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) \
    X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
static void fp_save(struct process *p) {
    pv->fpu_on();
#define SAVE(n) __asm__ volatile("fsd f" #n ", %0" : "=m"(p->fp[n]));
    FP_REGISTERS(SAVE)
#undef SAVE
    p->fcsr = csr_read(fcsr);
}
static void fp_restore(struct process *p) {
    pv->fpu_on();
#define RESTORE(n) __asm__ volatile("fld f" #n ", %0" ::"m"(p->fp[n]));
    FP_REGISTERS(RESTORE)
#undef RESTORE
    csr_write(fcsr, p->fcsr);
}

static struct frame *switch_to(struct process *p) {
    /* Lazy FPU context: save only what the outgoing process changed (FS = Dirty in the
     * sstatus its trap saved), load only for a process that has the FPU on. */
    if (p != current) {
        if (current && current->state == PROC_RUNNABLE && (current->frame->sstatus & SSTATUS_FS) == SSTATUS_FS_DIRTY) {
            fp_save(current);
            current->frame->sstatus = (current->frame->sstatus & ~SSTATUS_FS) | SSTATUS_FS_CLEAN;
        }
        if ((p->frame->sstatus & SSTATUS_FS) != 0) fp_restore(p);
    }
    current = p;
    pv->set_root(p->root);
    return p->frame;
}

/* Round robin from the process after `current`; back to kmain when none is left. */
static struct frame *schedule(void) {
    int start = (int)(current - processes);
    for (int step = 1; step <= MAX_PROCESSES; step++) {
        struct process *p = &processes[(start + step) % MAX_PROCESSES];
        if (p->state == PROC_RUNNABLE) return switch_to(p);
    }
    pv->set_timer(UINT64_MAX);
    pv->set_root(kernel_root);
    current = 0;
    kcontext_restore(kmain_context);
}

static void process_output(struct process *p, const char *text, u64 length) {
    for (u64 i = 0; i < length; i++) {
        if (p->output_length < OUTPUT_BUFFER_SIZE) p->output[p->output_length++] = text[i];
        else p->output_truncated = 1;
    }
}

static struct frame *exit_current(long status) {
    current->state = PROC_EXITED;
    current->exit_status = status;
    return schedule();
}

/* Copies a user buffer through the process's own tables, so a bad pointer is an error for
 * the caller (EFAULT), never a kernel fault, and kernel memory (no U bit) is never readable. */
static long sys_write(struct process *p, u64 buffer, u64 length) {
    if (length > OUTPUT_BUFFER_SIZE) length = OUTPUT_BUFFER_SIZE;
    for (u64 done = 0; done < length;) {
        u64 va = buffer + done;
        u64 *pte = walk(p->root, va, 0);
        if (!pte || (*pte & (PTE_V | PTE_R | PTE_U)) != (PTE_V | PTE_R | PTE_U)) return SYSCALL_EFAULT;
        u64 chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        if (chunk > length - done) chunk = length - done;
        process_output(p, (const char *)(pte_to_pa(*pte) + (va & (PAGE_SIZE - 1))), chunk);
        done += chunk;
    }
    return (long)length;
}

static struct frame *handle_syscall(struct frame *f) {
    f->sepc += 4;
    u64 number = f->x[17];
    switch (number) {
    case SYS_WRITE: f->x[10] = (u64)sys_write(current, f->x[10], f->x[11]); return f;
    case SYS_GETPID: f->x[10] = current->pid; return f;
    case SYS_EXIT: return exit_current((long)f->x[10]);
    case SYS_YIELD:
        yields++;
        f->x[10] = 0;
        return schedule();
    default: f->x[10] = (u64)(long)SYSCALL_ENOSYS; return f;
    }
}

static void process_decimal(struct process *p, u64 value) {
    char digits[20];
    int count = 0;
    do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value);
    while (count) process_output(p, &digits[--count], 1);
}

/* The process's last words go to its own output, so they print in order with the rest of it;
 * only scause is shown (stval and sepc are addresses that depend on the build). */
static void kill_current(const char *why, u64 cause) {
    static const char prefix[] = "process ", killed[] = " killed: ", scause_text[] = " (scause ";
    process_output(current, prefix, sizeof prefix - 1);
    process_decimal(current, current->pid);
    process_output(current, killed, sizeof killed - 1);
    u64 n = 0;
    while (why[n]) n++;
    process_output(current, why, n);
    process_output(current, scause_text, sizeof scause_text - 1);
    process_decimal(current, cause);
    process_output(current, ")\n", 2);
}

/* Demand paging: the heap, the stack below its first page and the user .bss are mapped a
 * page at a time, zeroed, on the first touch; only heap faults count for the pagefault check. */
static int handle_user_page_fault(u64 address) {
    int heap = address >= USER_HEAP_BASE && address < USER_HEAP_BASE + USER_HEAP_SIZE;
    int stack = address >= USER_STACK_TOP - USER_STACK_SIZE && address < USER_STACK_TOP;
    int bss = address >= (u64)__ubss_start && address < (u64)__ubss_end;
    if (!heap && !stack && !bss) return 0;
    u64 page_va = address & ~(PAGE_SIZE - 1);
    u64 *pte = walk(current->root, page_va, 0);
    if (pte && (*pte & PTE_V)) return 0; /* mapped already: a real protection fault */
    void *page = page_alloc();
    if (!page) return 0;
    if (map_page(current->root, page_va, (u64)page, PTE_R | PTE_W | PTE_U) != 0) {
        page_free(page);
        return 0;
    }
    pv->flush_page(page_va);
    if (heap) user_page_faults++;
    else zero_fill_faults++;
    return 1;
}

static volatile u64 kernel_timer_interrupts;

struct frame *trap_handler(struct frame *f) {
    u64 cause = pv->trap_cause();
    u64 tval = pv->trap_value();
    int from_user = (f->sstatus & SSTATUS_SPP) == 0;
    if (cause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
        if (!from_user) {
            kernel_timer_interrupts++;
            pv->set_timer(UINT64_MAX);
            return f;
        }
        preemptions++;
        current->frame = f;
        pv->set_timer(read_time() + QUANTUM_TICKS);
        return schedule();
    }
    if (!from_user) panic("trap in the kernel: scause, sepc, stval", cause, f->sepc, tval);
    current->frame = f;
    if (cause == EXC_ECALL_FROM_U) return handle_syscall(f);
    if (cause == EXC_LOAD_PAGE_FAULT || cause == EXC_STORE_PAGE_FAULT || cause == EXC_INSTRUCTION_PAGE_FAULT) {
        if (handle_user_page_fault(tval)) return f;
        kill_current("page fault outside its memory", cause);
    } else {
        kill_current("exception", cause);
    }
    return exit_current(-1);
}

/* Runs the spawned processes until every one has exited, then prints their output in pid
 * order and releases their memory. */
static void run_processes(void) {
    if (kcontext_save(kmain_context) == 0) {
        struct process *first = 0;
        for (int i = 0; i < MAX_PROCESSES && !first; i++) if (processes[i].state == PROC_RUNNABLE) first = &processes[i];
        if (!first) return;
        pv->set_timer(read_time() + QUANTUM_TICKS);
        pv->timer_interrupt(1);
        trap_return(switch_to(first));
    }
    /* Back from schedule() when none is runnable. */
    pv->timer_interrupt(0);
    for (u64 pid = 1; pid < next_pid; pid++) {
        for (int i = 0; i < MAX_PROCESSES; i++) {
            struct process *p = &processes[i];
            if (p->state != PROC_EXITED || p->pid != pid) continue;
            console_write(p->output, p->output_length);
            if (p->output_truncated) puts_("(output truncated)\n");
            free_tables(p->root, 2, 1);
            p->state = PROC_FREE;
        }
    }
}

static long exit_status_of(u64 pid) {
    for (int i = 0; i < MAX_PROCESSES; i++) if (processes[i].pid == pid) return processes[i].exit_status;
    return -1;
}

/* Two compute-bound processes that never yield: only the timer can interleave them. The
 * number of preemptions depends on the machine's speed, so only "at least one" is printed. */
static void check_preemption(u64 iterations) {
    u64 preemptions_before = preemptions;
    u64 first = next_pid;
    spawn(USER_PROGRAM_SPIN, iterations);
    spawn(USER_PROGRAM_SPIN, iterations);
    run_processes();
    u64 checksum = (u64)exit_status_of(first) ^ ((u64)exit_status_of(first + 1) << 16);
    puts_("preemption: ");
    puts_(preemptions > preemptions_before ? "yes" : "NONE");
    puts_(", checksum ");
    put_hex(checksum);
    puts_("\n");
}

/* Process create/destroy: build an address space, run a process that exits at once, tear it
 * down. The page pool must not grow after the first round, or exit leaks pages. */
static void bench_processes(u64 iterations) {
    u64 checksum = 0, pool_after_first = 0;
    for (u64 i = 0; i < iterations; i++) {
        u64 pid = next_pid;
        spawn(USER_PROGRAM_EXIT, 0);
        run_processes();
        checksum = checksum * 31 + (u64)exit_status_of(pid);
        if (i == 0) pool_after_first = pool_next;
    }
    if (pool_next != pool_after_first) panic("process exit leaks pages: pool grew by", pool_next - pool_after_first, 0, 0);
    report("process", iterations, checksum);
}

/* ---- kernel-mode microbenchmarks ---- */

#define PTE_BENCH_VA 0xC0000000UL /* an otherwise unused gigabyte of the kernel's space */

/* Map and unmap one page N times, each change followed by sfence.vma of that page, and
 * touch it through the fresh mapping so a stale TLB entry would show in the checksum. */
static void bench_pte(u64 iterations) {
    u64 *pages[2] = {page_alloc(), page_alloc()};
    if (!pages[0] || !pages[1]) panic("out of memory in pte benchmark", 0, 0, 0);
    volatile u64 *window = (volatile u64 *)PTE_BENCH_VA;
    u64 checksum = 0;
    for (u64 i = 0; i < iterations; i++) {
        u64 *page = pages[i & 1];
        if (map_page(kernel_root, PTE_BENCH_VA, (u64)page, PTE_R | PTE_W) != 0) panic("pte map failed", i, 0, 0);
        pv->flush_page(PTE_BENCH_VA);
        window[0] = window[0] + i;
        checksum = checksum * 7 + window[0] + (i & 1);
        pv->pte_write(walk(kernel_root, PTE_BENCH_VA, 0), 0);
        pv->flush_page(PTE_BENCH_VA);
    }
    checksum ^= pages[0][0] ^ (pages[1][0] << 1);
    page_free(pages[0]);
    page_free(pages[1]);
    report("pte", iterations, checksum);
}

/* Read the UART line status register: each read is an MMIO exit under a hypervisor. The
 * transmitter is idle (the kernel prints through the SBI), so LSR reads THRE|TEMT. */
static void bench_mmio(u64 iterations) {
    volatile uint8_t *lsr = (volatile uint8_t *)UART_LSR;
    u64 checksum = 0;
    for (u64 i = 0; i < iterations; i++) checksum += *lsr;
    report("mmio", iterations, checksum);
}

/* Waits until more than `count` timer interrupts have been taken. The check and the wait run
 * with interrupts off: an interrupt taken between a check that saw none and the wfi would
 * leave the wfi waiting for a timer nobody armed again. wfi wakes on an interrupt that sie
 * enables whatever sstatus.SIE says (privileged spec, "Wait for Interrupt"); the para block
 * hypercall likewise wakes on a pending unmasked event whatever the shared SIE says. The
 * interrupt is then taken when interrupts go back on. */
static void wait_for_timer_interrupts(u64 count) {
    for (;;) {
        pv->interrupts(0);
        int taken = kernel_timer_interrupts > count;
        if (!taken) pv->wait();
        pv->interrupts(1);
        if (taken) return;
    }
}

/* Take N timer interrupts in S-mode, one at a time: arm, wait in wfi, count. */
#define TIMER_BENCH_DELTA 1000 /* 100 us at 10 MHz */
static void bench_timer(u64 iterations) {
    kernel_timer_interrupts = 0;
    pv->timer_interrupt(1);
    pv->interrupts(1);
    for (u64 i = 0; i < iterations; i++) {
        pv->set_timer(read_time() + TIMER_BENCH_DELTA);
        wait_for_timer_interrupts(i);
    }
    pv->interrupts(0);
    pv->timer_interrupt(0);
    report("timer", iterations, kernel_timer_interrupts * 0x10001);
}

/* ---- the CPU workloads as user programs (the kernel-cpu build) ---- */

#ifdef KERNEL_CPU_WORKLOADS
/* Runs every CPU workload (Corpus/cpu, cpu/user-*.c) as a user process, one at a time so
 * that only one of them holds demand-paged memory, prints what each printed (the same lines
 * as its bare-metal build) and ends the run: this build has no microbenchmarks. */
static void __attribute__((noreturn)) run_workloads(void) {
    int failed = 0;
    for (u64 index = 0; index < KERNEL_WORKLOADS; index++) {
        u64 pid = next_pid;
        spawn(USER_PROGRAM_WORKLOAD, index);
        run_processes();
        if (exit_status_of(pid) != 0) failed = 1;
    }
    puts_(failed ? "FAIL kernel-cpu\n" : "PASS kernel-cpu\n");
    shutdown(failed);
}
#endif

/* ---- the native privileged operations ---- */

static void native_init(u64 dtb) { (void)dtb; }
static void native_wait(void) { __asm__ volatile("wfi"); }
static void native_interrupts(int on) { if (on) csr_set(sstatus, SSTATUS_SIE); else csr_clear(sstatus, SSTATUS_SIE); }
static void native_timer_interrupt(int on) { if (on) csr_set(sie, SIE_STIE); else csr_clear(sie, SIE_STIE); }
static u64 native_trap_cause(void) { return csr_read(scause); }
static u64 native_trap_value(void) { return csr_read(stval); }
static u64 native_status(void) { return csr_read(sstatus); }
static u64 *native_boot_root(void) { return page_alloc(); }
/* no ASIDs: every address space change flushes */
static void native_set_root(u64 *root) { csr_write(satp, satp_for(root)); sfence_all(); }
static u64 native_pte_read(u64 *pte) { return *pte; }
static void native_pte_write(u64 *pte, u64 value) { *pte = value; }
static u64 *native_table_alloc(int level) { (void)level; return page_alloc(); }
static void native_table_free(u64 *table, int level) { (void)level; page_free(table); }
static void native_fpu_on(void) { csr_set(sstatus, SSTATUS_FS_DIRTY); }

static const struct pv_ops native_ops = {
    native_init, native_console_write, native_set_timer, native_wait, native_interrupts, native_timer_interrupt,
    native_trap_cause, native_trap_value, native_status, native_boot_root, native_map_kernel, native_set_root,
    sfence_page, native_pte_read, native_pte_write, native_pte_address, native_pte_for, native_table_alloc,
    native_table_free, native_fpu_on, 0,
};

#ifdef PARAVIRT
#include "pv.c"
#endif

/* ---- main ---- */

#define SYSCALL_ITERATIONS 20000
#define PAGEFAULT_PAGES 256
#define YIELD_ITERATIONS 2000
#define PTE_ITERATIONS 2000
#define MMIO_ITERATIONS 10000
#define TIMER_ITERATIONS 20
#define SPIN_ITERATIONS 300000 /* about 3 M instructions a process: several 1 ms quanta on QEMU */
#define PROCESS_ITERATIONS 200

void kmain(u64 hart_id, u64 dtb) {
#ifdef PARAVIRT
    pv = &paravirt_ops;
#else
    pv = &native_ops;
#endif
    pv->init(dtb);
    have_dbcn = sbi_probe(SBI_EXT_DBCN);
    have_time = sbi_probe(SBI_EXT_TIME);
    have_srst = sbi_probe(SBI_EXT_SRST);
    puts_("VirtBench corpus kernel on hart ");
    put_decimal(hart_id);
    puts_("\n");

    pool_next = ((u64)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    pool_limit = pool_next + PAGE_POOL_SIZE;
    kernel_root = pv->boot_root();
    if (!kernel_root || pv->map_kernel(kernel_root) != 0) panic("cannot build the kernel page table", 0, 0, 0);
    pv->set_root(kernel_root);
    puts_("sv39 paging on\n");

#ifdef KERNEL_CPU_WORKLOADS
    run_workloads();
#endif

    spawn(USER_PROGRAM_HELLO, 0);
    spawn(USER_PROGRAM_HELLO, 0);
    spawn(USER_PROGRAM_BAD_POINTER, 0);
    run_processes();
    spawn(USER_PROGRAM_READ_KERNEL, 0);
    spawn(USER_PROGRAM_PRIVILEGED, 0);
    run_processes();

    spawn(USER_PROGRAM_SYSCALL, SYSCALL_ITERATIONS);
    run_processes();

    u64 faults_before = user_page_faults;
    spawn(USER_PROGRAM_PAGEFAULT, PAGEFAULT_PAGES);
    run_processes();
    if (user_page_faults - faults_before != PAGEFAULT_PAGES) panic("page faults taken, expected", user_page_faults - faults_before, PAGEFAULT_PAGES, 0);

    u64 yields_before = yields;
    u64 first = next_pid;
    spawn(USER_PROGRAM_YIELD, YIELD_ITERATIONS);
    spawn(USER_PROGRAM_YIELD, YIELD_ITERATIONS);
    run_processes();
    report("ctxswitch", yields - yields_before,
           (u64)exit_status_of(first) ^ ((u64)exit_status_of(first + 1) << 16));

    bench_processes(PROCESS_ITERATIONS);
    check_preemption(SPIN_ITERATIONS);
    bench_pte(PTE_ITERATIONS);
    bench_mmio(MMIO_ITERATIONS);
    bench_timer(TIMER_ITERATIONS);

    puts_("PASS kernel\n");
    shutdown(0);
}
