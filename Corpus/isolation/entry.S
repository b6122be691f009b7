/* Entry point and trap probes shared by the isolation guests (Corpus/isolation).
 *
 * Each guest is an S-mode payload entered at 0x8020_0000 with a0 = hart id and a1 = the DTB
 * address, as fw_jump and the hypervisor's domain builder enter a kernel. Interrupts stay off
 * throughout: sstatus.SIE is never set. */
    .section .text.entry
    .globl _start
_start:
    la sp, stack_top
    la t0, unexpected_trap_entry
    csrw stvec, t0
    csrci sstatus, 2            /* SIE off, whatever the loader left */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call guest_main             /* a0 and a1 are still the hart id and the DTB */
3:  wfi
    j 3b

    .text
/* The probes point stvec at their own landing label for the one access they make, so a trap
 * there ends the probe (the landing label is the continuation: with SIE already off, nothing
 * from sret is needed) and any other trap still reaches unexpected_trap_entry.
 * Each returns -1 when the access completed, else scause; stvec is restored either way. */

/* long probe_load(u64 address, u64 *out): *out = the loaded doubleword, or stval on a trap. */
    .globl probe_load
probe_load:
    la t0, 1f
    csrrw t1, stvec, t0
    li t2, -1
    ld t3, 0(a0)
    j 2f
    .balign 4
1:  csrr t2, scause
    csrr t3, stval
2:  csrw stvec, t1
    sd t3, 0(a1)
    mv a0, t2
    ret

/* long probe_store(u64 address, u64 value, u64 *out): *out = stval on a trap, else 0. */
    .globl probe_store
probe_store:
    la t0, 1f
    csrrw t1, stvec, t0
    li t2, -1
    li t3, 0
    sd a1, 0(a0)
    j 2f
    .balign 4
1:  csrr t2, scause
    csrr t3, stval
2:  csrw stvec, t1
    sd t3, 0(a2)
    mv a0, t2
    ret

/* long probe_fetch(u64 address, u64 *out): jumps to address; a fetch fault there lands on 1:
 * with *out = stval. Should code there run and return, the probe reports -1 (completed). */
    .globl probe_fetch
probe_fetch:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd a1, 8(sp)
    la t0, 1f
    csrrw t1, stvec, t0
    mv t4, t1                   /* stvec to restore: a faulting fetch leaves it as it is */
    jalr a0
    li t2, -1
    li t3, 0
    j 2f
    .balign 4
1:  csrr t2, scause
    csrr t3, stval
2:  csrw stvec, t4
    ld ra, 0(sp)
    ld a1, 8(sp)
    addi sp, sp, 16
    sd t3, 0(a1)
    mv a0, t2
    ret

/* Any trap outside a probe: report it and stop (unexpected_trap does not return). */
    .balign 4
unexpected_trap_entry:
    la sp, stack_top
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    call unexpected_trap
4:  wfi
    j 4b

    .bss
    .balign 16
    .space 16384
stack_top:
