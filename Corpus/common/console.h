/*
 * console.h — the QEMU virt devices a bare-metal corpus program talks to, and its console
 * routines: included by test.h and by programs that bring their own start-up (smp/smp4.S).
 *
 * ns16550a UART at 0x1000_0000: poll LSR (offset 5) bit 5 "THR empty" before writing THR.
 * sifive_test at 0x10_0000: 0x5555 powers off with status 0, (n << 16) | 0x3333 exits n.
 * CONSOLE_ROUTINES emits puts and putc where it is used (in the includer's text section).
 */
#ifndef VIRTBENCH_CORPUS_CONSOLE_H
#define VIRTBENCH_CORPUS_CONSOLE_H

#define UART_BASE      0x10000000
#define UART_THR       0
#define UART_LSR       5
#define UART_LSR_THRE  0x20           /* 16550 LSR bit 5: transmit holding register empty */
#define TEST_DEVICE    0x100000
#define TEST_PASS_CODE 0x5555         /* sifive_test FINISHER_PASS */
#define TEST_FAIL_CODE 0x3333         /* sifive_test FINISHER_FAIL, exit code in bits 31:16 */

.macro CONSOLE_ROUTINES
/* puts(a0 = NUL-terminated string). Uses t0-t2, a0. No stack. */
puts:
    li t0, UART_BASE
1:  lbu t1, 0(a0)
    beqz t1, 3f
2:  lbu t2, UART_LSR(t0)
    andi t2, t2, UART_LSR_THRE
    beqz t2, 2b
    sb t1, UART_THR(t0)
    addi a0, a0, 1
    j 1b
3:  ret

/* putc(a0). Uses t0, t2. */
putc:
    li t0, UART_BASE
1:  lbu t2, UART_LSR(t0)
    andi t2, t2, UART_LSR_THRE
    beqz t2, 1b
    sb a0, UART_THR(t0)
    ret
.endm

#endif
