/* Entry, trap vector and context save/restore of the corpus kernel.
 *
 * Trap frames: sscratch is 0 while the kernel runs and holds the kernel-stack top of the
 * current process while a user program runs, so the vector can tell where it came from and
 * find a stack without touching any user register first. The frame (FRAME_SIZE bytes) holds
 * x1..x31 at 8*i, sepc at 8*32 and sstatus at 8*33. trap_handler returns the frame to resume,
 * which may belong to another process: that return value is the whole context switch.
 */
#include "pv.h"
#define FRAME_SIZE (34 * 8)
#define SSTATUS_SPP (1 << 8)

    .section .text.entry
    .globl _start
_start:
    /* a0 = hart id, a1 = DTB address (fw_jump's payload convention); keep both for kmain. */
    la sp, boot_stack_top
#ifndef PARAVIRT /* PV: the shared scratch word starts 0; the trap entry is a hypercall (pv_init) */
    csrw sscratch, zero
    la t0, trap_vector
    csrw stvec, t0
#endif
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call kmain
3:  wfi
    j 3b

    .text
    .balign 4
    .globl trap_vector
trap_vector:
#ifndef PARAVIRT /* PV: the hypervisor swaps sp and the scratch word on a trap from user mode */
    csrrw sp, sscratch, sp
    bnez sp, 1f
    /* From the kernel: sscratch held 0; put sp back and keep sscratch 0. */
    csrrw sp, sscratch, sp
#endif
1:  addi sp, sp, -FRAME_SIZE
    sd x1, 1*8(sp)
    sd x3, 3*8(sp)
    sd x4, 4*8(sp)
    sd x5, 5*8(sp)
    sd x6, 6*8(sp)
    sd x7, 7*8(sp)
    sd x8, 8*8(sp)
    sd x9, 9*8(sp)
    sd x10, 10*8(sp)
    sd x11, 11*8(sp)
    sd x12, 12*8(sp)
    sd x13, 13*8(sp)
    sd x14, 14*8(sp)
    sd x15, 15*8(sp)
    sd x16, 16*8(sp)
    sd x17, 17*8(sp)
    sd x18, 18*8(sp)
    sd x19, 19*8(sp)
    sd x20, 20*8(sp)
    sd x21, 21*8(sp)
    sd x22, 22*8(sp)
    sd x23, 23*8(sp)
    sd x24, 24*8(sp)
    sd x25, 25*8(sp)
    sd x26, 26*8(sp)
    sd x27, 27*8(sp)
    sd x28, 28*8(sp)
    sd x29, 29*8(sp)
    sd x30, 30*8(sp)
    sd x31, 31*8(sp)
    /* The interrupted sp: the user's (now in sscratch) or, from the kernel, just above the frame. */
#ifdef PARAVIRT /* sscratch, sepc and sstatus are words of the shared-info page */
    la t1, pv_shared_address
    ld t1, 0(t1)
    ld t0, PV_SHARED_SCRATCH(t1)
    bnez t0, 2f
    addi t0, sp, FRAME_SIZE
2:  sd t0, 2*8(sp)
    sd zero, PV_SHARED_SCRATCH(t1)
    ld t0, PV_SHARED_SEPC(t1)
    sd t0, 32*8(sp)
    ld t0, PV_SHARED_SSTATUS(t1)
    sd t0, 33*8(sp)
#else
    csrr t0, sscratch
    bnez t0, 2f
    addi t0, sp, FRAME_SIZE
2:  sd t0, 2*8(sp)
    csrw sscratch, zero
    csrr t0, sepc
    sd t0, 32*8(sp)
    csrr t0, sstatus
    sd t0, 33*8(sp)
#endif
    mv a0, sp
    call trap_handler
    /* fall through: a0 = frame to resume */
    .globl trap_return
trap_return:
    mv sp, a0
#ifdef PARAVIRT /* the PV sret is a hypercall (pv.c) */
    tail pv_trap_return
#endif
    ld t0, 32*8(sp)
    csrw sepc, t0
    ld t0, 33*8(sp)
    csrw sstatus, t0
    andi t0, t0, SSTATUS_SPP
    bnez t0, 3f
    /* Back to user mode: the next trap must find this process's kernel stack. */
    addi t0, sp, FRAME_SIZE
    csrw sscratch, t0
3:  ld x1, 1*8(sp)
    ld x3, 3*8(sp)
    ld x4, 4*8(sp)
    ld x5, 5*8(sp)
    ld x6, 6*8(sp)
    ld x7, 7*8(sp)
    ld x8, 8*8(sp)
    ld x9, 9*8(sp)
    ld x10, 10*8(sp)
    ld x11, 11*8(sp)
    ld x12, 12*8(sp)
    ld x13, 13*8(sp)
    ld x14, 14*8(sp)
    ld x15, 15*8(sp)
    ld x16, 16*8(sp)
    ld x17, 17*8(sp)
    ld x18, 18*8(sp)
    ld x19, 19*8(sp)
    ld x20, 20*8(sp)
    ld x21, 21*8(sp)
    ld x22, 22*8(sp)
    ld x23, 23*8(sp)
    ld x24, 24*8(sp)
    ld x25, 25*8(sp)
    ld x26, 26*8(sp)
    ld x27, 27*8(sp)
    ld x28, 28*8(sp)
    ld x29, 29*8(sp)
    ld x30, 30*8(sp)
    ld x31, 31*8(sp)
    ld x2, 2*8(sp)
    sret

/* kcontext_save(ctx) returns 0; a later kcontext_restore(ctx) returns 1 from it again.
 * The kernel uses this once: to come back to kmain when the last user process exits. */
    .globl kcontext_save
kcontext_save:
    sd ra, 0*8(a0)
    sd sp, 1*8(a0)
    sd s0, 2*8(a0)
    sd s1, 3*8(a0)
    sd s2, 4*8(a0)
    sd s3, 5*8(a0)
    sd s4, 6*8(a0)
    sd s5, 7*8(a0)
    sd s6, 8*8(a0)
    sd s7, 9*8(a0)
    sd s8, 10*8(a0)
    sd s9, 11*8(a0)
    sd s10, 12*8(a0)
    sd s11, 13*8(a0)
    li a0, 0
    ret

    .globl kcontext_restore
kcontext_restore:
    ld ra, 0*8(a0)
    ld sp, 1*8(a0)
    ld s0, 2*8(a0)
    ld s1, 3*8(a0)
    ld s2, 4*8(a0)
    ld s3, 5*8(a0)
    ld s4, 6*8(a0)
    ld s5, 7*8(a0)
    ld s6, 8*8(a0)
    ld s7, 9*8(a0)
    ld s8, 10*8(a0)
    ld s9, 11*8(a0)
    ld s10, 12*8(a0)
    ld s11, 13*8(a0)
    li a0, 1
    ret

    .bss
    .balign 16
boot_stack:
    .space 16384
    .globl boot_stack_top
boot_stack_top:
