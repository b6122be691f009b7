/* spin: a guest that never gives the hart back (issue 6, must-show 3). It prints one line,
 * then loops forever with interrupts off and makes no SBI call, no MMIO access and no WFI:
 * nothing ever exits to the hypervisor, so only the host's time slices and the domain's
 * instruction limit can stop it, and the other domains must still finish. */
#include "guest.h"

void guest_main(u64 hartid, const void *dtb) {
    (void)hartid;
    (void)dtb;
    put_string("spin: looping forever with interrupts off\n");
    __asm__ volatile("csrci sstatus, 2\n1: j 1b" ::: "memory");
}
