/* SBI numbers shared by the corpus firmware (firmware.c) and its self-test (Corpus/sbi):
 * RISC-V Supervisor Binary Interface specification v2.0. Extension IDs (EIDs) go in a7,
 * function IDs (FIDs) in a6; every call returns (error, value) in a0/a1 ("Binary Encoding"). */
#ifndef CORPUS_SBI_H
#define CORPUS_SBI_H

/* Standard errors (§3, "Standard SBI Errors"). */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

/* Legacy extensions (§5): one function each, result in a0 only. */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_LEGACY_CONSOLE_GETCHAR 0x02
#define SBI_EXT_LEGACY_SHUTDOWN 0x08

/* Base (§4). */
#define SBI_EXT_BASE 0x10
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID 1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID 5
#define SBI_BASE_GET_MIMPID 6
/* get_spec_version: major in bits 30:24, minor in bits 23:0. */
#define SBI_SPEC_VERSION(major, minor) (((long)(major) << 24) | (long)(minor))

/* Our implementation ID: outside the range the specification has assigned (0..11 at v2.0,
 * §4.9), so it is never mistaken for another implementation. */
#define SBI_IMPL_VIRTBENCH 0x5642 /* "VB" */
/* get_impl_version of this firmware: 0.1, encoded major << 16 | minor like OpenSBI's. */
#define VIRTBENCH_SBI_VERSION ((0L << 16) | 1L)

#define SBI_EXT_TIME 0x54494D45 /* "TIME" (§6) */
#define SBI_TIME_SET_TIMER 0

#define SBI_EXT_IPI 0x735049 /* "sPI" (§7) */
#define SBI_IPI_SEND_IPI 0

#define SBI_EXT_RFENCE 0x52464E43 /* "RFNC" (§8) */
#define SBI_RFENCE_FENCE_I 0
#define SBI_RFENCE_SFENCE_VMA 1
#define SBI_RFENCE_SFENCE_VMA_ASID 2
#define SBI_RFENCE_HFENCE_GVMA_VMID 3
#define SBI_RFENCE_HFENCE_GVMA 4
#define SBI_RFENCE_HFENCE_VVMA_ASID 5
#define SBI_RFENCE_HFENCE_VVMA 6

#define SBI_EXT_HSM 0x48534D /* "HSM" (§9) */
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_HART_SUSPEND 3
#define SBI_HSM_STATE_STARTED 0
#define SBI_HSM_SUSPEND_RETENTIVE 0x00000000u
#define SBI_HSM_SUSPEND_NON_RETENTIVE 0x80000000u

#define SBI_EXT_SRST 0x53525354 /* "SRST" (§10) */
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_SYSTEM_FAILURE 1

#define SBI_EXT_DBCN 0x4442434E /* "DBCN" (§12) */
#define SBI_DBCN_CONSOLE_WRITE 0
#define SBI_DBCN_CONSOLE_READ 1
#define SBI_DBCN_CONSOLE_WRITE_BYTE 2

#endif
