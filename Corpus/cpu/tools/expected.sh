#!/bin/sh
# Prints the checksum each workload computes at both scales when built for the build machine
# with the hosted runtime and the host's C compiler (gcc by default: a different compiler
# from the clang that builds the guest images, so the two builds check each other). These are
# the values recorded in each workload's WORKLOAD_EXPECTED(full, small); tools/reference.py
# computes all but coremark-like independently (zlib, hashlib, sorted, numpy, Python models).
#   Corpus/cpu/tools/expected.sh [workload ...]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=${*:-"crc32 sha256 sort matmul nbody bytecode memops coremark-like"}
for name in $names; do
  for scale in 1 50; do
    $cc -std=c11 -O2 -ffp-contract=off -fno-builtin -fno-math-errno -DWORKLOAD_SCALE=$scale -I"$here" \
      "$here/$name.c" "$here/runtime/host/runtime.c" -o "$tmp/$name" -lm
    line=$("$tmp/$name" | head -n 1 || true)
    echo "$name scale $scale: ${line#*: }"
  done
done
