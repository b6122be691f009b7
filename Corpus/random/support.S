/*
 * support.S — fixed prologue, epilogue and trap handler for generated random programs.
 *
 * A generated file (RandomProgram.assembly() in Tests/DifferentialTesting) supplies:
 *   random_program      the random instruction body; it ends with `j random_epilogue`
 *   random_initial_x    32 doublewords: initial x0..x31 (x0, x2 and x8 are ignored)
 *   random_initial_f    32 doublewords: initial raw bits of f0..f31, then one for fcsr
 *   random_sandbox      4 KiB, 4 KiB aligned: the only memory the body loads from or stores to
 *
 * Register convention of the body: s0 (x8) and sp (x2) both hold random_sandbox + 2048 and
 * are never written, so every 12-bit offset from them lands inside the sandbox and the
 * compressed s0/sp-relative forms can be used.
 *
 * The dump (printed on the ns16550a UART, then power-off through sifive_test) is line based
 * so that two machines' outputs can be compared line by line:
 *   trap mcause=<16 hex> mepc=<16 hex>      only if the body trapped
 *   xNN=<16 hex>                            x1..x31
 *   fNN=<16 hex>                            f0..f31, raw 64-bit register contents
 *   fcsr=<16 hex>
 *   mOOO=<16 hex> <16 hex> <16 hex> <16 hex> sandbox, 32 bytes per line, OOO = byte offset
 *   end
 * mtval is not printed: the privileged spec lets an implementation write either 0 or the
 * faulting instruction bits on an illegal-instruction trap, so it may differ legitimately.
 */

    /* QEMU virt memory map (hw/riscv/virt.c), same as ARCHITECTURE.md "The virt board". */
    .equ UART_BASE, 0x10000000
    .equ UART_LSR, 5                /* ns16550a line status register offset */
    .equ UART_LSR_THRE, 0x20        /* LSR bit 5: transmit holding register empty */
    .equ TEST_BASE, 0x100000        /* sifive_test finisher */
    .equ TEST_PASS, 0x5555          /* power off */
    .equ TEST_FAIL, 0x3333          /* power off with failure, code in bits 31:16 */
    .equ MSTATUS_FS_DIRTY, 0x6000   /* Privileged spec 1.12, §3.1.6.6: mstatus.FS = 3 */
    .equ SANDBOX_BIAS, 2048         /* s0/sp point at the middle of the 4 KiB sandbox */
    .equ SANDBOX_SIZE, 4096
    .equ SAVE_F, 256                /* save area: x0..x31 at 0, f0..f31 at 256, fcsr at 512 */
    .equ SAVE_FCSR, 512

    .section .text.init, "ax"
    .globl _start
_start:
    lla t0, random_trap_handler
    csrw mtvec, t0
    /* FS starts Dirty so reading it back is the same on any implementation, precise or not. */
    li t0, MSTATUS_FS_DIRTY
    csrs mstatus, t0
    lla x31, random_initial_f
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, (\n*8)(x31)
    .endr
    ld t0, (32*8)(x31)
    csrw fcsr, t0
    lla x31, random_initial_x
    .irp n, 1,3,4,5,6,7,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    ld x\n, (\n*8)(x31)
    .endr
    ld x31, (31*8)(x31)
    lla s0, random_sandbox + SANDBOX_BIAS
    mv sp, s0
    j random_program

    .text
/* Saves every register into random_save_area; x31 goes through mscratch. */
.macro SAVE_STATE
    csrw mscratch, x31
    lla x31, random_save_area
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    sd x\n, (\n*8)(x31)
    .endr
    csrr x30, mscratch
    sd x30, (31*8)(x31)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, (SAVE_F + \n*8)(x31)
    .endr
    csrr x30, fcsr
    sd x30, SAVE_FCSR(x31)
.endm

    .globl random_epilogue
random_epilogue:
    SAVE_STATE
    li s1, 0
    j random_dump

    .balign 4
    .globl random_trap_handler
random_trap_handler:
    /* A trap inside the dump itself would loop forever: fail loudly instead. */
    csrw mscratch, x31
    lla x31, random_in_trap
    ld x31, 0(x31)
    bnez x31, random_nested_trap
    csrr x31, mscratch
    SAVE_STATE
    lla t0, random_in_trap
    li t1, 1
    sd t1, 0(t0)
    li s1, 1
    j random_dump

random_nested_trap:
    li t0, TEST_BASE
    li t1, (2 << 16) | TEST_FAIL
    sw t1, 0(t0)
1:  j 1b

random_dump:
    beqz s1, 1f
    lla a0, random_text_trap
    jal print_string
    csrr a0, mcause
    li a1, 16
    jal print_hex
    lla a0, random_text_mepc
    jal print_string
    csrr a0, mepc
    li a1, 16
    jal print_hex
    li a0, '\n'
    jal putc
1:
    /* x1..x31 */
    lla s3, random_save_area
    li s2, 1
2:  li a0, 'x'
    jal putc
    mv a0, s2
    jal print_index
    slli t0, s2, 3
    add t0, s3, t0
    ld a0, 0(t0)
    li a1, 16
    jal print_hex
    li a0, '\n'
    jal putc
    addi s2, s2, 1
    li t0, 32
    bltu s2, t0, 2b
    /* f0..f31 */
    li s2, 0
3:  li a0, 'f'
    jal putc
    mv a0, s2
    jal print_index
    slli t0, s2, 3
    add t0, s3, t0
    ld a0, SAVE_F(t0)
    li a1, 16
    jal print_hex
    li a0, '\n'
    jal putc
    addi s2, s2, 1
    li t0, 32
    bltu s2, t0, 3b
    lla a0, random_text_fcsr
    jal print_string
    ld a0, SAVE_FCSR(s3)
    li a1, 16
    jal print_hex
    li a0, '\n'
    jal putc
    /* sandbox, 32 bytes a line */
    lla s4, random_sandbox
    li s2, 0
4:  li a0, 'm'
    jal putc
    mv a0, s2
    li a1, 3
    jal print_hex
    li a0, '='
    jal putc
    li s5, 0
5:  add t0, s4, s2
    add t0, t0, s5
    ld a0, 0(t0)
    li a1, 16
    jal print_hex
    addi s5, s5, 8
    li t0, 32
    bgeu s5, t0, 6f
    li a0, ' '
    jal putc
    j 5b
6:  li a0, '\n'
    jal putc
    addi s2, s2, 32
    li t0, SANDBOX_SIZE
    bltu s2, t0, 4b
    lla a0, random_text_end
    jal print_string
    li t0, TEST_BASE
    li t1, TEST_PASS
    sw t1, 0(t0)
7:  j 7b

/* putc(a0): waits for THRE, then writes one byte. Clobbers t0, t1. */
putc:
    li t0, UART_BASE
1:  lbu t1, UART_LSR(t0)
    andi t1, t1, UART_LSR_THRE
    beqz t1, 1b
    sb a0, 0(t0)
    ret

/* print_hex(a0 value, a1 digit count): lowest a1 nibbles, most significant first. */
print_hex:
    mv t6, ra
    mv a2, a0
    mv a3, a1
1:  addi a3, a3, -1
    slli t2, a3, 2
    srl a0, a2, t2
    andi a0, a0, 15
    lla t2, random_hex_digits
    add t2, t2, a0
    lbu a0, 0(t2)
    jal putc
    bnez a3, 1b
    mv ra, t6
    ret

/* print_index(a0 in 0..31): two decimal digits then '='. */
print_index:
    mv t6, ra
    lla t2, random_decimal_pairs
    slli a0, a0, 1
    add a2, t2, a0
    lbu a0, 0(a2)
    jal putc
    lbu a0, 1(a2)
    jal putc
    li a0, '='
    jal putc
    mv ra, t6
    ret

/* print_string(a0 NUL-terminated). */
print_string:
    mv t6, ra
    mv a2, a0
1:  lbu a0, 0(a2)
    beqz a0, 2f
    jal putc
    addi a2, a2, 1
    j 1b
2:  mv ra, t6
    ret

    .section .rodata
random_hex_digits:
    .ascii "0123456789abcdef"
random_decimal_pairs:
    .ascii "00010203040506070809101112131415161718192021222324252627282930313233"
random_text_trap:
    .asciz "trap mcause="
random_text_mepc:
    .asciz " mepc="
random_text_fcsr:
    .asciz "fcsr="
random_text_end:
    .asciz "end\n"

    .data
    .balign 8
random_save_area:
    .zero SAVE_FCSR + 8
random_in_trap:
    .quad 0
