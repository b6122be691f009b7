#!/usr/bin/env bash
# TCP throughput between two Linux guests on one `virtbench switch`, side by side: two VirtBench
# guests under --mode native, two under --mode hav, and two QEMU guests (qemu-system-riscv64, TCG)
# on the same kind of port (`-netdev stream` over a Unix socket), all booting the kernel kit's
# `kit.test=net-switch`: one serves a file of random bytes with busybox httpd, the other fetches it
# with busybox wget (checking its SHA-256) and times the fetch with its uptime clock.
#
#   Scripts/net-throughput.sh [SIZE_KIB [MODES]]      (default 16384 KiB; native,hav,qemu)
#
# Needs `swift build -c release` (.build/release/virtbench), the kit (Scripts/kernel-kit.sh, at
# $VIRTBENCH_KERNEL_KIT or the default cache) and qemu-system-riscv64 for the qemu rows.
#
# Prints, per mode, what the fetching guest measured (MB/s, frames/s over the fetch, wall-clock
# time on the guest's clock: under native and hav a VirtBench guest's clock is the host's), each
# mode's MB/s as a ratio of QEMU's, and for VirtBench what its --summary counted per frame on the
# fetching guest's NIC: VM exits (hav) or MMIO accesses (native), driver notifications and
# used-buffer interrupts. Those counts cover the whole run (boot too), so each mode runs twice,
# with SIZE_KIB and with 256 KiB, and the per-frame figures are the differences of the two runs
# divided by the difference of their frames: what moving the extra data cost.
# QEMU's virtio-net is set to the features VirtBench offers (no checksum, segmentation or
# mergeable-buffer offloads; README, -device virtio-net-device), so both move the same frames.
set -euo pipefail

size=${1:-16384}
modes=${2:-native,hav,qemu}
small=256
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
virtbench=$root/.build/release/virtbench
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
kit=${VIRTBENCH_KERNEL_KIT:-${XDG_CACHE_HOME:-$home/.cache}/virtbench-kernel-kit}
die() { echo "net-throughput: error: $*" >&2; exit 1; }
[[ -x $virtbench ]] || die "no $virtbench: run swift build -c release first"
[[ -s $kit/Image && -s $kit/initrd.gz ]] || die "no kernel kit in $kit: run Scripts/kernel-kit.sh"
grep -qx net-switch "$kit/TESTS" || die "the kit in $kit has no kit.test=net-switch: rebuild it with Scripts/kernel-kit.sh"
[[ $size =~ ^[0-9]+$ && $size -gt $small ]] || die "SIZE_KIB must be a number above $small"

work=$(mktemp -d "${TMPDIR:-/tmp}/net-throughput.XXXXXX")
switch_pid=
cleanup() {
    [[ -n $switch_pid ]] && kill "$switch_pid" 2>/dev/null && wait "$switch_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# QEMU's virtio-net with the offloads VirtBench does not offer turned off.
qemu_offloads=csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,mrg_rxbuf=off

# guest MODE NAME SOCKET ADDRESS PEER MAC KERNEL-OPTIONS: boots one guest; its console in NAME.out,
# VirtBench's summary in NAME.err.
guest() {
    local mode=$1 name=$2 socket=$3 address=$4 peer=$5 mac=$6 options=$7
    local args=(-M virt -m 512M -nographic -kernel "$kit/Image" -initrd "$kit/initrd.gz"
                -append "console=ttyS0 kit.test=net-switch kit.net-ip=$address/24 kit.net-ping=$peer $options"
                -netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$socket")
    if [[ $mode == qemu ]]; then
        timeout 600 qemu-system-riscv64 "${args[@]}" -device "virtio-net-device,netdev=n0,mac=$mac,$qemu_offloads" \
            >"$work/$name.out" 2>"$work/$name.err"
    else
        timeout 600 "$virtbench" run --mode "$mode" --summary "${args[@]}" -device "virtio-net-device,netdev=n0,mac=$mac" \
            >"$work/$name.out" 2>"$work/$name.err"
    fi
}

# pair MODE KIB TAG: a switch and two guests; the fetcher's output in TAG-client.*.
pair() {
    local mode=$1 kib=$2 tag=$3
    "$virtbench" switch --port "a,listen=unix:$work/$tag-a.sock" --port "b,listen=unix:$work/$tag-b.sock" >"$work/$tag-switch.out" 2>&1 &
    switch_pid=$!
    for _ in $(seq 100); do grep -q "virtbench switch: ready" "$work/$tag-switch.out" && break; sleep 0.1; done
    grep -q "virtbench switch: ready" "$work/$tag-switch.out" || die "the switch did not start: $(cat "$work/$tag-switch.out")"
    guest "$mode" "$tag-server" "$work/$tag-a.sock" 10.0.9.1 10.0.9.2 52:54:00:00:09:01 "kit.net-serve=yes kit.net-size=$kib kit.net-tries=240" &
    local server=$!
    guest "$mode" "$tag-client" "$work/$tag-b.sock" 10.0.9.2 10.0.9.1 52:54:00:00:09:02 "kit.net-fetch=http://10.0.9.1:8080/blob.bin kit.net-tries=240" || true
    wait "$server" || true
    kill "$switch_pid" 2>/dev/null && wait "$switch_pid" 2>/dev/null || true
    switch_pid=
    local served fetched
    served=$(grep -o "kernel-kit: serving [0-9]* bytes sha256 [0-9a-f]*" "$work/$tag-server.out" | awk '{ print $3, $6 }') || true
    fetched=$(grep -o "kernel-kit: fetched [0-9]* bytes sha256 [0-9a-f]*" "$work/$tag-client.out" | awk '{ print $3, $6 }') || true
    [[ -n $served && $served == "$fetched" ]] || die "$mode ($kib KiB): the fetch did not bring the served file (served '$served', fetched '$fetched'); see $work"
}

# number FILE PATTERN: the first number after PATTERN in FILE (0 when absent).
number() { grep -o "$2[0-9]*" "$1" | head -1 | grep -o "[0-9]*$" || echo 0; }

# counts TAG MODE: "frames transitions notifications interrupts" of the fetcher's NIC and domain.
counts() {
    local err=$work/$1-client.err line frames transitions
    line=$(grep "(virtio-net," "$err" | head -1)
    frames=$(( $(echo "$line" | grep -o "[0-9]* frames to the guest" | grep -o "^[0-9]*") + $(echo "$line" | grep -o "[0-9]* from it" | grep -o "^[0-9]*") ))
    if [[ $2 == hav ]]; then
        transitions=$(awk '/^  vmexit\.[a-z-]*: / { sum += $2 } END { print sum + 0 }' "$err")
    else
        transitions=$(number "$err" "MMIO accesses: ")
    fi
    echo "$frames $transitions $(echo "$line" | grep -o "[0-9]* notifications" | grep -o "^[0-9]*") $(echo "$line" | grep -o "[0-9]* used-buffer" | grep -o "^[0-9]*")"
}

declare -A rate
printf "%-7s %9s %11s %9s %10s %s\n" mode "MB/s" "frames/s" "fetch s" "frames" "per frame (fetching guest)"
for mode in ${modes//,/ }; do
    [[ $mode == native || $mode == hav || $mode == qemu ]] || die "unknown mode '$mode' (native, hav, qemu)"
    [[ $mode != qemu ]] || command -v qemu-system-riscv64 >/dev/null || die "qemu-system-riscv64 is not installed"
    pair "$mode" "$size" "$mode-big"
    out=$work/$mode-big-client.out
    seconds=$(grep -o "kernel-kit: fetch took [0-9.]*" "$out" | awk '{ print $4 }')
    set -- $(grep -o "kernel-kit: fetch frames rx [0-9]* tx [0-9]*" "$out" | awk '{ print $5, $7 }')
    frames=$(( $1 + $2 ))
    rate[$mode]=$(awk "BEGIN { printf \"%.2f\", $size * 1024 / 1e6 / $seconds }")
    per="n/a (QEMU's TCG has no exits to count)"
    if [[ $mode != qemu ]]; then
        pair "$mode" "$small" "$mode-small"
        read -r f1 t1 n1 i1 <<<"$(counts "$mode-big" "$mode")"
        read -r f0 t0 n0 i0 <<<"$(counts "$mode-small" "$mode")"
        what=$([[ $mode == hav ]] && echo "VM exits" || echo "MMIO accesses")
        per=$(awk "BEGIN { d = $f1 - $f0; printf \"%.2f $what, %.3f notifications, %.3f interrupts\", ($t1 - $t0) / d, ($n1 - $n0) / d, ($i1 - $i0) / d }")
    fi
    printf "%-7s %9s %11s %9s %10s %s\n" "$mode" "${rate[$mode]}" \
        "$(awk "BEGIN { printf \"%.0f\", $frames / $seconds }")" "$seconds" "$frames" "$per"
done
if [[ -n ${rate[qemu]:-} ]]; then
    for mode in ${modes//,/ }; do
        [[ $mode == qemu ]] && continue
        echo "$mode moved $(awk "BEGIN { printf \"%.2f\", ${rate[$mode]} / ${rate[qemu]} }")x QEMU's MB/s ($size KiB, side by side on this host)"
    done
fi
