/* The corpus kernel's system call ABI, shared by the kernel (kernel.c) and its user programs
 * (user.c): ecall from U-mode with the number in a7 and arguments in a0..a1, result in a0
 * (negative on error), as on Linux/RISC-V so the calls read familiarly. */
#ifndef CORPUS_KERNEL_SYSCALL_H
#define CORPUS_KERNEL_SYSCALL_H

#define SYS_WRITE 64  /* write(buffer, length) -> bytes written, to the process's console */
#define SYS_EXIT 93   /* exit(status): never returns */
#define SYS_YIELD 124 /* yield(): give the hart to the next runnable process */
#define SYS_GETPID 172

#define SYSCALL_EFAULT (-14) /* a buffer not mapped readable for the user */
#define SYSCALL_ENOSYS (-38) /* unknown system call number */

/* What a user process runs: passed in a0 to user_start (user.c) with the iteration count in a1. */
#define USER_PROGRAM_HELLO 0
#define USER_PROGRAM_SYSCALL 1
#define USER_PROGRAM_PAGEFAULT 2
#define USER_PROGRAM_YIELD 3
#define USER_PROGRAM_BAD_POINTER 4
#define USER_PROGRAM_SPIN 5
#define USER_PROGRAM_EXIT 6
#define USER_PROGRAM_READ_KERNEL 7
#define USER_PROGRAM_PRIVILEGED 8
/* A CPU-bound workload of Corpus/cpu (kernel-cpu build only); the argument is its index in
 * KERNEL_WORKLOADS (cpu/user-runtime.c). */
#define USER_PROGRAM_WORKLOAD 9
#define KERNEL_WORKLOADS 8 /* how many workload_run knows */

/* The user address space (Sv39, all below the kernel's identity map of RAM at 0x8000_0000 and
 * away from the UART page at 0x1000_0000, which every address space maps for the kernel). */
#define USER_BASE 0x400000UL        /* user code, shared read-only by every process */
#define USER_STACK_TOP 0x800000UL   /* the first stack page is mapped at spawn, */
#define USER_STACK_SIZE 0x40000UL   /* the rest of 256 KiB below it on first touch */
#define USER_DATA_BASE 0x1000000UL  /* private .data (copied at spawn) and .bss (zero on first touch) */
#define USER_HEAP_BASE 0x40000000UL /* demand-paged heap */
#define USER_HEAP_SIZE 0x400000UL   /* 4 MiB: 1024 pages at most */

#ifndef __ASSEMBLER__
/* A system call from U-mode (user.c and cpu/user-runtime.c). */
static inline long user_syscall2(long number, long a0, long a1) {
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a7 __asm__("a7") = number;
    __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a7) : "memory");
    return r_a0;
}
#endif

#endif
