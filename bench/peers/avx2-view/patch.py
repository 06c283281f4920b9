#!/usr/bin/env python3
"""Copies a shared library with every cpuid -> int3; nop and xgetbv -> int3; xchg ax, ax (see avx2_view.c).

usage: patch.py SOURCE.so TARGET.so
The instructions are found by disassembly (objdump), not by byte search, so bytes 0f a2 inside
other instructions are left alone. Prints how many of each were patched.
"""
import re
import subprocess
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
source, target = sys.argv[1], sys.argv[2]
sections = []
for line in subprocess.run(["readelf", "-SW", source], capture_output=True, text=True, check=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
    if m and "X" in m.group(5):
        sections.append((int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)))

data = bytearray(open(source, "rb").read())
counts = {"cpuid": 0, "xgetbv": 0}
disassembly = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", source], stdout=subprocess.PIPE, text=True)
for line in disassembly.stdout:
    m = re.match(r"\s*([0-9a-f]+):\s+(cpuid|xgetbv)\s*$", line)
    if not m:
        continue
    address = int(m.group(1), 16)
    offset = next(a_off + address - a for a, a_off, size in sections if a <= address < a + size)
    if m.group(2) == "cpuid":
        assert data[offset:offset + 2] == b"\x0f\xa2", hex(address)
        data[offset:offset + 2] = b"\xcc\x90"
    else:
        assert data[offset:offset + 3] == b"\x0f\x01\xd0", hex(address)
        data[offset:offset + 3] = b"\xcc\x66\x90"
    counts[m.group(2)] += 1
if disassembly.wait() != 0:
    sys.exit(f"objdump failed on {source}")
if counts["cpuid"] == 0:
    sys.exit(f"no cpuid instruction in {source}: nothing to patch, the view would change nothing")
open(target, "wb").write(data)
print(f"{target}: {counts['cpuid']} cpuid, {counts['xgetbv']} xgetbv patched")
