/* sbi-flood: a guest that exits to the hypervisor as often as it can (issue 6, must-show 3).
 * It prints one line, then calls the SBI's get_spec_version (SBI spec v2.0, §4.1) in an
 * endless loop with interrupts off, so that every few instructions are a VM exit; the other
 * domains must still finish. A wrong answer ends it with "FAIL sbi-flood". */
#include "guest.h"

void guest_main(u64 hartid, const void *dtb) {
    (void)hartid;
    (void)dtb;
    put_string("sbi-flood: calling get_spec_version forever\n");
    struct sbiret first = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0);
    for (;;) {
        struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0);
        if (r.error != SBI_SUCCESS || r.value != first.value) {
            put_string("FAIL sbi-flood: get_spec_version answered error ");
            put_decimal((u64)r.error);
            put_char('\n');
            shut_down(1);
        }
    }
}
