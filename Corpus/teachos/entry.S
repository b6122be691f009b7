/*
 * entry.S — TeachOS's assembly: the first instructions (M-mode, 0x8000_0000 under -bios none),
 * the S-mode trap vector, the two ways the kernel leaves and regains control (catch_fault for
 * tests that expect a page fault, run_user for a trip to U-mode), and the U-mode test programs.
 *
 * Privileged spec 1.12: §3.3.2 (mret), §4.1.2 (stvec, direct mode), §4.1.9 (sepc), §4.1.1
 * (sstatus.SPP/SPIE, what sret restores).
 */
    .section .text.init
    .globl _start
_start:
    csrr t0, mhartid        /* one hart runs TeachOS; any other waits for good */
    bnez t0, park
    la sp, stack_top
    la t0, mvectors + 1     /* vectored mode (§3.1.7): interrupt n goes to mvectors + 4n */
    csrw mtvec, t0
    call start              /* start.c: sets up M-mode, mrets to main in S-mode */
park:
    wfi
    j park

    .text
/* M-mode's vector table: exceptions arrive at entry 0, interrupt n at entry n. Only two things
 * reach M-mode once S-mode runs: the ecall that starts M-mode timer ticks, and those ticks
 * (the CLINT's machine timer), which M-mode hands on to S-mode as a software interrupt, the
 * way a kernel without Sstc gets its timer (the m_mode_timer test). Entries are 4 bytes. */
    .align 6
mvectors:
    .option push
    .option norvc
    j mexception
    .rept 6
    j mtrap
    .endr
    j mtimer                /* 7: machine timer interrupt */
    .rept 8
    j mtrap
    .endr
    .option pop

/* mscratch points at struct mtimer_scratch (start.c): three saved registers, the address of
 * this hart's mtimecmp, the interval, the ticks taken and the ticks wanted. */
mexception:
    csrrw a0, mscratch, a0
    sd a1, 0(a0)
    csrr a1, mcause
    li a2, 9                /* ecall from S-mode: a0 (in mscratch now) is the ticks wanted */
    bne a1, a2, 1f
    sd a2, 8(a0)
    sd a3, 16(a0)
    csrr a1, mscratch
    sd a1, 48(a0)           /* limit */
    sd zero, 40(a0)         /* count */
    ld a1, 24(a0)
    li a2, 0x200bff8        /* mtime */
    ld a2, 0(a2)
    ld a3, 32(a0)
    add a2, a2, a3
    sd a2, 0(a1)            /* mtimecmp = mtime + interval */
    li a1, 0x80
    csrs mie, a1            /* MTIE */
    csrr a1, mepc
    addi a1, a1, 4
    csrw mepc, a1
    ld a3, 16(a0)
    ld a2, 8(a0)
    ld a1, 0(a0)
    csrrw a0, mscratch, a0
    mret
1:  ld a1, 0(a0)
    csrrw a0, mscratch, a0
    j mtrap

mtimer:
    csrrw a0, mscratch, a0
    sd a1, 0(a0)
    sd a2, 8(a0)
    sd a3, 16(a0)
    ld a1, 24(a0)
    ld a2, 32(a0)
    ld a3, 0(a1)
    add a3, a3, a2
    sd a3, 0(a1)            /* the next tick, one interval on */
    ld a2, 40(a0)
    addi a2, a2, 1
    sd a2, 40(a0)
    ld a3, 48(a0)
    bltu a2, a3, 2f
    li a1, 0x80
    csrc mie, a1            /* the ticks wanted were taken: MTIE off */
2:  li a1, 2
    csrs mip, a1            /* SSIP: S-mode's software interrupt (§3.1.9: M-mode may set it) */
    ld a3, 16(a0)
    ld a2, 8(a0)
    ld a1, 0(a0)
    csrrw a0, mscratch, a0
    mret

/* Anything else that reaches M-mode is a bug: report it. */
    .align 4
mtrap:
    la sp, stack_top
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    call machine_trap       /* start.c: prints and powers off */
1:  j 1b

/* S-mode trap vector (direct mode: 4-byte aligned). Saves every register but sp on the kernel
 * stack, calls kerneltrap (trap.c), restores them and returns with sret. kerneltrap may change
 * sepc (catch_fault's recovery). */
    .globl kernelvec
    .align 4
kernelvec:
    addi sp, sp, -256
    sd ra, 0(sp)
    sd gp, 16(sp)
    sd tp, 24(sp)
    sd t0, 32(sp)
    sd t1, 40(sp)
    sd t2, 48(sp)
    sd s0, 56(sp)
    sd s1, 64(sp)
    sd a0, 72(sp)
    sd a1, 80(sp)
    sd a2, 88(sp)
    sd a3, 96(sp)
    sd a4, 104(sp)
    sd a5, 112(sp)
    sd a6, 120(sp)
    sd a7, 128(sp)
    sd s2, 136(sp)
    sd s3, 144(sp)
    sd s4, 152(sp)
    sd s5, 160(sp)
    sd s6, 168(sp)
    sd s7, 176(sp)
    sd s8, 184(sp)
    sd s9, 192(sp)
    sd s10, 200(sp)
    sd s11, 208(sp)
    sd t3, 216(sp)
    sd t4, 224(sp)
    sd t5, 232(sp)
    sd t6, 240(sp)
    call kerneltrap
    ld ra, 0(sp)
    ld gp, 16(sp)
    ld tp, 24(sp)
    ld t0, 32(sp)
    ld t1, 40(sp)
    ld t2, 48(sp)
    ld s0, 56(sp)
    ld s1, 64(sp)
    ld a0, 72(sp)
    ld a1, 80(sp)
    ld a2, 88(sp)
    ld a3, 96(sp)
    ld a4, 104(sp)
    ld a5, 112(sp)
    ld a6, 120(sp)
    ld a7, 128(sp)
    ld s2, 136(sp)
    ld s3, 144(sp)
    ld s4, 152(sp)
    ld s5, 160(sp)
    ld s6, 168(sp)
    ld s7, 176(sp)
    ld s8, 184(sp)
    ld s9, 192(sp)
    ld s10, 200(sp)
    ld s11, 208(sp)
    ld t3, 216(sp)
    ld t4, 224(sp)
    ld t5, 232(sp)
    ld t6, 240(sp)
    addi sp, sp, 256
    sret

/* The callee-saved state of a C call: ra, sp, s0-s11 (14 doublewords). */
.macro SAVE_CALLEE base
    sd ra, 0(\base)
    sd sp, 8(\base)
    sd s0, 16(\base)
    sd s1, 24(\base)
    sd s2, 32(\base)
    sd s3, 40(\base)
    sd s4, 48(\base)
    sd s5, 56(\base)
    sd s6, 64(\base)
    sd s7, 72(\base)
    sd s8, 80(\base)
    sd s9, 88(\base)
    sd s10, 96(\base)
    sd s11, 104(\base)
.endm
.macro LOAD_CALLEE base
    ld ra, 0(\base)
    ld sp, 8(\base)
    ld s0, 16(\base)
    ld s1, 24(\base)
    ld s2, 32(\base)
    ld s3, 40(\base)
    ld s4, 48(\base)
    ld s5, 56(\base)
    ld s6, 64(\base)
    ld s7, 72(\base)
    ld s8, 80(\base)
    ld s9, 88(\base)
    ld s10, 96(\base)
    ld s11, 104(\base)
.endm

/* uint64_t catch_fault(void (*fn)(void *), void *arg, uint64_t *tval): calls fn(arg) with
 * fault_armed set; trap.c sends a page fault it takes to fault_resume, which returns here as
 * if catch_fault itself returned the fault's scause. */
    .globl catch_fault
catch_fault:
    la t0, fault_context
    SAVE_CALLEE t0
    sd a2, 112(t0)          /* where the fault's stval goes */
    mv t1, a0
    mv a0, a1
    li t2, 1
    la t0, fault_armed
    sd t2, 0(t0)
    jalr t1
    la t0, fault_armed
    sd zero, 0(t0)
    la t0, fault_context
    ld ra, 0(t0)            /* fn returned: no fault */
    li a0, 0
    ret

    .globl fault_resume
fault_resume:               /* kerneltrap's sret lands here, in S-mode, after a fault in fn */
    la t0, fault_armed
    sd zero, 0(t0)
    la t0, fault_context
    LOAD_CALLEE t0
    ld t1, 112(t0)
    la t2, fault_tval
    ld t2, 0(t2)
    sd t2, 0(t1)
    la t2, fault_cause
    ld a0, 0(t2)
    ret

/* uint64_t run_user(uint64_t pc, uint64_t sp, uint64_t *a0): sret to U-mode at pc with sp.
 * The first trap from U-mode goes to uservec, which restores the kernel's state and returns
 * from run_user with the trap's scause, the user's a0 stored in *a0. The caller keeps every
 * interrupt source off in sie meanwhile (U-mode always takes S-level interrupts). */
    .globl run_user
run_user:
    la t0, user_context
    SAVE_CALLEE t0
    sd a2, 112(t0)
    csrw sscratch, t0
    csrw sepc, a0
    li t1, (1 << 8)         /* sstatus.SPP = U */
    csrc sstatus, t1
    li t1, (1 << 5)         /* sstatus.SPIE = 0 */
    csrc sstatus, t1
    la t1, uservec
    csrw stvec, t1
    mv sp, a1
    sret

    .align 4
uservec:
    csrrw t0, sscratch, t0  /* t0 = user_context, sscratch = the user's t0 */
    ld t1, 112(t0)
    sd a0, 0(t1)
    LOAD_CALLEE t0
    la t1, kernelvec
    csrw stvec, t1
    csrr a0, scause
    ret

/* U-mode programs, in their own pages (link.ld), mapped with PTE_U by the user_mode test. */
    .section .usertext, "ax"
    .globl user_sum
user_sum:                   /* a0 = 1 + 2 + ... + 10, then ecall */
    li a0, 0
    li t0, 10
1:  add a0, a0, t0
    addi t0, t0, -1
    bnez t0, 1b
    sd a0, -8(sp)           /* and it has a stack */
    ld a0, -8(sp)
    li a7, 1
    ecall
2:  j 2b
    .globl user_peek
user_peek:                  /* loads from kernel memory: a page fault, the page lacking PTE_U */
    li t0, 0x80000000
    ld a0, 0(t0)
    ecall
3:  j 3b

    .bss
    .align 3
    .globl fault_armed, fault_cause, fault_tval
fault_armed: .dword 0
fault_cause: .dword 0
fault_tval:  .dword 0
fault_context: .space 120
user_context:  .space 120
