/*
 * plic.S — external interrupts through the virt board's PLIC, driven by the ns16550a UART's
 * transmitter-holding-register-empty (THRE) interrupt on PLIC source 10: source priorities,
 * per-context enables and thresholds (priority 0 never interrupts; a source interrupts only
 * when its priority exceeds the threshold), the pending bits, MEIP/SEIP in mip for context 0
 * (hart 0 M-mode) and context 1 (hart 0 S-mode), the machine external interrupt (mcause 11),
 * the supervisor external interrupt taken in M when not delegated (mcause 9) and in S when
 * delegated with mideleg.SEIP (scause 9), an M-level interrupt pre-empting S-mode whatever
 * mstatus.MIE says, claim (returns 10, then 0), complete, a claimed source that is raised again
 * not being claimable or interrupting until it is completed, a completion with another ID
 * leaving the claim in place, a request that the source withdraws before the claim staying
 * pending (the gateway cannot retract it), and WFI waking on a pending external interrupt
 * with interrupts globally disabled (and taking no trap).
 *
 * Spec: RISC-V PLIC spec 1.0.0, sections "Interrupt Gateways" (a level source's first
 * assertion becomes a request; no further request until completion; a forwarded request
 * cannot be retracted), "Memory Map" (priority 0x0 + 4 x source, pending 0x1000, enables
 * 0x2000 + 0x80 x context, threshold 0x20_0000 + 0x1000 x context, claim/complete at +4),
 * "Interrupt Priorities" (0 = never interrupt), "Priority Thresholds", "Interrupt Claim
 * Process", "Interrupt Completion"; Privileged spec 1.12 §3.1.9 mip/mie (MEIP bit 11, SEIP
 * bit 9), §3.1.8 mideleg, §3.3.3 WFI; PC16550D IER bit 1 (ETBEI), IIR id 0b0010 for THRE,
 * cleared by reading IIR. QEMU 7.2 virt: PLIC at 0x0c00_0000, hart config "MS" (context 0 =
 * M, 1 = S), UART0_IRQ = 10, 7 priority levels.
 *
 * Portability note: QEMU 7.2 latches a pending bit on every rising request, even while the
 * source is claimed (it only hides claimed sources from claims and from MEIP/SEIP), where the
 * spec's gateway forwards nothing until completion. So this program never reads the pending
 * register while the source is claimed and its line is up, and it silences the UART (reads
 * IIR) before completing, except where it checks the re-request on completion of a source
 * that is still asserted (on which QEMU and the spec agree).
 * QEMU 7.2 also re-evaluates MEIP/SEIP only on priority, threshold, claim, completion and
 * source changes, not on enable writes, so after changing an enable register this program
 * rewrites a threshold with its current value before it looks at mip.
 */
#include "test.h"

#define PLIC_BASE        0x0c000000
#define UART_SOURCE      10                                  /* QEMU virt UART0_IRQ */
#define PLIC_PRIORITY    (PLIC_BASE + 4 * UART_SOURCE)
#define PLIC_PENDING     (PLIC_BASE + 0x1000)
#define PLIC_ENABLE0     (PLIC_BASE + 0x2000)                /* context 0: hart 0 M-mode */
#define PLIC_ENABLE1     (PLIC_BASE + 0x2080)                /* context 1: hart 0 S-mode */
#define PLIC_THRESHOLD0  (PLIC_BASE + 0x200000)
#define PLIC_CLAIM0      (PLIC_BASE + 0x200004)
#define PLIC_THRESHOLD1  (PLIC_BASE + 0x201000)
#define PLIC_CLAIM1      (PLIC_BASE + 0x201004)
#define SOURCE_BIT       (1 << UART_SOURCE)

#define UART_IER         1
#define UART_IIR         2
#define IER_THRI         0x02                                /* enable THR-empty interrupt */
#define IIR_THRI         0x02                                /* interrupt id: THR empty */
#define IIR_NO_INT       0x01

#define IRQ_S_EXT        9
#define IRQ_M_EXT        11
#define MIP_SEIP         (1 << IRQ_S_EXT)
#define MIP_MEIP         (1 << IRQ_M_EXT)
#define SPIN_LIMIT       20000000

/* Offsets in `rec`, where the interrupt hooks record what they saw. */
#define R_CAUSE          0
#define R_IP_BEFORE      8
#define R_CLAIM          16
#define R_IP_CLAIMED     24
#define R_CLAIM2         32
#define R_PENDING        40
#define R_IIR            48
#define R_IP_AFTER       56
#define R_TAKEN          64
#define R_SIZE           72

/* Store the 32-bit constant v at address addr. Clobbers t0, t1. */
.macro W32 addr, v
    li t0, \addr
    li t1, \v
    sw t1, 0(t0)
.endm

/* a1 = 32-bit register at addr (zero-extended). */
.macro R32 addr
    li a1, \addr
    lwu a1, 0(a1)
.endm

/* Write the UART's IER. Clobbers t0, t1. */
.macro SET_IER v
    li t0, UART_BASE
    li t1, \v
    sb t1, UART_IER(t0)
.endm

/* Fails unless (mip & mask) == v. Clobbers a1. */
.macro EXPECT_MIP mask, v
    csrr a1, mip
    li t6, \mask
    and a1, a1, t6
    EXPECT a1, \v
.endm

/* Fails unless reading the claim register at addr returns v. Clobbers a1. */
.macro EXPECT_CLAIM addr, v
    R32 \addr
    EXPECT a1, \v
.endm

/* Fails unless the recorded field of `rec` equals v. Clobbers t5, t6. */
.macro EXPECT_REC field, v
    la t5, rec
    ld t5, \field(t5)
    li t6, \v
    beq t5, t6, .Lok\@
    j fail
.Lok\@:
.endm

/* Spin until rec.R_TAKEN is nonzero; fail after SPIN_LIMIT iterations. Clobbers t0, t1. */
.macro WAIT_TAKEN
    li t0, SPIN_LIMIT
.Lw\@:
    ld t1, rec + R_TAKEN
    bnez t1, .Ld\@
    addi t0, t0, -1
    bnez t0, .Lw\@
    j fail
.Ld\@:
.endm

/* Forget what the hooks recorded. Clobbers t0, t1. */
.macro CLEAR_REC
    la t0, rec
    addi t1, t0, R_SIZE
.Lc\@:
    sd zero, 0(t0)
    addi t0, t0, 8
    bltu t0, t1, .Lc\@
.endm

TEST_START plic
    la t5, m_frame
    la a1, m_hook
    sd a1, F_IRQHOOK(t5)
    la t5, s_frame
    la a1, s_hook
    sd a1, F_IRQHOOK(t5)
    SET_IER 0

    /* ---- reset state: nothing enabled, nothing to claim, no external interrupt */
    NEXT_CASE
    R32 PLIC_PRIORITY
    EXPECT a1, 0
    R32 PLIC_ENABLE0
    EXPECT a1, 0
    R32 PLIC_ENABLE1
    EXPECT a1, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    EXPECT_CLAIM PLIC_CLAIM1, 0
    EXPECT_MIP MIP_MEIP | MIP_SEIP, 0
    R32 PLIC_PENDING
    andi a1, a1, SOURCE_BIT
    EXPECT a1, 0

    /* ---- registers read back what was written */
    NEXT_CASE
    W32 PLIC_PRIORITY, 7
    R32 PLIC_PRIORITY
    EXPECT a1, 7
    W32 PLIC_PRIORITY, 0
    R32 PLIC_PRIORITY
    EXPECT a1, 0
    NEXT_CASE
    W32 PLIC_THRESHOLD0, 3
    W32 PLIC_THRESHOLD1, 5
    R32 PLIC_THRESHOLD0
    EXPECT a1, 3
    R32 PLIC_THRESHOLD1
    EXPECT a1, 5
    W32 PLIC_THRESHOLD0, 0
    W32 PLIC_THRESHOLD1, 0
    NEXT_CASE
    W32 PLIC_ENABLE0, SOURCE_BIT
    R32 PLIC_ENABLE0
    EXPECT a1, SOURCE_BIT
    R32 PLIC_ENABLE1
    EXPECT a1, 0                                             /* contexts are separate */

    /* ---- the UART raises source 10; with priority 0 it never interrupts */
    NEXT_CASE
    SET_IER IER_THRI                                         /* THR is empty: raised at once */
    R32 PLIC_PENDING
    andi a1, a1, SOURCE_BIT
    EXPECT a1, SOURCE_BIT
    EXPECT_MIP MIP_MEIP | MIP_SEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    R32 PLIC_PENDING                                         /* that claim took nothing */
    andi a1, a1, SOURCE_BIT
    EXPECT a1, SOURCE_BIT

    /* ---- priority above the threshold: MEIP; the S context is not enabled */
    NEXT_CASE
    W32 PLIC_PRIORITY, 1
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_MEIP
    EXPECT_CLAIM PLIC_CLAIM1, 0
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_MEIP

    /* ---- threshold masking: priority must exceed the threshold */
    NEXT_CASE
    W32 PLIC_THRESHOLD0, 1                                   /* priority 1 <= threshold 1 */
    EXPECT_MIP MIP_MEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0                              /* masked: nothing to claim */
    NEXT_CASE
    W32 PLIC_PRIORITY, 2
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    W32 PLIC_THRESHOLD0, 7
    EXPECT_MIP MIP_MEIP, 0
    W32 PLIC_PRIORITY, 7                                     /* 7 <= 7: still masked */
    EXPECT_MIP MIP_MEIP, 0
    W32 PLIC_THRESHOLD0, 6
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    W32 PLIC_THRESHOLD0, 0
    W32 PLIC_PRIORITY, 3

    /* ---- enable masking: the pending bit stays, the interrupt goes */
    NEXT_CASE
    W32 PLIC_ENABLE0, 0
    W32 PLIC_THRESHOLD0, 0                                   /* unchanged; see the note above */
    EXPECT_MIP MIP_MEIP, 0
    R32 PLIC_PENDING
    andi a1, a1, SOURCE_BIT
    EXPECT a1, SOURCE_BIT
    W32 PLIC_ENABLE0, SOURCE_BIT
    W32 PLIC_THRESHOLD0, 0
    EXPECT_MIP MIP_MEIP, MIP_MEIP

    /* ---- the machine external interrupt: mcause 11, claim 10, complete */
    NEXT_CASE
    CLEAR_REC
    li a1, MIP_MEIP
    csrw mie, a1
    csrsi mstatus, MSTATUS_MIE
    WAIT_TAKEN
    csrci mstatus, MSTATUS_MIE
    EXPECT_REC R_CAUSE, CAUSE_INTERRUPT | IRQ_M_EXT
    EXPECT_REC R_IP_BEFORE, MIP_MEIP
    EXPECT_REC R_CLAIM, UART_SOURCE
    NEXT_CASE
    EXPECT_REC R_IP_CLAIMED, 0                               /* claimed: MEIP drops */
    EXPECT_REC R_CLAIM2, 0                                   /* and it cannot be claimed twice */
    EXPECT_REC R_PENDING, 0                                  /* the claim cleared the pending bit */
    EXPECT_REC R_IIR, IIR_THRI
    EXPECT_REC R_IP_AFTER, 0                                 /* UART silenced, then completed */
    NEXT_CASE
    EXPECT_MIP MIP_MEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    li t0, UART_BASE
    lbu a1, UART_IIR(t0)
    EXPECT a1, IIR_NO_INT

    /* ---- a claimed source raised again does not interrupt until it is completed */
    NEXT_CASE
    csrw mie, zero
    SET_IER 0
    SET_IER IER_THRI                                         /* THRE again */
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    EXPECT_CLAIM PLIC_CLAIM0, UART_SOURCE
    EXPECT_MIP MIP_MEIP, 0
    SET_IER 0                                                /* line down and up while claimed */
    SET_IER IER_THRI
    EXPECT_MIP MIP_MEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    NEXT_CASE
    W32 PLIC_CLAIM0, 5                                       /* completing another ID: no effect */
    EXPECT_MIP MIP_MEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    NEXT_CASE
    W32 PLIC_CLAIM0, UART_SOURCE                             /* completion: the new request shows */
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    EXPECT_CLAIM PLIC_CLAIM0, UART_SOURCE
    li t0, UART_BASE
    lbu a1, UART_IIR(t0)                                     /* silence the UART */
    EXPECT a1, IIR_THRI
    W32 PLIC_CLAIM0, UART_SOURCE
    EXPECT_MIP MIP_MEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    R32 PLIC_PENDING
    andi a1, a1, SOURCE_BIT
    EXPECT a1, 0

    /* ---- a forwarded request cannot be retracted: the source deasserts before the claim,
            the pending bit stays and the claim still returns it (PLIC spec 1.0.0, §5) */
    NEXT_CASE
    SET_IER 0
    SET_IER IER_THRI                                         /* request forwarded */
    li t0, UART_BASE
    lbu a1, UART_IIR(t0)                                     /* the UART drops its line */
    EXPECT a1, IIR_THRI
    lbu a1, UART_IIR(t0)
    EXPECT a1, IIR_NO_INT
    R32 PLIC_PENDING
    andi a1, a1, SOURCE_BIT
    EXPECT a1, SOURCE_BIT
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    EXPECT_CLAIM PLIC_CLAIM0, UART_SOURCE
    W32 PLIC_CLAIM0, UART_SOURCE                             /* line low at completion: */
    EXPECT_MIP MIP_MEIP, 0                                   /* no new request */
    EXPECT_CLAIM PLIC_CLAIM0, 0

    /* ---- both contexts: one claim takes the source from both; per-context thresholds */
    NEXT_CASE
    W32 PLIC_ENABLE1, SOURCE_BIT
    SET_IER 0
    SET_IER IER_THRI
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_MEIP | MIP_SEIP
    NEXT_CASE
    W32 PLIC_THRESHOLD0, 7
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_SEIP
    W32 PLIC_THRESHOLD0, 0
    W32 PLIC_THRESHOLD1, 3                                   /* priority 3 <= 3 */
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_MEIP
    W32 PLIC_THRESHOLD1, 2
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_MEIP | MIP_SEIP
    W32 PLIC_THRESHOLD1, 0
    NEXT_CASE
    EXPECT_CLAIM PLIC_CLAIM1, UART_SOURCE
    EXPECT_MIP MIP_MEIP | MIP_SEIP, 0
    EXPECT_CLAIM PLIC_CLAIM0, 0
    li t0, UART_BASE
    lbu a1, UART_IIR(t0)
    W32 PLIC_CLAIM1, UART_SOURCE
    EXPECT_MIP MIP_MEIP | MIP_SEIP, 0

    /* ---- the supervisor external interrupt, not delegated: taken in M with mcause 9 */
    NEXT_CASE
    W32 PLIC_ENABLE0, 0
    CLEAR_REC
    li a1, MIP_SEIP
    csrw mie, a1
    SET_IER 0
    SET_IER IER_THRI
    EXPECT_MIP MIP_MEIP | MIP_SEIP, MIP_SEIP
    csrsi mstatus, MSTATUS_MIE
    WAIT_TAKEN
    csrci mstatus, MSTATUS_MIE
    EXPECT_REC R_CAUSE, CAUSE_INTERRUPT | IRQ_S_EXT
    EXPECT_REC R_IP_BEFORE, MIP_SEIP
    EXPECT_REC R_CLAIM, UART_SOURCE
    EXPECT_REC R_IP_CLAIMED, 0
    EXPECT_REC R_CLAIM2, 0
    EXPECT_REC R_IIR, IIR_THRI
    EXPECT_REC R_IP_AFTER, 0

    /* ---- delegated with mideleg.SEIP: taken in S with scause 9 */
    NEXT_CASE
    CLEAR_REC
    li a1, MIP_SEIP
    csrw mideleg, a1
    csrr a2, mideleg
    and a2, a2, a1                                           /* other bits may be read-only one (H) */
    EXPECT_REG a2, a1
    SET_IER 0
    SET_IER IER_THRI
    GOTO_S s_mode
s_mode:
    csrr a1, sip
    li t6, MIP_SEIP
    and a1, a1, t6
    EXPECT a1, MIP_SEIP                                      /* pending, SIE = 0: held */
    csrr a1, sie
    and a1, a1, t6
    EXPECT a1, MIP_SEIP                                      /* sie shows the delegated enable */
    la t5, s_frame
    ld s3, F_COUNT(t5)
    NEXT_CASE
    csrsi sstatus, MSTATUS_SIE
    WAIT_TAKEN
    csrci sstatus, MSTATUS_SIE
    EXPECT_REC R_CAUSE, CAUSE_INTERRUPT | IRQ_S_EXT
    EXPECT_REC R_IP_BEFORE, MIP_SEIP
    EXPECT_REC R_CLAIM, UART_SOURCE
    EXPECT_REC R_IP_CLAIMED, 0
    EXPECT_REC R_CLAIM2, 0
    EXPECT_REC R_IIR, IIR_THRI
    EXPECT_REC R_IP_AFTER, 0
    la t5, s_frame
    ld a1, F_COUNT(t5)
    addi a1, a1, -1
    EXPECT_REG a1, s3                                        /* exactly one S trap */

    /* ---- S-mode WFI with SIE = 0 wakes on the pending SEI and takes no trap */
    NEXT_CASE
    la t5, s_frame
    ld s3, F_COUNT(t5)
    SET_IER 0
    SET_IER IER_THRI
    wfi
    csrr a1, sip
    andi a1, a1, MIP_SEIP
    EXPECT a1, MIP_SEIP
    la t5, s_frame
    ld a1, F_COUNT(t5)
    EXPECT_REG a1, s3
    EXPECT_CLAIM PLIC_CLAIM1, UART_SOURCE                    /* serve it without a trap */
    li t0, UART_BASE
    lbu a1, UART_IIR(t0)
    EXPECT a1, IIR_THRI
    W32 PLIC_CLAIM1, UART_SOURCE
    csrr a1, sip
    andi a1, a1, MIP_SEIP
    EXPECT a1, 0
    GOTO_M m1
m1:
    /* ---- an M-level interrupt pre-empts S-mode even with mstatus.MIE = 0 */
    NEXT_CASE
    CLEAR_REC
    csrw mideleg, zero
    W32 PLIC_ENABLE1, 0
    W32 PLIC_ENABLE0, SOURCE_BIT
    li a1, MIP_MEIP
    csrw mie, a1
    GOTO_S s_mode2
s_mode2:
    SET_IER 0
    SET_IER IER_THRI                                         /* S-mode raises it: trap to M */
    WAIT_TAKEN
    GOTO_M m2
m2:
    EXPECT_REC R_CAUSE, CAUSE_INTERRUPT | IRQ_M_EXT
    EXPECT_REC R_CLAIM, UART_SOURCE
    EXPECT_REC R_IIR, IIR_THRI
    EXPECT_REC R_IP_AFTER, 0
    la t5, m_frame
    ld a1, F_STATUS(t5)
    li t6, MSTATUS_MPP
    and a1, a1, t6
    EXPECT a1, MSTATUS_MPP_S                                 /* it came from S */

    /* ---- M-mode WFI with MIE = 0 wakes on the pending MEI and takes no trap; then MIE takes it */
    NEXT_CASE
    CLEAR_REC
    la t5, m_frame
    ld s3, F_COUNT(t5)
    SET_IER 0
    SET_IER IER_THRI
    wfi
    EXPECT_MIP MIP_MEIP, MIP_MEIP
    la t5, m_frame
    ld a1, F_COUNT(t5)
    EXPECT_REG a1, s3
    NEXT_CASE
    csrsi mstatus, MSTATUS_MIE
    WAIT_TAKEN
    csrci mstatus, MSTATUS_MIE
    EXPECT_REC R_CAUSE, CAUSE_INTERRUPT | IRQ_M_EXT
    EXPECT_REC R_CLAIM, UART_SOURCE
    EXPECT_REC R_IP_AFTER, 0

    /* ---- tidy up so the PASS line does not raise anything */
    csrw mie, zero
    SET_IER 0
    W32 PLIC_ENABLE0, 0
    W32 PLIC_PRIORITY, 0
    EXPECT_MIP MIP_MEIP | MIP_SEIP, 0
    TEST_PASS

/* Interrupt hook body: record cause and pending bits, claim from the context the cause names
   (MEI: context 0, SEI: context 1), claim again, read the pending word and the UART's IIR
   (which silences THRE), complete, and record the pending bits once more. Uses t0-t3. */
.macro HOOK_BODY causecsr, ipcsr
    csrr t0, \causecsr
    la t1, rec
    sd t0, R_CAUSE(t1)
    csrr t2, \ipcsr
    li t3, MIP_MEIP | MIP_SEIP
    and t2, t2, t3
    sd t2, R_IP_BEFORE(t1)
    andi t0, t0, 0xff
    li t2, PLIC_CLAIM0
    li t3, IRQ_M_EXT
    beq t0, t3, 1f
    li t2, PLIC_CLAIM1
1:  lwu t3, 0(t2)
    sd t3, R_CLAIM(t1)
    csrr t0, \ipcsr
    li a0, MIP_MEIP | MIP_SEIP
    and t0, t0, a0
    sd t0, R_IP_CLAIMED(t1)
    lwu t0, 0(t2)
    sd t0, R_CLAIM2(t1)
    li t0, PLIC_PENDING
    lwu t0, 0(t0)
    andi t0, t0, SOURCE_BIT
    sd t0, R_PENDING(t1)
    li t0, UART_BASE
    lbu t0, UART_IIR(t0)
    sd t0, R_IIR(t1)
    sw t3, 0(t2)
    csrr t0, \ipcsr
    and t0, t0, a0
    sd t0, R_IP_AFTER(t1)
    li t0, 1
    sd t0, R_TAKEN(t1)
    ret
.endm

m_hook:
    HOOK_BODY mcause, mip

s_hook:
    HOOK_BODY scause, sip

    .data
    .align 3
rec: .zero R_SIZE
