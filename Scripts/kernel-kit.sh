#!/usr/bin/env bash
# The kernel kit: Debian's riscv64 Linux kernel and a busybox initramfs, fetched the way a user
# would fetch them, for the tests that boot Linux on `virtbench run` and on QEMU.
#
#   Scripts/kernel-kit.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $VIRTBENCH_KERNEL_KIT, else ${XDG_CACHE_HOME:-$HOME/.cache}/virtbench-kernel-kit.
# It is outside the repository on purpose: nothing here is ever committed. Afterwards it holds
#   Image       the raw RISC-V Linux Image (what `-kernel` takes; QEMU and virtbench load it at 0x8020_0000)
#   initrd.gz   a gzip'd cpio (newc) with busybox-static, the kernel modules the virtio tests need
#               (Debian builds virtio_mmio, virtio_blk, virtio_rng and ext4 as modules), and an
#               /init that loads them, runs the command list (or, with kit.test=NAME on the kernel
#               command line, /etc/kit-tests/NAME), then `poweroff -f`
#   MODULES     the modules /init loads, in load order
#   TESTS       the kit.test= names /init knows (revision 5 added cmdline, 6 virtio-io, 7 net, 8 net-peers,
#               9 net-switch; 10 made net-switch's server listen before its address answers pings; 11 added
#               the 9p modules and 9p; 12 gave net-switch kit.net-size= and the packets a fetch moved,
#               for throughput runs)
#   VERSIONS    the Debian suite and the package versions it was made from
# A warm cache (same suite, same command list, same kit revision) is checked and left alone.
#
# Environment:
#   VIRTBENCH_KIT_SUITE     Debian suite to fetch from (default trixie: the first release with riscv64)
#   VIRTBENCH_KIT_COMMANDS  shell commands /init runs (default: the marker line and nproc the tests read)
set -euo pipefail

# Bump when the layout of the kit or of /init changes, so that old caches are rebuilt.
kit_revision=12
suite=${VIRTBENCH_KIT_SUITE:-trixie}
# The modules /init loads for the virtio tests (Debian builds these as modules); ext4 also asks
# the crypto API for "crc32c" when it mounts, which crc32c_generic provides. virtio_console
# needs no entry: Debian's riscv64 kernel has it built in (modules.builtin lists it). virtio_net
# brings net_failover and failover with it (its depends=); 9pnet_virtio and 9p (the virtio-9p
# transport and the file system) bring 9pnet and netfs.
kit_modules=(virtio_mmio virtio_blk virtio_rng virtio_net crc32c_generic ext4 9pnet_virtio 9p)
default_commands='echo "kernel-kit: init ran on $(uname -m) $(uname -r)"; echo "kernel-kit: nproc $(nproc)"'
commands=${VIRTBENCH_KIT_COMMANDS:-$default_commands}
# HOME may be unset in a bare CI environment: fall back to the account's home, as Foundation does.
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache=${1:-${VIRTBENCH_KERNEL_KIT:-${XDG_CACHE_HOME:-$home/.cache}/virtbench-kernel-kit}}

say() { echo "kernel-kit: $*" >&2; }
die() { say "error: $*"; exit 1; }

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# The script's own checksum is in the stamp too: a kit made by a different version of this
# script (two branches that both bumped the revision) is rebuilt, never reused.
stamp="revision $kit_revision
script $(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
suite $suite
modules ${kit_modules[*]}
commands $commands"

# Warm: everything made by this revision from this suite with these commands is there.
if [[ -s $cache/Image && -s $cache/initrd.gz && -f $cache/STAMP && $(<"$cache/STAMP") == "$stamp" ]]; then
    say "warm cache in $cache"
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then as_root=(sudo); fi

# mmdebstrap fetches foreign-architecture packages without running them (--variant=extract);
# cpio packs the initramfs.
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v cpio >/dev/null || need+=(cpio)
if ((${#need[@]} > 0)); then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq "${need[@]}" >"$cache/.apt.log" 2>&1 || { cat "$cache/.apt.log" >&2; die "could not install ${need[*]}"; }
    rm -f "$cache/.apt.log"
fi

work=$(mktemp -d "$cache/.work.XXXXXX")
trap '"${as_root[@]}" rm -rf "$work"' EXIT
root=$work/root

# The packages a user installs; the root of the extracted tree is thrown away afterwards.
rootfs_packages=(linux-image-riscv64 busybox-static)
# Only the packages' files are needed, not a bootable root (--variant=extract unpacks nothing but
# what --include names), so no riscv64 emulation is needed on the host.
if ! "${as_root[@]}" mmdebstrap --quiet --arch=riscv64 --variant=extract \
        --include="$(IFS=,; echo "${rootfs_packages[*]}")" "$suite" "$root" >"$work/mmdebstrap.log" 2>&1; then
    cat "$work/mmdebstrap.log" >&2
    die "mmdebstrap could not fetch ${rootfs_packages[*]} for riscv64 from Debian $suite"
fi

# Debian's riscv64 kernel package installs the Image as /boot/vmlinux-VERSION (an uncompressed
# Image with the EFI stub's PE header); other builds use vmlinuz (gzip, or an EFI zboot wrapper).
kernel=$(ls "$root"/boot/vmlinu[xz]-* 2>/dev/null | head -n 1)
[[ -n $kernel ]] || die "no /boot/vmlinux-* or vmlinuz-* in linux-image-riscv64"

# The RISC-V Image header (Documentation/arch/riscv/boot-image-header.rst): magic2 "RSC\x05" at 0x38.
is_image() { [[ $(od -An -tx1 -j56 -N4 "$1" | tr -d ' \n') == 52534305 ]]; }
le32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' \n'; }

if is_image "$kernel"; then
    cp "$kernel" "$work/Image"
elif [[ $(od -An -tx1 -N2 "$kernel" | tr -d ' \n') == 1f8b ]]; then
    gzip -dc "$kernel" >"$work/Image"
elif [[ $(od -An -c -j4 -N4 "$kernel" | tr -d ' \n') == zimg ]]; then
    # EFI zboot: the compressed Image sits at payload_offset (le32 at 8), payload_size (le32 at 12);
    # the compression is named at 24.
    offset=$(le32 "$kernel" 8) size=$(le32 "$kernel" 12)
    method=$(dd if="$kernel" bs=1 skip=24 count=8 status=none | tr -d '\0')
    dd if="$kernel" bs=4096 iflag=skip_bytes,count_bytes skip="$offset" count="$size" status=none >"$work/payload"
    case $method in
        gzip) gzip -dc "$work/payload" >"$work/Image" ;;
        zstd) zstd -dcq "$work/payload" >"$work/Image" ;;
        xzkern) xz -dc "$work/payload" >"$work/Image" ;;
        *) die "$kernel: EFI zboot payload compressed with '$method', which this script does not unpack" ;;
    esac
else
    die "$kernel is neither a RISC-V Image, gzip, nor EFI zboot"
fi
is_image "$work/Image" || die "$kernel did not give a RISC-V Image (no RSC\\x05 magic at 0x38)"

busybox=$root/usr/bin/busybox
[[ -x $busybox ]] || busybox=$root/bin/busybox
[[ -x $busybox ]] || die "busybox-static did not install /usr/bin/busybox"

# The modules listed in kit_modules, and what they depend on (the `depends=` of each module's
# .modinfo: no depmod or modinfo is needed on the host, and the package ships no modules.dep).
# They go in uncompressed, so busybox's insmod loads them whatever compression Debian chose.
modules_dir=$(ls -d "$root"/usr/lib/modules/*/ "$root"/lib/modules/*/ 2>/dev/null | head -n 1 || true)
[[ -n $modules_dir ]] || die "no /usr/lib/modules/VERSION in linux-image-riscv64"
module_file() {  # the file of module $1 (its name may use - where the file uses _, or the reverse)
    local pattern=${1//[-_]/[-_]}
    find "$modules_dir/kernel" -name "$pattern.ko*" | head -n 1
}
module_order=()
add_module() {
    local name=$1 file deps dep
    [[ " ${module_order[*]} " == *" $name "* ]] && return 0
    file=$(module_file "$name")
    if [[ -z $file ]]; then
        # Built in: nothing to load.
        grep -q "/${name//[-_]/[-_]}.ko\$" "$modules_dir/modules.builtin" && return 0
        die "module $name is neither in linux-image-riscv64 nor built in"
    fi
    case $file in
        *.xz) xz -dc "$file" ;;
        *.zst) zstd -dcq "$file" ;;
        *.gz) gzip -dc "$file" ;;
        *) cat "$file" ;;
    esac >"$work/$name.ko"
    deps=$(tr '\0' '\n' <"$work/$name.ko" | grep -a '^depends=' | head -n 1 | cut -d= -f2 | tr ',' ' ')
    for dep in $deps; do add_module "$dep"; done
    module_order+=("$name")
}
for module in "${kit_modules[@]}"; do add_module "$module"; done

# The initramfs. The kernel gives /init no console when /dev/console is missing from the archive,
# and making that node needs root; so /init mounts devtmpfs and opens the console itself, which
# works however the archive was made.
initramfs=$work/initramfs
mkdir -p "$initramfs"/{bin,dev,proc,sys,etc,tmp,mnt,lib/modules,etc/kit-tests}
cp "$busybox" "$initramfs/bin/busybox"
printf '%s\n' "$commands" >"$initramfs/etc/kit-commands"
for module in "${module_order[@]}"; do mv "$work/$module.ko" "$initramfs/lib/modules/$module.ko"; done
printf '%s\n' "${module_order[@]}" >"$initramfs/etc/kit-modules"
# kit.test=virtio-disk: the disk on the first virtio-blk device (an ext4 image made with
# mkfs.ext4 -d holding hello.txt) is mounted, read and written; its serial and the virtio-rng
# device are read too.
cat >"$initramfs/etc/kit-tests/virtio-disk" <<'EOF'
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
echo "kernel-kit: serial $(cat /sys/block/vda/serial)"
mount -t ext4 /dev/vda /mnt && echo "kernel-kit: mounted /dev/vda"
echo "kernel-kit: hello.txt says $(cat /mnt/hello.txt)"
echo "written by the guest" >/mnt/guest.txt
sync
echo "kernel-kit: guest.txt says $(cat /mnt/guest.txt)"
umount /mnt && echo "kernel-kit: unmounted"
echo "kernel-kit: hwrng gave $(head -c 16 /dev/hwrng | wc -c) bytes"
EOF
# kit.test=virtio-console: /init moves its own input and output to hvc0 (port 0 of the first
# virtio-serial device, a virtconsole), reads one line there (waiting 10 s at most: a chardev
# that is a file gives no input) and says what it read; the lines after that, "powering off"
# included, go to hvc0 too.
cat >"$initramfs/etc/kit-tests/virtio-console" <<'EOF'
for i in $(seq 50); do [ -c /dev/hvc0 ] && break; sleep 0.1; done
exec </dev/hvc0 >/dev/hvc0 2>&1
read -r -t 10 line
echo "kernel-kit: hvc0 read '$line'"
echo "kernel-kit: hvc0 is $(cat /sys/class/tty/hvc0/dev)"
EOF
# kit.test=smp: what `virtbench bench --linux` reads: the processors the kernel brought up, the
# timer and IPI lines of /proc/interrupts, and how long four shell loops take in parallel (the
# kernel's own uptime clock, so both peers are timed by the guest alike).
cat >"$initramfs/etc/kit-tests/smp" <<'EOF'
echo "kernel-kit: nproc $(nproc)"
grep -E "CPU|riscv-timer|IPI" /proc/interrupts | head -12 | sed 's/^/kernel-kit: interrupts /'
t0=$(cut -d" " -f1 /proc/uptime)
for n in 1 2 3 4; do (i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done) & done
wait
t1=$(cut -d" " -f1 /proc/uptime)
echo "kernel-kit: 4 parallel loops took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
EOF
# kit.test=virtio-io: many block requests in flight at once, for `virtbench bench --virtio`:
# kit.io-jobs=N (default 8) dd processes over /dev/vda started together, the even ones reading
# and the odd ones writing zeros, each kit.io-count=M (default 256) 4 KiB requests in a range of
# its own; O_DIRECT, so each dd block is one request to the device and the page cache plays no
# part. Timed by the guest's uptime clock. The disk needs N x M x 4 KiB.
cat >"$initramfs/etc/kit-tests/virtio-io" <<'EOF'
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
jobs=8; count=256
for word in $(cat /proc/cmdline); do
    case $word in kit.io-jobs=*) jobs=${word#kit.io-jobs=} ;; kit.io-count=*) count=${word#kit.io-count=} ;; esac
done
t0=$(cut -d" " -f1 /proc/uptime)
n=0
while [ $n -lt $jobs ]; do
    if [ $((n % 2)) -eq 0 ]; then
        dd if=/dev/vda of=/dev/null bs=4096 count=$count skip=$((n * count)) iflag=direct 2>/dev/null &
    else
        dd if=/dev/zero of=/dev/vda bs=4096 count=$count seek=$((n * count)) oflag=direct 2>/dev/null &
    fi
    n=$((n + 1))
done
wait
t1=$(cut -d" " -f1 /proc/uptime)
echo "kernel-kit: virtio-io $jobs jobs of $count requests took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
EOF
# kit.test=net: eth0 (the first virtio-net device) is configured by DHCP (busybox udhcpc, with
# a script of our own since the package's is not in the initramfs), or statically as QEMU's user
# network would give it (10.0.2.15/24 via 10.0.2.2) when no lease comes; then the guest fetches
# kit.net-fetch=URL and prints its size, SHA-256 and how long it took (the guest's uptime clock), serves /www (guest.txt) with busybox httpd
# on port kit.net-serve=PORT (default 8080), and, when kit.net-release=URL is given, fetches it
# before powering off, so that a host peer can reach the served port first (the host's server
# answers that URL once it has).
cat >"$initramfs/etc/kit-udhcpc" <<'EOF'
#!/bin/sh
case $1 in
    bound|renew)
        ip addr add "$ip/${mask:-24}" dev "$interface"
        for r in $router; do ip route add default via "$r"; break; done
        echo "kernel-kit: dhcp lease $ip/${mask:-24} router $router dns $dns" >/dev/console ;;
esac
EOF
chmod 755 "$initramfs/etc/kit-udhcpc"
cat >"$initramfs/etc/kit-tests/net" <<'EOF'
fetch=; serve=8080; release=
for word in $(cat /proc/cmdline); do
    case $word in
        kit.net-fetch=*) fetch=${word#kit.net-fetch=} ;;
        kit.net-serve=*) serve=${word#kit.net-serve=} ;;
        kit.net-release=*) release=${word#kit.net-release=} ;;
    esac
done
for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip link set eth0 up
echo "kernel-kit: eth0 mac $(cat /sys/class/net/eth0/address)"
if ! udhcpc -i eth0 -n -q -t 4 -T 1 -s /etc/kit-udhcpc >/dev/null 2>&1; then
    echo "kernel-kit: no dhcp lease, static 10.0.2.15/24"
    ip addr add 10.0.2.15/24 dev eth0
    ip route add default via 10.0.2.2
fi
echo "kernel-kit: eth0 carrier $(cat /sys/class/net/eth0/carrier) operstate $(cat /sys/class/net/eth0/operstate)"
if [ -n "$fetch" ]; then
    t0=$(cut -d" " -f1 /proc/uptime)
    if wget -q -T 20 -O /tmp/fetched "$fetch"; then
        t1=$(cut -d" " -f1 /proc/uptime)
        echo "kernel-kit: fetched $(wc -c </tmp/fetched) bytes sha256 $(sha256sum /tmp/fetched | cut -d' ' -f1)"
        echo "kernel-kit: fetch took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
        rm -f /tmp/fetched
    else
        echo "kernel-kit: fetch of $fetch failed"
    fi
fi
mkdir -p /www
echo "served by the guest" >/www/guest.txt
httpd -p "$serve" -h /www && echo "kernel-kit: serving on $serve"
if [ -n "$release" ]; then
    wget -q -T 60 -O /tmp/release "$release" && echo "kernel-kit: released: $(cat /tmp/release)"
fi
grep eth0 /proc/net/dev | sed 's/^ */kernel-kit: netdev /'
EOF
# kit.test=net-peers: two guests on one wire (-netdev stream, dgram, socket). eth0 gets the
# static kit.net-ip=ADDR/LEN; the guest pings kit.net-ping=IP until it answers (two minutes at
# most), then stays up until the peer has pinged it too (InEchos in /proc/net/snmp) and a little
# longer, so that the peer's last echo gets its reply before this guest powers off.
cat >"$initramfs/etc/kit-tests/net-peers" <<'EOF'
address=; target=
for word in $(cat /proc/cmdline); do
    case $word in
        kit.net-ip=*) address=${word#kit.net-ip=} ;;
        kit.net-ping=*) target=${word#kit.net-ping=} ;;
    esac
done
for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip link set eth0 up
ip addr add "$address" dev eth0 && echo "kernel-kit: static $address"
answered=no
for i in $(seq 120); do ping -c 1 -W 1 "$target" >/dev/null 2>&1 && { answered=yes; break; }; done
echo "kernel-kit: ping $target answered $answered"
for i in $(seq 120); do
    [ "$(awk '/^Icmp:/ { if (seen++) print $10 }' /proc/net/snmp)" -gt 0 ] && break
    sleep 1
done
echo "kernel-kit: pinged by the peer $(awk '/^Icmp:/ { if (seen++) print ($10 > 0 ? "yes" : "no") }' /proc/net/snmp)"
sleep 3
EOF
# kit.test=net-switch: guests on a virtual switch (`virtbench switch`). eth0 gets the static
# kit.net-ip=ADDR/LEN and, with kit.net-mtu=N, a smaller MTU (for a VXLAN overlay's 50 bytes). The
# guest pings kit.net-ping=IP up to kit.net-tries=N times (default 120) and says whether it answered.
# With kit.net-serve=yes it serves a file of kit.net-size=KIB (default 256) random KiB (printing
# its SHA-256) on port 8080 and stays up until a peer has opened two connections to it (the file,
# then /done.txt), so a fetching peer is never cut off; with kit.net-fetch=URL it fetches the file
# and prints its size and SHA-256, how long the fetch took and the frames eth0 moved meanwhile
# (for throughput runs), then fetches /done.txt from the same server.
cat >"$initramfs/etc/kit-tests/net-switch" <<'EOF'
address=; target=; tries=120; mtu=; serve=; fetch=; size=256
for word in $(cat /proc/cmdline); do
    case $word in
        kit.net-size=*) size=${word#kit.net-size=} ;;
        kit.net-ip=*) address=${word#kit.net-ip=} ;;
        kit.net-ping=*) target=${word#kit.net-ping=} ;;
        kit.net-tries=*) tries=${word#kit.net-tries=} ;;
        kit.net-mtu=*) mtu=${word#kit.net-mtu=} ;;
        kit.net-serve=*) serve=${word#kit.net-serve=} ;;
        kit.net-fetch=*) fetch=${word#kit.net-fetch=} ;;
    esac
done
for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
[ -n "$mtu" ] && ip link set eth0 mtu "$mtu" && echo "kernel-kit: eth0 mtu $(cat /sys/class/net/eth0/mtu)"
ip link set eth0 up
# A server listens before its address exists: a peer fetches as soon as its first ping is
# answered, and must not find the port closed.
if [ "$serve" = yes ]; then
    mkdir -p /www
    dd if=/dev/urandom of=/www/blob.bin bs=1024 count="$size" 2>/dev/null
    echo done >/www/done.txt
    echo "kernel-kit: serving $(wc -c </www/blob.bin) bytes sha256 $(sha256sum /www/blob.bin | cut -d' ' -f1)"
    httpd -p 8080 -h /www
fi
ip addr add "$address" dev eth0 && echo "kernel-kit: static $address"
answered=no
if [ -n "$target" ]; then
    for i in $(seq "$tries"); do ping -c 1 -W 1 "$target" >/dev/null 2>&1 && { answered=yes; break; }; done
    echo "kernel-kit: ping $target answered $answered"
fi
# eth0's received and sent frames (/proc/net/dev: after "eth0:", rx packets is field 2, tx packets 10).
frames() { awk '/eth0:/ { sub(/.*eth0:/, ""); print $2, $10 }' /proc/net/dev; }
if [ -n "$fetch" ] && [ $answered = yes ]; then
    set -- $(frames); rx0=$1; tx0=$2
    t0=$(cut -d" " -f1 /proc/uptime)
    if wget -q -T 60 -O /tmp/fetched "$fetch"; then
        t1=$(cut -d" " -f1 /proc/uptime)
        set -- $(frames)
        echo "kernel-kit: fetched $(wc -c </tmp/fetched) bytes sha256 $(sha256sum /tmp/fetched | cut -d' ' -f1)"
        echo "kernel-kit: fetch took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
        echo "kernel-kit: fetch frames rx $(($1 - rx0)) tx $(($2 - tx0))"
    else
        echo "kernel-kit: fetch of $fetch failed"
    fi
    wget -q -T 20 -O /dev/null "${fetch%/*}/done.txt"
fi
if [ "$serve" = yes ]; then
    for i in $(seq 240); do
        [ "$(awk '/^Tcp:/ { if (seen++) print $7 }' /proc/net/snmp)" -ge 2 ] && break
        sleep 1
    done
    echo "kernel-kit: connections served $(awk '/^Tcp:/ { if (seen++) print $7 }' /proc/net/snmp)"
    sleep 2
fi
grep eth0 /proc/net/dev | sed 's/^ */kernel-kit: netdev /'
EOF
# kit.test=9p: the share whose mount tag is kit.9p-tag=TAG (default share) is mounted with
# virtio-9p and 9P2000.L on /mnt. The guest lists it, reads hello.bin (size and SHA-256), copies
# 256 KiB of random bytes in as guest.bin (its SHA-256 printed, for the host to compare), makes a
# folder, renames a file in it, makes and reads a symlink, deletes both, and stats what is left.
# Then it tries to read the host's secret through every way out of the share the test put there
# (links pointing out, absolute and relative, a link to the parent, `..` past the mount) and says
# for each whether the secret showed (kit.9p-secret=WORD: the word the host's secret holds).
cat >"$initramfs/etc/kit-tests/9p" <<'EOF'
tag=share; secret=
for word in $(cat /proc/cmdline); do
    case $word in kit.9p-tag=*) tag=${word#kit.9p-tag=} ;; kit.9p-secret=*) secret=${word#kit.9p-secret=} ;; esac
done
mount -t 9p -o trans=virtio,version=9p2000.L "$tag" /mnt && echo "kernel-kit: 9p mounted $tag"
echo "kernel-kit: 9p listing $(ls -A /mnt | sort | tr '\n' ' ')"
echo "kernel-kit: 9p hello.bin $(wc -c </mnt/hello.bin) bytes sha256 $(sha256sum /mnt/hello.bin | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/guest.bin bs=4096 count=64 2>/dev/null
cp /tmp/guest.bin /mnt/guest.bin && sync
echo "kernel-kit: 9p wrote guest.bin sha256 $(sha256sum /tmp/guest.bin | cut -d' ' -f1) read back $(sha256sum /mnt/guest.bin | cut -d' ' -f1)"
mkdir /mnt/made && echo "made by the guest" >/mnt/made/first.txt && mv /mnt/made/first.txt /mnt/made/second.txt
echo "kernel-kit: 9p renamed: $(ls /mnt/made) says $(cat /mnt/made/second.txt)"
ln -s second.txt /mnt/made/link && echo "kernel-kit: 9p symlink to $(readlink /mnt/made/link) reads $(cat /mnt/made/link)"
rm /mnt/made/link /mnt/made/second.txt && rmdir /mnt/made && echo "kernel-kit: 9p deleted made"
echo "kernel-kit: 9p stat hello.bin $(stat -c '%s %F %a' /mnt/hello.bin), sub $(stat -c '%F' /mnt/sub)"
for path in /mnt/abs-link /mnt/rel-link /mnt/sub/out-link /mnt/up-link/outside/secret.txt /mnt/../outside/secret.txt /mnt/sub/../../outside/secret.txt; do
    if [ -n "$secret" ] && cat "$path" 2>/dev/null | grep -q "$secret"; then
        echo "kernel-kit: 9p escape $path showed the secret"
    else
        echo "kernel-kit: 9p escape $path refused"
    fi
done
echo "kernel-kit: 9p df $(df /mnt | tail -n 1 | awk '{ print ($2 > 0) ? "has blocks" : "empty" }')"
umount /mnt && echo "kernel-kit: 9p unmounted"
EOF
# kit.test=cmdline: the command line as the kernel kept it (/proc/cmdline), for tests that check
# that -append reached the kernel unchanged (a guest domain's /chosen/bootargs).
cat >"$initramfs/etc/kit-tests/cmdline" <<'EOF'
echo "kernel-kit: cmdline $(cat /proc/cmdline)"
EOF
cat >"$initramfs/init" <<'EOF'
#!/bin/busybox sh
# kernel-kit /init: tools, console, /proc and /sys; then the command list; then power off.
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
while read -r module; do insmod "/lib/modules/$module.ko"; done </etc/kit-modules
test=
for word in $(cat /proc/cmdline); do case $word in kit.test=*) test=${word#kit.test=} ;; esac; done
if [ -n "$test" ]; then
    echo "kernel-kit: running test $test"
    . "/etc/kit-tests/$test"
else
    echo "kernel-kit: running /etc/kit-commands"
    . /etc/kit-commands
fi
echo "kernel-kit: powering off"
poweroff -f
EOF
chmod 755 "$initramfs/init" "$initramfs/bin/busybox"
# Fixed times and owners make the archive the same from run to run.
find "$initramfs" -exec touch -h -d @0 {} +
(cd "$initramfs" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >"$work/initrd.gz"

# Extracted packages are not registered with dpkg; their changelogs still name their versions.
package_versions=$(for doc in "$root"/usr/share/doc/{busybox-static,linux-image-*}/changelog.Debian.gz; do
    [[ -f $doc ]] && gzip -dc "$doc" | head -n 1 | cut -d';' -f1
done | sort -u || true)
printf 'suite %s\nimage %s\n%s\n' "$suite" "$(basename "$kernel")" "$package_versions" >"$work/VERSIONS"

# Replace the kit in one step per file, stamp last: an interrupted run leaves no stamp, so the
# next one starts over.
rm -f "$cache/STAMP"
mv "$work/Image" "$cache/Image"
mv "$work/initrd.gz" "$cache/initrd.gz"
mv "$work/VERSIONS" "$cache/VERSIONS"
printf '%s\n' "${module_order[@]}" >"$cache/MODULES"
ls "$initramfs/etc/kit-tests" >"$cache/TESTS"
printf '%s' "$stamp" >"$cache/STAMP"
say "kit ready in $cache: Image $(stat -c %s "$cache/Image") bytes, initrd.gz $(stat -c %s "$cache/initrd.gz") bytes"
