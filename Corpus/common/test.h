/*
 * test.h — shared runtime and macros for the self-checking ISA and privileged corpus.
 *
 * Every program includes this header once, then writes
 *
 *     TEST_START name
 *         CASE 1
 *         ...checks...
 *     TEST_PASS
 *
 * The header emits the start-up code, the console routines, the pass/fail exits and one
 * M-mode and one S-mode trap handler. Register conventions used by every program:
 *   gp (x3)  the current case number, printed on failure and encoded in the exit code;
 *   t6 (x31) scratch for the EXPECT macros: test bodies must not keep values in it;
 *   mscratch / sscratch point at the trap frames and belong to the runtime.
 *
 * Devices (QEMU `virt`, the same layout VirtBench implements):
 *   ns16550a UART at 0x1000_0000: poll LSR (offset 5) bit 5 "THR empty" before writing THR;
 *   sifive_test at 0x10_0000: 0x5555 powers off with status 0, (n << 16) | 0x3333 exits n.
 *
 * Trap protocol (both handlers):
 *   - A test that expects a trap sets the frame's EXPECT word (EXPECT_TRAP_M / _S). The
 *     handler records cause, epc, tval and status, clears EXPECT and then either resumes at
 *     the RESUME address (in the handler's own privilege: MPP=M or SPP=S) when one was given,
 *     or skips the trapping instruction (2 or 4 bytes, read from memory at epc).
 *   - An exception with EXPECT clear is a failure of the current case.
 *   - An ecall with a7 == ECALL_MAGIC_M from any mode returns to M-mode at the address in a0
 *     with a7 cleared (this is how tests climb back to M-mode; the S handler forwards it).
 *   - An interrupt calls the frame's IRQ_HOOK (which must silence the source and return
 *     with `ret`; it may use t0-t3 and a0); with no hook it is a failure.
 */
#ifndef VIRTBENCH_CORPUS_TEST_H
#define VIRTBENCH_CORPUS_TEST_H

/* QEMU virt board addresses (hw/riscv/virt.c memmap). */
#include "console.h"
#define CLINT_BASE     0x02000000
#define CLINT_MSIP     0x02000000     /* hart 0 msip */
#define CLINT_MTIMECMP 0x02004000     /* hart 0 mtimecmp */
#define CLINT_MTIME    0x0200bff8

/* Privileged spec 1.12 §3.1.6 mstatus / §4.1.1 sstatus fields. */
#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)

/* Privileged spec 1.12 §3.1.15 Table 3.6: exception codes. */
#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL           2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE        13
#define CAUSE_STORE_PAGE       15
#define CAUSE_INTERRUPT        (1 << 63)
#define IRQ_S_SOFT   1
#define IRQ_M_SOFT   3
#define IRQ_S_TIMER  5
#define IRQ_M_TIMER  7

/* Sv39/Sv48 PTE bits, Privileged spec 1.12 §4.3.1. */
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)

/* Trap frame layout (both handlers). */
#define F_T0      0
#define F_T1      8
#define F_T2      16
#define F_T3      24
#define F_RA      32
#define F_A0      40
#define F_CAUSE   48
#define F_EPC     56
#define F_TVAL    64
#define F_STATUS  72
#define F_COUNT   80
#define F_RESUME  88
#define F_EXPECT  96
#define F_IRQHOOK 104
#define F_SIZE    128

#define ECALL_MAGIC_M 0x4d4d

/* ---------------------------------------------------------------- check macros */

/* Case number of the checks that follow. */
.macro CASE n
    li gp, \n
.endm

/* Next case number, counted from 2 (case 1 is start-up) in source order. */
.set test_case_counter, 1
.macro NEXT_CASE
    .set test_case_counter, test_case_counter + 1
    li gp, test_case_counter
.endm

/* Register-register ALU check: rd = op(a, b) must equal `expect`. */
.macro TEST_RR op, a, b, expect
    NEXT_CASE
    li a1, \a
    li a2, \b
    \op a3, a1, a2
    EXPECT a3, \expect
.endm

/* Register-immediate ALU check. */
.macro TEST_RI op, a, imm, expect
    NEXT_CASE
    li a1, \a
    \op a3, a1, \imm
    EXPECT a3, \expect
.endm

/* Same, with the destination equal to the source (rd == rs1). */
.macro TEST_RI_SAME op, a, imm, expect
    NEXT_CASE
    li a1, \a
    \op a1, a1, \imm
    EXPECT a1, \expect
.endm

/* Fails the current case unless register r equals the constant v. */
.macro EXPECT r, v
    li t6, \v
    beq \r, t6, .Lok\@
    j fail
.Lok\@:
.endm

/* Fails the current case unless registers a and b are equal. */
.macro EXPECT_REG a, b
    beq \a, \b, .Lok\@
    j fail
.Lok\@:
.endm

/* Expect the next exception in M-mode; resume at `label` (or skip the instruction if omitted). */
.macro EXPECT_TRAP_M resume=0
    la t6, m_frame
    .ifc \resume,0
    sd zero, F_RESUME(t6)
    .else
    la t5, \resume
    sd t5, F_RESUME(t6)
    .endif
    li t5, 1
    sd t5, F_EXPECT(t6)
.endm

.macro EXPECT_TRAP_S resume=0
    la t6, s_frame
    .ifc \resume,0
    sd zero, F_RESUME(t6)
    .else
    la t5, \resume
    sd t5, F_RESUME(t6)
    .endif
    li t5, 1
    sd t5, F_EXPECT(t6)
.endm

/* After an expected trap: fails unless it happened and had this cause. Clobbers t5, t6. */
.macro CHECK_TRAP frame, cause
    la t5, \frame
    ld t6, F_EXPECT(t5)
    beqz t6, .Lhappened\@
    j fail
.Lhappened\@:
    ld t5, F_CAUSE(t5)
    li t6, \cause
    beq t5, t6, .Lok\@
    j fail
.Lok\@:
.endm

.macro CHECK_MTRAP cause
    CHECK_TRAP m_frame, \cause
.endm
.macro CHECK_STRAP cause
    CHECK_TRAP s_frame, \cause
.endm

/* Fails unless the recorded field (F_TVAL, F_EPC, ...) of a frame equals constant v. */
.macro CHECK_FIELD frame, field, v
    la t5, \frame
    ld t5, \field(t5)
    li t6, \v
    beq t5, t6, .Lok\@
    j fail
.Lok\@:
.endm

/* Fails unless the recorded field equals the address of a label. */
.macro CHECK_FIELD_LABEL frame, field, label
    la t5, \frame
    ld t5, \field(t5)
    la t6, \label
    beq t5, t6, .Lok\@
    j fail
.Lok\@:
.endm

/* Fails unless the recorded field equals register r. */
.macro CHECK_FIELD_REG frame, field, r
    la t5, \frame
    ld t5, \field(t5)
    beq t5, \r, .Lok\@
    j fail
.Lok\@:
.endm

/* ---------------------------------------------------------------- privilege moves */

/* From M-mode: continue at `label` in S-mode (mret with MPP=S; MPIE cleared so M-mode
   MIE is still 0 when a later trap returns to M). Clobbers t0. */
.macro GOTO_S label
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    li t0, MSTATUS_MPP_S
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From M-mode: continue at `label` in U-mode (mret with MPP=U). Clobbers t0. */
.macro GOTO_U label
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From S-mode: continue at `label` in U-mode (sret with SPP=U). Clobbers t0. */
.macro GOTO_U_FROM_S label
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    la t0, \label
    csrw sepc, t0
    sret
.endm

/* From any mode: continue at `label` in M-mode via the magic ecall. Clobbers a0, a7. */
.macro GOTO_M label
    la a0, \label
    li a7, ECALL_MAGIC_M
    ecall
.endm

/* ---------------------------------------------------------------- program frame */

.macro TEST_START name
    .pushsection .rodata
test_name:
    .asciz "\name"
    .popsection
    .text
    .globl test_main
test_main:
.endm

.macro TEST_PASS
    j pass
.endm

/* ================================================================= runtime */

    .section .text.init, "ax"
    .option push
    .option norvc
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, stack_top
    la t0, m_frame
    csrw mscratch, t0
    la t0, s_frame
    csrw sscratch, t0
    la t0, m_trap_entry
    csrw mtvec, t0
    la t0, s_trap_entry
    csrw stvec, t0
    /* With PMP implemented and no entry matching, S/U accesses fail (Privileged spec
       §3.7.1); one NAPOT entry over the whole address space gives S and U full access. */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                      /* A=NAPOT (3 << 3) | X | W | R */
    csrw pmpcfg0, t0
    /* FS starts Off after reset; set it to Initial so F/D instructions execute. */
    li t0, (1 << 13)
    csrs mstatus, t0
    csrwi fcsr, 0
    csrw mie, zero
    csrw medeleg, zero
    csrw mideleg, zero
    csrw satp, zero
    li gp, 1
    j test_main

park:
    wfi
    j park

    CONSOLE_ROUTINES

/* puthex(a1): "0x" and 16 hex digits. Uses t0-t4, a0, a1; return address kept in t4. */
puthex:
    mv t4, ra
    li a0, '0'
    jal putc
    li a0, 'x'
    jal putc
    li t3, 60
1:  srl a0, a1, t3
    andi a0, a0, 15
    addi a0, a0, '0'
    li t1, '9'
    ble a0, t1, 2f
    addi a0, a0, 'a' - '9' - 1
2:  jal putc
    addi t3, t3, -4
    bgez t3, 1b
    mv ra, t4
    ret

/* putdec(a1): unsigned decimal, a1 < 10^10. Uses t0-t4, a0, a1; ra kept in t4. */
putdec:
    mv t4, ra
    li t3, 1000000000
    li t1, 0                        /* a digit has been printed */
1:  divu a0, a1, t3
    remu a1, a1, t3
    bnez a0, 2f
    bnez t1, 2f
    li t2, 1
    beq t3, t2, 2f
    j 3f
2:  li t1, 1
    addi a0, a0, '0'
    jal putc
3:  li t2, 10
    divu t3, t3, t2
    bnez t3, 1b
    mv ra, t4
    ret

    .globl pass
pass:
    csrw mie, zero
    la a0, str_pass
    jal puts
    la a0, test_name
    jal puts
    li a0, '\n'
    jal putc
    li t0, TEST_DEVICE
    li t1, TEST_PASS_CODE
    sw t1, 0(t0)
1:  j 1b

    .globl fail
fail:
    csrw mie, zero
    la a0, str_fail
    jal puts
    la a0, test_name
    jal puts
    la a0, str_case
    jal puts
    mv a1, gp
    jal putdec
    li a0, '\n'
    jal putc
    li t0, TEST_DEVICE
    li t1, 0xffff
    and t1, gp, t1
    bnez t1, 1f
    li t1, 0xffff                   /* a zero code would read as success */
1:  slli t1, t1, 16
    li t2, TEST_FAIL_CODE
    or t1, t1, t2
    sw t1, 0(t0)
2:  j 2b

/* An exception nobody expected: say what it was, then fail the current case. */
trap_unexpected:
    la a0, str_trap
    jal puts
    la t0, m_frame
    ld a1, F_CAUSE(t0)
    jal puthex
    la a0, str_epc
    jal puts
    la t0, m_frame
    ld a1, F_EPC(t0)
    jal puthex
    la a0, str_tval
    jal puts
    la t0, m_frame
    ld a1, F_TVAL(t0)
    jal puthex
    li a0, '\n'
    jal putc
    j fail

/* ---------------------------------------------------------------- M-mode handler */
    .align 6
    .globl m_trap_entry
m_trap_entry:
    csrrw sp, mscratch, sp
    sd t0, F_T0(sp)
    sd t1, F_T1(sp)
    sd t2, F_T2(sp)
    sd t3, F_T3(sp)
    sd ra, F_RA(sp)
    sd a0, F_A0(sp)
    csrr t0, mstatus
    sd t0, F_STATUS(sp)
    /* The handler's own loads must be physical even if MPRV was left set. */
    li t1, MSTATUS_MPRV
    csrc mstatus, t1
    csrr t0, mcause
    sd t0, F_CAUSE(sp)
    csrr t1, mepc
    sd t1, F_EPC(sp)
    csrr t1, mtval
    sd t1, F_TVAL(sp)
    ld t1, F_COUNT(sp)
    addi t1, t1, 1
    sd t1, F_COUNT(sp)
    bltz t0, m_interrupt
    /* ecall (causes 8..11) with the magic a7: back to M-mode at a0 */
    addi t1, t0, -CAUSE_ECALL_U
    li t2, 3
    bgtu t1, t2, 1f
    li t1, ECALL_MAGIC_M
    bne a7, t1, 1f
    csrw mepc, a0
    li t1, MSTATUS_MPP
    csrs mstatus, t1
    li t1, MSTATUS_MPIE              /* arrive in M with interrupts off, as after reset */
    csrc mstatus, t1
    li a7, 0                         /* so a later plain ecall is not taken as magic */
    j m_return
1:  ld t1, F_EXPECT(sp)
    bnez t1, 2f
    csrrw sp, mscratch, sp
    j trap_unexpected
2:  sd zero, F_EXPECT(sp)
    ld t1, F_RESUME(sp)
    beqz t1, m_skip
    sd zero, F_RESUME(sp)
    csrw mepc, t1
    li t1, MSTATUS_MPP
    csrs mstatus, t1
    li t1, MSTATUS_MPIE
    csrc mstatus, t1
    j m_return
m_skip:
    csrr t1, mepc
    lhu t2, 0(t1)
    andi t2, t2, 3
    li t3, 3
    addi t1, t1, 2
    bne t2, t3, 3f
    addi t1, t1, 2
3:  csrw mepc, t1
m_return:
    ld t0, F_STATUS(sp)
    li t1, MSTATUS_MPRV
    and t0, t0, t1
    csrs mstatus, t0
    ld t0, F_T0(sp)
    ld t1, F_T1(sp)
    ld t2, F_T2(sp)
    ld t3, F_T3(sp)
    ld ra, F_RA(sp)
    ld a0, F_A0(sp)
    csrrw sp, mscratch, sp
    mret
m_interrupt:
    ld t1, F_IRQHOOK(sp)
    bnez t1, 4f
    csrrw sp, mscratch, sp
    j trap_unexpected
4:  jalr t1
    j m_return

/* ---------------------------------------------------------------- S-mode handler */
    .align 6
    .globl s_trap_entry
s_trap_entry:
    csrrw sp, sscratch, sp
    sd t0, F_T0(sp)
    sd t1, F_T1(sp)
    sd t2, F_T2(sp)
    sd t3, F_T3(sp)
    sd ra, F_RA(sp)
    sd a0, F_A0(sp)
    csrr t0, sstatus
    sd t0, F_STATUS(sp)
    csrr t0, scause
    sd t0, F_CAUSE(sp)
    csrr t1, sepc
    sd t1, F_EPC(sp)
    csrr t1, stval
    sd t1, F_TVAL(sp)
    ld t1, F_COUNT(sp)
    addi t1, t1, 1
    sd t1, F_COUNT(sp)
    bltz t0, s_interrupt
    addi t1, t0, -CAUSE_ECALL_U
    li t2, 3
    bgtu t1, t2, 1f
    li t1, ECALL_MAGIC_M
    bne a7, t1, 1f
    csrrw sp, sscratch, sp           /* leave sscratch pointing at the frame: no sret follows */
    ecall                            /* forward to M: a0 and a7 are still the caller's */
1:  ld t1, F_EXPECT(sp)
    bnez t1, 2f
    /* Unexpected in S: hand it to M as an unexpected ecall so the failure is reported. */
    li a7, 0
    ecall
2:  sd zero, F_EXPECT(sp)
    ld t1, F_RESUME(sp)
    beqz t1, s_skip
    sd zero, F_RESUME(sp)
    csrw sepc, t1
    li t1, MSTATUS_SPP
    csrs sstatus, t1
    j s_return
s_skip:
    csrr t1, sepc
    lhu t2, 0(t1)
    andi t2, t2, 3
    li t3, 3
    addi t1, t1, 2
    bne t2, t3, 3f
    addi t1, t1, 2
3:  csrw sepc, t1
s_return:
    ld t0, F_T0(sp)
    ld t1, F_T1(sp)
    ld t2, F_T2(sp)
    ld t3, F_T3(sp)
    ld ra, F_RA(sp)
    ld a0, F_A0(sp)
    csrrw sp, sscratch, sp
    sret
s_interrupt:
    ld t1, F_IRQHOOK(sp)
    bnez t1, 4f
    li a7, 0
    ecall
4:  jalr t1
    j s_return
    .option pop

    .section .rodata
str_pass: .asciz "PASS "
str_fail: .asciz "FAIL "
str_case: .asciz " case "
str_trap: .asciz "unexpected trap mcause="
str_epc:  .asciz " mepc="
str_tval: .asciz " mtval="

    .section .data
    .align 6
    .globl m_frame
m_frame: .zero F_SIZE
    .globl s_frame
s_frame: .zero F_SIZE

    .text
#endif
