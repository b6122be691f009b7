/* Reset entry, M-mode trap vector and the few instructions C cannot express, for the corpus
 * SBI firmware (firmware.c says what the firmware does).
 *
 * Trap frames: mscratch always holds the top of the firmware's trap stack while S- or U-mode
 * runs. The vector swaps it with sp, saves every integer register into a frame (x1..x31 at
 * 8*i, mepc at 8*32), calls trap_handler(frame), and restores the (possibly changed) frame:
 * an SBI call's results are written into the frame's a0/a1, and a non-retentive suspend
 * changes its mepc.
 */
#define FRAME_SIZE (33 * 8)
#define CSR_STIMECMP 0x14d /* Sstc (not every assembler knows the name) */
#define CSR_MENVCFG 0x30a  /* privileged spec 1.12 */

    .section .text.entry
    .globl _start
_start:
    /* The reset ROM leaves a0 = mhartid and a1 = the DTB address. Only hart 0 boots; any
     * other hart parks here forever with interrupts off (this firmware is single-hart). */
    bnez a0, 9f
    la sp, firmware_stack_top
    csrw mscratch, sp
    la t0, trap_vector
    csrw mtvec, t0
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  mv s0, a0
    mv s1, a1
    call firmware_init /* returns the S-mode entry address */
    csrw mepc, a0
    mv a0, s0
    mv a1, s1
    /* Leave no firmware values in the registers the payload gets. */
    li s0, 0
    li s1, 0
    li t0, 0
    li t1, 0
    li ra, 0
    li sp, 0
    mret
9:  csrw mie, zero
10: wfi
    j 10b

    .text
/* csr_exists_stimecmp() / csr_exists_menvcfg(): 1 if reading the CSR does not trap. A
 * temporary mtvec skips the faulting instruction and clears a0. Called before any trap can
 * be pending, with mstatus.MIE = 0. */
    .globl csr_exists_stimecmp
csr_exists_stimecmp:
    la t0, probe_trap
    csrrw t1, mtvec, t0
    li a0, 1
    csrr t2, CSR_STIMECMP
    csrw mtvec, t1
    ret
    .globl csr_exists_menvcfg
csr_exists_menvcfg:
    la t0, probe_trap
    csrrw t1, mtvec, t0
    li a0, 1
    csrr t2, CSR_MENVCFG
    csrw mtvec, t1
    ret
    .balign 4
probe_trap:
    li a0, 0
    csrr t2, mepc
    addi t2, t2, 4 /* csrr is never compressed */
    csrw mepc, t2
    mret

    .balign 4
    .globl trap_vector
trap_vector:
    csrrw sp, mscratch, sp
    addi sp, sp, -FRAME_SIZE
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
    csrr t0, mscratch
    sd t0, 2*8(sp)
    csrr t0, mepc
    sd t0, 32*8(sp)
    addi t0, sp, FRAME_SIZE
    csrw mscratch, t0 /* ready for the next trap */
    mv a0, sp
    call trap_handler
    ld t0, 32*8(sp)
    csrw mepc, t0
    ld x1, 1*8(sp)
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
    mret

    .bss
    .balign 16
firmware_stack:
    .space 8192
    .globl firmware_stack_top
firmware_stack_top:
