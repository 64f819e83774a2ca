#!/usr/bin/env python3
"""Embed a file as a C string: embed.py SYMBOL FILE > out.c"""
import sys

sym, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
out = [f"/* generated from {path} by tests/tools/embed.py; do not edit */",
       '#include "vocab_default.h"',
       f"const char {sym}[] ="]
for i in range(0, len(data), 64):
    chunk = data[i:i + 64]
    out.append('\t"' + "".join(f"\\{b:03o}" if b < 0x20 or b >= 0x7f or b in (0x22, 0x5c, 0x3f) else chr(b)
                               for b in chunk) + '"')
if not data:
    out.append('\t""')
out[-1] += ";"
out.append(f"const size_t {sym}_len = {len(data)};")
print("\n".join(out))
