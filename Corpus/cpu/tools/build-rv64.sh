#!/bin/sh
# Builds one workload for RV64 by hand, with the same flags the harness's CorpusBuilder uses
# (Sources/Harness/CorpusCatalogue+CPU.swift), for quick timing on QEMU:
#   Corpus/cpu/tools/build-rv64.sh crc32 1 /tmp/crc32-small.elf     # scale 1 = the -small build
#   qemu-system-riscv64 -M virt -bios none -m 128M -nographic -kernel /tmp/crc32-small.elf
set -eu
name=$1 scale=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)
bin=/opt/swift/usr/bin
flags="--target=riscv64-unknown-elf -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
  -O2 -ffreestanding -fno-math-errno -ffp-contract=off -fno-asynchronous-unwind-tables -fno-unwind-tables
  -DWORKLOAD_SCALE=$scale -I$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$bin/clang $flags -c "$here/$name.c" -o "$tmp/w.o"
$bin/clang $flags -c "$here/runtime/rv64/runtime.c" -o "$tmp/r.o"
$bin/clang $flags -c "$here/runtime/memory.c" -o "$tmp/m.o"
$bin/ld.lld -T "$here/runtime/rv64/link.ld" --no-relax -static "$tmp/w.o" "$tmp/r.o" "$tmp/m.o" -o "$out"
