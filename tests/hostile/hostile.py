"""Hostile inputs for `defectd parse` (see run.sh)."""
import base64, io, json, os, subprocess, sys, tempfile, time, zipfile

BIN = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="defectd-hostile-")
passed = failed = 0

HDR = ("From: a@example.jp\r\nTo: ml@example.jp\r\nSubject: =?UTF-8?B?{subj}?=\r\n"
       "Date: Mon, 05 Jan 2026 10:00:00 +0900\r\nMessage-ID: <{mid}@example.jp>\r\nMIME-Version: 1.0\r\n")
GOOD_BODY = "販売店コード：D1234\r\n製造番号：T6K0001\r\n症状：充電できない\r\n"


def subj(s):
    return base64.b64encode(s.encode()).decode()


def write(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p


def good(name):
    return write(name, HDR.format(subj=subj("市場不具合報告"), mid=name) +
                 "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + GOOD_BODY)


def parse(files, conf=None, timeout=120):
    cmd = [BIN, "parse"] + (["-c", conf] if conf else []) + files
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    lines = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    return p.returncode, lines, time.time() - t0, p.stderr.decode()


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def conf(text):
    return write("conf-%d.yaml" % abs(hash(text)), text)


# 1. libetpan's out-of-bounds write on a quote-only boundary
quote = write("quote-boundary.eml", HDR.format(subj=subj("市場不具合報告"), mid="q") +
              'Content-Type: multipart/mixed; boundary="\\""\r\n\r\n--"\r\nContent-Type: text/plain\r\n\r\nx\r\n--"--\r\n')
empty = write("empty-boundary.eml", HDR.format(subj=subj("x"), mid="e") +
              'Content-Type: multipart/mixed; boundary=""\r\n\r\nbody\r\n')
g1, g2 = good("good-1.eml"), good("good-2.eml")
rc, out, _, err = parse([g1, quote, empty, g2])
check("quote-only boundary: one line per file, in order", [o.get("file") for o in out] == [g1, quote, empty, g2], err)
check("quote-only boundary: clear error, no records",
      len(out) == 4 and "boundary" in out[1].get("error", "") and out[1]["records"] == [], out[1:2])
check("empty boundary: error", len(out) == 4 and "boundary" in out[2].get("error", ""), out[2:3])
check("the files around it are parsed", len(out) == 4 and out[0]["records"] and out[3]["records"])
check("exit status 1 when a file failed", rc == 1, rc)

# 2. 20,000 nested multiparts (1.4 MB): refused quickly, before libetpan
parts = []
for i in range(20000):
    parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n')
deep = write("deep.eml", HDR.format(subj=subj("x"), mid="deep") + "".join(parts) + "Content-Type: text/plain\r\n\r\nhi\r\n")
rc, out, secs, err = parse([deep, g1])
check("deep nesting refused with an error", len(out) == 2 and "MIME parts" in out[0].get("error", ""), out[:1])
check("deep nesting costs little time", secs < 20, secs)

# 3. a huge header section
big_hdr = write("big-header.eml", HDR.format(subj=subj("x"), mid="bh") +
                "".join(f"X-Filler-{i}: {'a' * 70}\r\n" for i in range(5000)) + "\r\nbody\r\n")
rc, out, _, _ = parse([big_hdr])
check("oversized header section refused", "header section" in out[0].get("error", ""), out)

# 4. message size limit from the configuration
small = conf("limits:\n  max_message_bytes: 2048\n")
bigmsg = write("big.eml", HDR.format(subj=subj("市場不具合報告"), mid="big") +
               "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + GOOD_BODY + ("x" * 80 + "\r\n") * 100)
rc, out, _, _ = parse([bigmsg, g1], conf=small)
check("message size limit", "exceeds the limit" in out[0].get("error", "") and out[1]["records"], out)

# 5. unreadable files
missing = os.path.join(tmp, "does-not-exist.eml")
rc, out, _, _ = parse([g1, missing, tmp, g2])
check("missing file and directory get error lines",
      len(out) == 4 and "cannot read" in out[1].get("error", "") and "cannot read" in out[2].get("error", ""), out)
check("files after them still parsed", len(out) == 4 and out[3]["records"] and rc == 1)

# 6. garbage
garbage = write("garbage.eml", bytes(range(256)) * 200)
nul = write("nul.eml", b"\x00" * 5000)
rc, out, _, _ = parse([garbage, nul, g1])
check("binary garbage: a line each, no crash", len(out) == 3 and out[2]["records"], out)

# 7. XLSX zip bomb against max_xlsx_bytes, and rows against max_table_rows
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="a" sheetId="1"/></sheets></workbook>')
    z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
               "<row><c t=\"inlineStr\"><is><t>" + "A" * (30 << 20) + "</t></is></c></row></sheetData></worksheet>")
bomb = buf.getvalue()
att = base64.encodebytes(bomb).decode().replace("\n", "\r\n")
bombmsg = write("bomb.eml", HDR.format(subj=subj("市場不具合報告"), mid="bomb") +
                'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n' + GOOD_BODY +
                '\r\n--XX\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="a.xlsx"\r\n'
                'Content-Transfer-Encoding: base64\r\n\r\n' + att + "\r\n--XX--\r\n")
lim = conf("limits:\n  max_xlsx_bytes: 1M\n")
rc, out, _, _ = parse([bombmsg], conf=lim)
check("XLSX bomb stopped by max_xlsx_bytes, body still read",
      any("uncompressed" in w or "exceeds" in w for w in out[0].get("warnings", [])) and len(out[0]["records"]) == 1, out[0].get("warnings"))
rows = "製造番号,症状\r\n" + "".join(f"S{i},充電できない\r\n" for i in range(50))
csvmsg = write("rows.eml", HDR.format(subj=subj("市場不具合報告"), mid="rows") +
               'Content-Type: multipart/mixed; boundary="YY"\r\n\r\n--YY\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nsee attached\r\n'
               '--YY\r\nContent-Type: text/csv; charset=UTF-8; name="a.csv"\r\n\r\n' + rows + "--YY--\r\n")
rc, out, _, _ = parse([csvmsg], conf=conf("limits:\n  max_table_rows: 10\n"))
check("table row limit gives a warning, not 50 records",
      len(out[0]["records"]) == 0 and any("rows" in w for w in out[0].get("warnings", [])), out[0])
rc, out, _, _ = parse([csvmsg])
check("the same table within the default limit gives 50 records", len(out[0]["records"]) == 50, len(out[0]["records"]))

# 8. too many parts
many = write("many.eml", HDR.format(subj=subj("x"), mid="many") + 'Content-Type: multipart/mixed; boundary="Z"\r\n\r\n' +
             "".join("--Z\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(300)) + "--Z--\r\n")
rc, out, _, _ = parse([many])
check("part count limit", "MIME parts" in out[0].get("error", ""), out)

# 9. a configuration error is reported as file:line
badconf = conf("limits:\n  max_parts: many\nnonsense: 1\n")
p = subprocess.run([BIN, "parse", "-c", badconf, g1], capture_output=True)
e = p.stderr.decode()
check("bad configuration: every error as file:line", p.returncode == 2 and f"{badconf}:2:" in e and f"{badconf}:3:" in e, e)

print(f"hostile: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
