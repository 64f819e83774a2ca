"""mailkit — small, dependency-free helpers to write Japanese test mail byte by byte.

Used by tests/corpus/make_cases.py, tests/fixtures/make_sample_maildir.py and
tests/bench/gen.py.  Only the Python 3 standard library (run with /usr/bin/python3).

Everything here builds raw bytes by hand (not email.message) so a test can say exactly
which charset label, transfer encoding, escape sequence or header folding a mail uses —
including the wrong ones real mailers produce.
"""
import base64
import datetime
import io
import quopri
import unicodedata
import zipfile
from email.utils import format_datetime
from xml.sax.saxutils import escape as _xml_escape

JST = datetime.timezone(datetime.timedelta(hours=9))

# SPEC.md §3: dash-like characters folded to '-' in codes and phones
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\uff0d"
_DASH_MAP = dict.fromkeys(map(ord, DASHES), "-")


def nfkc(s):
    return unicodedata.normalize("NFKC", s)


def fold_dashes(s):
    return s.translate(_DASH_MAP)


# ---------------------------------------------------------------------------
# charsets

def _sjis_pair_to_jis(s1, s2):
    """Shift_JIS/CP932 lead+trail byte -> JIS X 0208 row/cell bytes (0x21-0x7E)."""
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        j1 += 1
        j2 = s2 - 0x7E
    elif s2 >= 0x80:
        j2 = s2 - 0x20
    else:
        j2 = s2 - 0x1F
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        raise ValueError("CP932 pair %02X%02X has no ISO-2022-JP form" % (s1, s2))
    return j1, j2


def iso2022jp_cp932(text, kana=False):
    """ISO-2022-JP the way Windows mailers write it: the text is encoded as CP932 and
    every double-byte pair is turned into JIS arithmetically inside ESC $ B — so CP932
    extension characters (①, ㈱, ～ U+FF5E, － U+FF0D) travel as NEC row 13 / JIS codes
    Python's own iso2022_jp codec refuses.  With kana=True half-width katakana are
    written inside ESC ( I (JIS X 0201 katakana), else they are an error.
    Every line ends in ASCII mode."""
    out = bytearray()
    mode = "A"
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            if mode != "A":
                out += b"\x1b(B"
                mode = "A"
            out.append(o)
        elif 0xFF61 <= o <= 0xFF9F:
            if not kana:
                raise ValueError("half-width katakana %r without kana=True" % ch)
            if mode != "K":
                out += b"\x1b(I"
                mode = "K"
            out.append(ch.encode("cp932")[0] - 0x80)
        else:
            b = ch.encode("cp932")
            if len(b) != 2:
                raise ValueError("%r is not double-byte in CP932" % ch)
            if mode != "J":
                out += b"\x1b$B"
                mode = "J"
            out += bytes(_sjis_pair_to_jis(b[0], b[1]))
    if mode != "A":
        out += b"\x1b(B"
    return bytes(out)


def iso2022jp(text, kana=False):
    """ISO-2022-JP; Python's codec when it can (fast), else the CP932 path."""
    if not kana:
        try:
            return text.encode("iso2022_jp")
        except UnicodeEncodeError:
            pass
    return iso2022jp_cp932(text, kana=kana)


def encode_text(text, charset):
    cs = charset.lower()
    if cs in ("iso-2022-jp", "iso2022jp"):
        return iso2022jp(text)
    if cs in ("shift_jis", "shift-jis", "sjis", "cp932", "windows-31j", "ms932"):
        return text.encode("cp932")
    if cs in ("euc-jp", "euc_jp"):
        return text.encode("euc_jp")
    if cs in ("utf-8", "utf8"):
        return text.encode("utf-8")
    if cs in ("us-ascii", "ascii"):
        return text.encode("ascii")
    raise ValueError(charset)


# ---------------------------------------------------------------------------
# transfer encodings (input: bytes with LF line ends; output: bytes with LF line ends)

def b64_lines(data, width=76):
    s = base64.b64encode(data)
    return b"\n".join(s[i:i + width] for i in range(0, len(s), width)) + b"\n"


def cte_encode(data, cte):
    cte = cte.lower()
    if cte in ("7bit", "8bit", "binary"):
        return data if data.endswith(b"\n") else data + b"\n"
    if cte == "base64":
        # canonical form of text inside base64 is CRLF
        return b64_lines(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    if cte == "quoted-printable":
        out = quopri.encodestring(data.replace(b"\r\n", b"\n"))
        return out if out.endswith(b"\n") else out + b"\n"
    raise ValueError(cte)


# ---------------------------------------------------------------------------
# RFC 2047 headers

def _ew(charset, enc, raw):
    if enc == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode("ascii"))
    q = []
    for b in raw:
        c = chr(b)
        if c == " ":
            q.append("_")
        elif c.isalnum() and b < 0x80:
            q.append(c)
        else:
            q.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset, "".join(q))


def encode_words(text, charset="ISO-2022-JP", enc="B", chunk=None):
    """Text -> list of encoded words, each holding whole characters (chunk chars each)."""
    if chunk is None:
        chunk = {"B": 12, "Q": 6}[enc]
    words = []
    for i in range(0, len(text), chunk):
        part = text[i:i + chunk]
        words.append(_ew(charset, enc, encode_text(part, charset)))
    return words


def header_value(text, charset="ISO-2022-JP", enc="B", chunk=None):
    """An encoded header value, folded one encoded word per line; pure ASCII text is left as is."""
    if all(ord(c) < 0x80 for c in text):
        return text
    return "\n ".join(encode_words(text, charset, enc, chunk))


def split_utf8_words(text, cuts):
    """UTF-8 B words cut at the given byte offsets — which may fall inside a character
    (as some mailers do; RFC 2047 forbids it, decoders must join the words first)."""
    raw = text.encode("utf-8")
    bounds = [0] + list(cuts) + [len(raw)]
    return [_ew("UTF-8", "B", raw[a:b]) for a, b in zip(bounds, bounds[1:])]


def address(name, addr, charset="ISO-2022-JP"):
    if not name:
        return addr
    if all(ord(c) < 0x80 for c in name):
        return '"%s" <%s>' % (name, addr)
    return "%s <%s>" % (" ".join(encode_words(name, charset, "B", 20)), addr)


def date_header(dt):
    return format_datetime(dt)


def jst(y, mo, d, h=9, mi=0, s=0):
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=JST)


# ---------------------------------------------------------------------------
# MIME structure.  A part is (headers, body): headers a list of (name, value) with
# values already ASCII (folded with "\n "), body bytes with LF line ends.

def text_part(text, charset="ISO-2022-JP", cte=None, subtype="plain", label=None,
              raw=None, extra=()):
    """label: the charset parameter written (None -> same as charset, "" -> no parameter);
    raw: bytes to send instead of encoding `text` (for mislabelled parts)."""
    data = raw if raw is not None else encode_text(text, charset)
    if cte is None:
        cte = "7bit" if all(b < 0x80 for b in data) else "8bit"
    lab = charset if label is None else label
    ct = "text/%s" % subtype + ('; charset="%s"' % lab if lab else "")
    return ([("Content-Type", ct), ("Content-Transfer-Encoding", cte)] + list(extra),
            cte_encode(data, cte))


def attachment(data, ctype, filename, fname_style="ascii", disposition="attachment"):
    """fname_style: 'ascii', 'rfc2047' (ISO-2022-JP B word, as Japanese mailers do),
    'rfc2231' (filename*=UTF-8''…)."""
    if fname_style == "rfc2047":
        enc = " ".join(encode_words(filename, "ISO-2022-JP", "B", 30))
        ct = '%s;\n name="%s"' % (ctype, enc)
        cd = '%s;\n filename="%s"' % (disposition, enc)
    elif fname_style == "rfc2231":
        from urllib.parse import quote
        q = quote(filename.encode("utf-8"), safe="")
        ct = "%s;\n name*=UTF-8''%s" % (ctype, q)
        cd = "%s;\n filename*=UTF-8''%s" % (disposition, q)
    else:
        ct = '%s; name="%s"' % (ctype, filename)
        cd = '%s; filename="%s"' % (disposition, filename)
    return ([("Content-Type", ct), ("Content-Disposition", cd),
             ("Content-Transfer-Encoding", "base64")], b64_lines(data))


def render_headers(headers):
    return b"".join(("%s: %s\n" % (k, v)).encode("ascii") for k, v in headers)


def multipart(subtype, parts, boundary, preamble="This is a multi-part message in MIME format.",
              params=""):
    body = bytearray()
    if preamble:
        body += preamble.encode("ascii") + b"\n\n"
    for h, b in parts:
        body += b"--" + boundary.encode("ascii") + b"\n"
        body += render_headers(h) + b"\n" + b
        if not b.endswith(b"\n"):
            body += b"\n"
    body += b"--" + boundary.encode("ascii") + b"--\n"
    ct = 'multipart/%s;%s\n boundary="%s"' % (subtype, params, boundary)
    return ([("Content-Type", ct)], bytes(body))


def message(headers, part, crlf=True):
    """headers: the top-level headers (From, To, Subject, …); part: (headers, body) of the
    top-level entity.  Returns the whole message, with CRLF line ends unless crlf=False."""
    ph, pb = part
    data = render_headers(list(headers) + [("MIME-Version", "1.0")] + list(ph)) + b"\n" + pb
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data


# ---------------------------------------------------------------------------
# tables

def csv_bytes(rows, encoding="utf-8", bom=False, eol="\r\n"):
    """rows: lists of cells (str).  RFC 4180 quoting: a cell with a comma, quote or line
    break is quoted.  Line breaks inside a cell are written as LF (as Excel does)."""
    out = []
    for row in rows:
        cells = []
        for c in row:
            c = "" if c is None else str(c)
            if any(x in c for x in ',"\n\r'):
                c = '"' + c.replace('"', '""') + '"'
            cells.append(c)
        out.append(",".join(cells))
    text = eol.join(out) + eol
    data = text.encode("cp932" if encoding.lower() in ("cp932", "shift_jis") else "utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data


EXCEL_EPOCH = datetime.date(1899, 12, 30)   # 1900 date system (serials past 1900-02-28)


def excel_serial(d):
    return (d - EXCEL_EPOCH).days


def col_letters(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


class XDate:
    """An XLSX number cell holding a date serial.  style 1 = custom numFmt 164
    (yyyy/m/d), style 2 = built-in numFmt 14."""
    def __init__(self, d, style=1):
        self.d, self.style = d, style


class XInline:
    """An inline string cell (t="inlineStr")."""
    def __init__(self, s):
        self.s = s


class XNum:
    def __init__(self, n):
        self.n = n


_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def xlsx_bytes(rows, sheet_name="Sheet1"):
    """rows: list of (row_number, cells) where cells is a list indexed by column;
    a cell is None (no <c> at all — the column is skipped), str (shared string),
    XInline, XDate or XNum.  Writes a minimal valid OOXML workbook with zipfile."""
    sst, sst_index = [], {}

    def si(s):
        if s not in sst_index:
            sst_index[s] = len(sst)
            sst.append(s)
        return sst_index[s]

    nref = 0
    xml_rows = []
    for rnum, cells in rows:
        cs = []
        for ci, c in enumerate(cells):
            if c is None:
                continue
            ref = "%s%d" % (col_letters(ci), rnum)
            if isinstance(c, XDate):
                cs.append('<c r="%s" s="%d"><v>%d</v></c>' % (ref, c.style, excel_serial(c.d)))
            elif isinstance(c, XNum):
                cs.append('<c r="%s"><v>%s</v></c>' % (ref, c.n))
            elif isinstance(c, XInline):
                cs.append('<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'
                          % (ref, _xml_escape(c.s)))
            else:
                nref += 1
                cs.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, si(c)))
        xml_rows.append('<row r="%d">%s</row>' % (rnum, "".join(cs)))
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pr = "http://schemas.openxmlformats.org/package/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files = {
        "[Content_Types].xml": head +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '</Types>',
        "_rels/.rels": head +
        '<Relationships xmlns="%s"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>' % pr,
        "xl/workbook.xml": head +
        '<workbook xmlns="%s" xmlns:r="%s"><workbookPr/><bookViews><workbookView/></bookViews>'
        '<sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>'
        % (ns, rns, _xml_escape(sheet_name)),
        "xl/_rels/workbook.xml.rels": head +
        '<Relationships xmlns="%s">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>' % pr,
        "xl/styles.xml": head +
        '<styleSheet xmlns="%s">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="游ゴシック"/><family val="2"/><charset val="128"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="標準" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>' % ns,
        "xl/sharedStrings.xml": head +
        '<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
        % (ns, nref, len(sst), "".join('<si><t xml:space="preserve">%s</t></si>' % _xml_escape(s)
                                       for s in sst)),
        "xl/worksheets/sheet1.xml": head +
        '<worksheet xmlns="%s" xmlns:r="%s"><sheetData>%s</sheetData></worksheet>'
        % (ns, rns, "".join(xml_rows)),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                     "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml",
                     "xl/worksheets/sheet1.xml"]:
            zi = zipfile.ZipInfo(name, _ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, files[name].encode("utf-8"))
    return buf.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
