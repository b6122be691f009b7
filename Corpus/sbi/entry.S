/* Entry points of the SBI self-test (sbitest.c): the payload entry, where a non-retentive
 * HSM suspend resumes (with a fresh stack: the SBI preserves no register but a0/a1 there),
 * and a trap vector that reports any trap, since the test runs with every interrupt off. */
    .section .text.entry
    .globl _start
_start:
    la sp, stack_top
    la t0, unexpected_trap_entry
    csrw stvec, t0
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call sbitest_main
3:  wfi
    j 3b

    .text
    .balign 4
    .globl resume_entry
resume_entry:
    la sp, stack_top
    call sbitest_resumed
4:  wfi
    j 4b

/* long probe_readable(u64 address): 1 when an S-mode load from address succeeds, 0 when it
 * traps (firmware memory behind PMP). The load's trap lands on 1: with a1 still 0. */
    .globl probe_readable
probe_readable:
    la t0, 1f
    csrrw t1, stvec, t0
    li a1, 0
    ld t2, 0(a0)
    li a1, 1
    .balign 4
1:  csrw stvec, t1
    mv a0, a1
    ret

    .balign 4
unexpected_trap_entry:
    la sp, stack_top
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    call sbitest_unexpected_trap
5:  wfi
    j 5b

    .bss
    .balign 16
    .space 8192
stack_top:
