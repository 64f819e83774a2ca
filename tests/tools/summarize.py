#!/usr/bin/env python3
"""Readable summary of `defectd parse` JSON lines (stdin): one row per record."""
import json, sys, unicodedata


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, w):
    s = s or ""
    while width(s) > w:
        s = s[:-1]
    return s + " " * (w - width(s))


cols = [("file", 28), ("kind", 16), ("ref", 14), ("serial_no", 15), ("product_model", 11),
        ("defect_type", 12), ("dealer", 24)]
print("  ".join(pad(n, w) for n, w in cols))
print("  ".join("-" * w for _, w in cols))
nrec = nfiles = nerr = nnoise = 0
for line in sys.stdin:
    o = json.loads(line)
    nfiles += 1
    name = o["file"].rsplit("/", 1)[-1]
    if o.get("error"):
        nerr += 1
        print(f"{pad(name, 28)}  error: {o['error']}")
        continue
    if o.get("noise") or not o["records"]:
        nnoise += 1
        print(f"{pad(name, 28)}  ({o.get('noise') or 'no fields'})")
    for r in o["records"]:
        nrec += 1
        f = r["fields"]
        row = [name, r["kind"], r.get("defect_ref", ""), f.get("serial_no", ""), f.get("product_model", ""),
               f.get("defect_type", ""), f.get("dealer_name", f.get("dealer_code", ""))]
        print("  ".join(pad(v, w) for v, (_, w) in zip(row, cols)))
print(f"\n{nfiles} messages: {nrec} records, {nnoise} without records, {nerr} errors")
