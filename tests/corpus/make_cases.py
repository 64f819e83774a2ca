#!/usr/bin/python3
"""Write the golden corpus: tests/corpus/cases/NAME.eml + NAME.json.

    /usr/bin/python3 tests/corpus/make_cases.py [OUTDIR]

Deterministic (no clock, no unseeded randomness): re-running reproduces identical files,
and the generated files are committed.  Every expected record below is written by hand
from SPEC.md (§2 kinds, §3 fields and value classes, §4 reading rules) — field by field,
in the case that sends it — never taken from any program's output.  The only automatic
step is the trivially mechanical part of §3 for plain values (text: NFKC + lines trimmed;
code: NFKC, dash folding, spaces removed, VIN upper-cased; phone: NFKC + dashes; tracking:
digits; plain ASCII dates 2026/1/21 / 2026-01-21 / 2026年1月21日); every date in any other
form and every bool, enum and carrier value carries its expected value explicitly.

Files are grouped by number (see tests/corpus/README):
  1xx charsets and header encodings   2xx MIME parts and HTML     3xx field-line layouts
  4xx quoted / forwarded / signatures 5xx CSV and XLSX tables     6xx noise (no records)
  7xx which kind                      8xx values by class         9xx defect_ref and labels
"""
import datetime
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailkit as mk  # noqa: E402
from mailkit import nfkc, fold_dashes, jst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LIST = "ev-defect@ml.example.co.jp"
LIST_ID = "<ev-defect.ml.example.co.jp>"

# --------------------------------------------------------------------------- fields
# SPEC.md §3: key -> class
CLASS = {
    "report_no": "code", "report_date": "date", "dealer_code": "code", "dealer_name": "text",
    "dealer_contact": "text", "product_model": "code", "serial_no": "code", "supplier": "text",
    "vin": "code", "install_date": "date", "occurred_date": "date", "defect_type": "enum",
    "error_code": "code", "symptom": "text", "installer": "text", "customer_name": "text",
    "customer_address": "text", "customer_phone": "phone", "repair_date": "date",
    "repair_action": "text", "replaced_part": "code", "cause": "text", "technician": "text",
    "part_return": "bool", "shipped_date": "date", "carrier": "carrier", "tracking_no": "tracking",
    "destination": "text", "received_date": "date", "analysis_result": "text",
}
LABELS = {
    "report_no": ["報告番号", "受付番号", "連絡票番号", "Report No"],
    "report_date": ["報告日", "連絡日", "受付日", "起票日", "Report Date"],
    "dealer_code": ["販売店コード", "販社コード", "店舗コード", "Dealer Code"],
    "dealer_name": ["販売店名", "販社名", "店舗名", "販売店", "Dealer"],
    "dealer_contact": ["担当者", "ご担当者", "担当者名", "報告者", "記入者", "Contact"],
    "product_model": ["製品型式", "型式", "品番", "機種", "Model"],
    "serial_no": ["製造番号", "シリアル番号", "シリアルNo", "S/N", "Serial No"],
    "supplier": ["仕入先", "仕入先名", "メーカー", "製造元", "Supplier"],
    "vin": ["車台番号", "フレーム番号", "VIN"],
    "install_date": ["設置日", "施工日", "工事完了日", "取付日"],
    "occurred_date": ["発生日", "不具合発生日", "発生日時", "発生年月日"],
    "defect_type": ["不具合区分", "不具合種別", "現象区分", "不具合分類", "Defect Type"],
    "error_code": ["エラーコード", "エラー表示", "エラー番号", "Error Code"],
    "symptom": ["症状", "不具合内容", "不具合症状", "現象", "詳細", "Symptom"],
    "installer": ["施工会社", "施工業者", "工事会社", "施工店", "Installer"],
    "customer_name": ["お客様名", "お客様氏名", "顧客名", "Customer"],
    "customer_address": ["ご住所", "お客様住所", "設置先住所", "住所"],
    "customer_phone": ["お客様電話番号", "お客様連絡先", "顧客電話番号", "電話番号"],
    "repair_date": ["修理完了日", "処置完了日", "作業完了日", "修理日", "完了日"],
    "repair_action": ["処置内容", "修理内容", "作業内容", "対応内容"],
    "replaced_part": ["交換部品", "交換部品品番", "交換品番"],
    "cause": ["推定原因", "不具合原因", "原因", "所見"],
    "technician": ["作業者", "修理担当者", "作業担当者", "作業担当"],
    "part_return": ["不具合品返却", "返却要否", "部品返却"],
    "shipped_date": ["発送日", "出荷日", "返送日", "返却日"],
    "carrier": ["運送会社", "配送業者", "運送業者", "宅配業者"],
    "tracking_no": ["伝票番号", "送り状番号", "お問い合わせ番号", "問合せ番号", "追跡番号", "Tracking No"],
    "destination": ["送付先", "返却先", "発送先"],
    "received_date": ["受領日", "入荷日", "到着日", "受入日"],
    "analysis_result": ["解析結果", "調査結果"],
}
REF_LABELS = ["不具合管理番号", "管理番号", "MD番号"]

AUTO = object()
OMIT = None   # the message states it, SPEC says it is left out (e.g. a date that is not a date)


def auto_want(key, raw):
    cls = CLASS[key]
    if cls == "text":
        return "\n".join(nfkc(x).strip() for x in raw.split("\n"))
    if cls == "code":
        v = re.sub(r"\s", "", fold_dashes(nfkc(raw)))
        return v.upper() if key == "vin" else v
    if cls == "phone":
        return fold_dashes(nfkc(raw)).strip()
    if cls == "tracking":
        return re.sub(r"\D", "", nfkc(raw))
    if cls == "date":
        m = (re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", raw)
             or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", raw))
        if m:
            return "%04d-%02d-%02d" % tuple(int(x) for x in m.groups())
    raise ValueError("give the expected value of %s=%r explicitly" % (key, raw))


class F:
    """One field as the mail states it: key, the label written, the raw value written
    (may hold \\n for a multi-line text), and the value SPEC says `parse` outputs."""
    def __init__(self, key, label, raw, want=AUTO, style=None, prefix=None):
        assert key in CLASS, key
        self.key, self.label, self.raw, self.style, self.prefix = key, label, raw, style, prefix
        self.want = auto_want(key, raw) if want is AUTO else want


def fields_of(flds):
    out = {}
    for f in flds:
        if f.want is OMIT:
            continue
        assert f.key not in out, "duplicate field %s" % f.key
        out[f.key] = f.want
    return out


def R(kind, flds, ref=None):
    assert kind in ("defect_report", "repair_report", "shipment_notice", "part_receipt")
    rec = {"kind": kind}
    if ref:
        rec["defect_ref"] = ref
    rec["fields"] = fields_of(flds) if isinstance(flds, list) else dict(flds)
    assert rec["fields"], "a record needs at least one field"
    return rec


def render(flds, style="colon", prefixes=None, indent="", pad=0):
    """Field lines in one layout (SPEC §4 Layouts); a field may override style/prefix."""
    out = []
    for i, f in enumerate(flds):
        st = f.style or style
        p = f.prefix if f.prefix is not None else (prefixes[i] if prefixes else "")
        v = f.raw.split("\n")
        if st == "colon":
            out += [p + f.label + "：" + v[0]] + v[1:]
        elif st == "ascii":
            out += [p + f.label + ": " + v[0]] + v[1:]
        elif st == "lent":
            out += [p + "【" + f.label + "】" + v[0]] + v[1:]
        elif st == "square":
            out += [p + "[" + f.label + "] : " + v[0]] + v[1:]
        elif st == "tab":
            out += [p + f.label + "\t" + v[0]] + v[1:]
        elif st == "pad":
            out += [p + f.label + "\u3000" * max(1, pad - len(f.label)) + "：" + v[0]] + v[1:]
        elif st == "next":
            out += [p + f.label] + [indent + x for x in v]
        elif st == "next_colon":
            out += [p + f.label + "："] + [indent + x for x in v]
        elif st == "next_lent":
            out += [p + "【" + f.label + "】"] + [indent + x for x in v]
        else:
            raise ValueError(st)
    return "\n".join(out)


# --------------------------------------------------------------------------- people
class Dealer:
    def __init__(self, name, code, person, mail, tel, fax, dept="サービス課"):
        self.name, self.code, self.person, self.mail = name, code, person, mail
        self.tel, self.fax, self.dept = tel, fax, dept
        self.family = person.split()[0]


D1 = Dealer("静岡トヨタ 浜松店", "D3307", "山本 健太", "k-yamamoto@hamamatsu.shizuoka-toyota.example.jp",
            "053-412-3301", "053-412-3302")
D2 = Dealer("トヨタカローラ埼玉 川口店", "D1450", "小林 真一", "kobayashi@kawaguchi.corolla-saitama.example.jp",
            "048-251-7710", "048-251-7711")
D3 = Dealer("トヨタモビリティ神奈川 藤沢店", "D1822", "石川 美穂", "m-ishikawa@fujisawa.tm-kanagawa.example.jp",
            "0466-27-4410", "0466-27-4411")
D4 = Dealer("岡山トヨペット 倉敷店", "D6604", "森 大輔", "d-mori@kurashiki.okayama-toyopet.example.jp",
            "086-421-5530", "086-421-5531")
D5 = Dealer("札幌トヨペット 北24条店", "D0115", "佐藤 玲奈", "r-sato@kita24.sapporo-toyopet.example.jp",
            "011-717-2240", "011-717-2241")
D6 = Dealer("熊本トヨタ 南店", "D8302", "松田 翔太", "s-matsuda@minami.kumamoto-toyota.example.jp",
            "096-378-1180", "096-378-1181")
D7 = Dealer("石川トヨタ 金沢駅西店", "D5110", "中川 優子", "y-nakagawa@ekinishi.ishikawa-toyota.example.jp",
            "076-222-3150", "076-222-3151")
D8 = Dealer("香川トヨペット 高松店", "D7205", "岡田 誠", "m-okada@takamatsu.kagawa-toyopet.example.jp",
            "087-861-4420", "087-861-4421")
SUP1 = Dealer("東海電装株式会社", "", "村井 俊介", "qa-center@tokai-denso.example.co.jp",
              "0566-75-2100", "0566-75-2101", dept="品質保証部 解析センター")
SUP2 = Dealer("北斗エレクトリック株式会社", "", "今井 早苗", "quality@hokuto-elec.example.co.jp",
              "0138-49-3300", "0138-49-3301", dept="品質管理課")
KANRI = Dealer("関東施工管理センター株式会社", "", "原田 裕子", "kanri@kanto-sekou-kanri.example.co.jp",
               "03-5812-4400", "03-5812-4401", dept="業務管理部")
QA = Dealer("品質管理グループ", "", "高田 浩之", "ev-quality@example.co.jp", "0565-28-1111",
            "0565-28-1112", dept="EV充電設備 品質管理グループ")


def signature(d, sep="-- ", company=None):
    lines = [company or d.name, "%s　%s" % (d.dept, d.person.replace(" ", "　")),
             "TEL：%s　FAX：%s" % (d.tel, d.fax), "Mail：%s" % d.mail]
    return ([sep] if sep else []) + lines


def letter(d, block, intro="下記の通り市場不具合をご報告いたします。", to="品質管理グループ 御中",
           greet="いつもお世話になっております。", closing="以上、よろしくお願いいたします。",
           sep="-- ", tail=None):
    """A dealer's mail body: salutation, greeting, self-introduction, the field block,
    closing and signature.  `tail` lines go after the signature."""
    lines = [to, "", greet, "%sの%sです。" % (d.name, d.family), "", intro, "", block, "",
             closing, ""]
    lines += signature(d, sep)
    if tail:
        lines += [""] + list(tail)
    return "\n".join(lines) + "\n"


def wd(y, m, d):
    return "月火水木金土日"[datetime.date(y, m, d).weekday()]


# --------------------------------------------------------------------------- mail
def _msgid(name, addr, n=0):
    h = hashlib.sha1(("%s/%d" % (name, n)).encode()).hexdigest()[:16]
    return "<%s.%s@%s>" % (h, name.split("-")[0], addr.split("@")[1])


def headers(name, frm, subject, date, subject_hdr=None, extra=(), subj_charset="ISO-2022-JP",
            subj_enc="B", to=LIST, mailer="Microsoft Outlook 16.0", msgid=None):
    """frm: a Dealer or (display, addr); subject: the text; subject_hdr: the header value as
    sent, when a case needs a particular encoding."""
    if isinstance(frm, Dealer):
        disp, addr = frm.person, frm.mail
    else:
        disp, addr = frm
    if subject_hdr is None:
        subject_hdr = mk.header_value(subject, subj_charset, subj_enc)
    host = addr.split("@")[1]
    return [
        ("Return-Path", "<%s>" % addr),
        ("Received", "from mail.%s (mail.%s [192.0.2.%d])\n\tby mx.ml.example.co.jp (Postfix) "
                     "with ESMTPS id %s;\n\t%s" % (host, host, 10 + len(name) % 200,
                                                   hashlib.sha1(name.encode()).hexdigest()[:10].upper(),
                                                   mk.date_header(date + datetime.timedelta(seconds=7)))),
        ("From", mk.address(disp, addr)),
        ("To", to),
        ("Subject", subject_hdr),
        ("Date", mk.date_header(date)),
        ("Message-ID", msgid or _msgid(name, addr)),
        ("X-Mailer", mailer),
        ("List-Id", LIST_ID),
    ] + list(extra)


CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


# --------------------------------------------------------------------------- common field sets
def defect_block(d, model="TC-6K-01", serial="T6K2309A41822", occurred=("2026/1/19", None),
                 dtype=("充電不可", "NO_CHARGE"), symptom="充電ボタンを押しても充電が開始されない。",
                 supplier="東海電装株式会社", installer="株式会社浜松電設", customer="山下 恵子",
                 phone="053-441-2087", report_date=None, report_no=None, error=None,
                 address=None, vin=None, install=None, contact=False):
    """The usual fields of a dealer's defect report (labels in their most common form)."""
    fl = []
    if report_no:
        fl.append(F("report_no", "受付番号", report_no))
    if report_date:
        fl.append(F("report_date", "報告日", report_date[0],
                    AUTO if report_date[1] is None else report_date[1]))
    fl += [F("dealer_code", "販売店コード", d.code), F("dealer_name", "販売店名", d.name)]
    if contact:
        fl.append(F("dealer_contact", "担当者", d.person))
    fl += [F("product_model", "型式", model), F("serial_no", "製造番号", serial)]
    if supplier:
        fl.append(F("supplier", "仕入先", supplier))
    if vin:
        fl.append(F("vin", "車台番号", vin))
    if install:
        fl.append(F("install_date", "設置日", install[0], AUTO if install[1] is None else install[1]))
    fl.append(F("occurred_date", "発生日", occurred[0], AUTO if occurred[1] is None else occurred[1]))
    fl.append(F("defect_type", "不具合区分", dtype[0], dtype[1]))
    if error:
        fl.append(F("error_code", "エラーコード", error))
    fl.append(F("symptom", "症状", symptom))
    if installer:
        fl.append(F("installer", "施工会社", installer))
    if customer:
        fl.append(F("customer_name", "お客様名", customer))
    if address:
        fl.append(F("customer_address", "ご住所", address))
    if phone:
        fl.append(F("customer_phone", "お客様電話番号", phone))
    return fl


def write_case(outdir, name, eml, records):
    with open(os.path.join(outdir, name + ".eml"), "wb") as fh:
        fh.write(eml)
    with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"records": records}, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


# =========================================================================== 1xx charsets
@case("101-charset-iso2022jp-cp932ext")
def _c101(name):
    """ISO-2022-JP from a Windows mailer: ①…⑪ label numbers, ㈱ in supplier and installer,
    ～ (U+FF5E) in the symptom, all inside ESC $ B as CP932-derived JIS codes."""
    d = D1
    fl = [F("report_date", "報告日", "2026/1/21"),
          F("dealer_code", "販売店コード", d.code),
          F("dealer_name", "販売店名", d.name),
          F("product_model", "型式", "TC-6K-01"),
          F("serial_no", "製造番号", "T6K2309A41822"),
          F("supplier", "仕入先", "㈱サンエイ電機", "(株)サンエイ電機"),
          F("installer", "施工会社", "㈱浜松電設", "(株)浜松電設"),
          F("occurred_date", "発生日", "2026/1/19"),
          F("defect_type", "不具合区分", "充電開始しない", "NO_CHARGE"),
          F("symptom", "症状", "充電開始後5～10分で停止し、再開しない。", "充電開始後5~10分で停止し、再開しない。"),
          F("customer_name", "お客様名", "山下 恵子")]
    body = letter(d, render(fl, prefixes=[c + " " for c in "①②③④⑤⑥⑦⑧⑨⑩⑪"]))
    raw = mk.iso2022jp_cp932(body)
    assert b"\x1b$B-!" in raw          # ① as NEC row 13 inside ESC $ B
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 1, 21, 10, 12))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP", raw=raw)), [R("defect_report", fl)]


@case("102-charset-iso2022jp-halfwidth-kana")
def _c102(name):
    """Half-width katakana sent inside ESC ( I — in labels (ｼﾘｱﾙNo, ﾒｰｶｰ) and values."""
    d = D2
    fl = [F("dealer_name", "販売店名", d.name),
          F("dealer_contact", "担当者", d.person),
          F("product_model", "型式", "V2H-P1"),
          F("serial_no", "ｼﾘｱﾙNo", "HVP2402B10457"),
          F("supplier", "ﾒｰｶｰ", "北斗エレクトリック株式会社"),
          F("occurred_date", "発生日", "2026/1/16"),
          F("defect_type", "不具合区分", "ｹｰﾌﾞﾙ破損", "CABLE"),
          F("symptom", "症状", "充電ｹｰﾌﾞﾙのｺﾈｸﾀ部にひびが入っている。", "充電ケーブルのコネクタ部にひびが入っている。"),
          F("installer", "施工会社", "ｶﾜｸﾞﾁ電設株式会社", "カワグチ電設株式会社")]
    body = letter(d, render(fl), intro="下記の通り不具合をご報告いたします。")
    raw = mk.iso2022jp_cp932(body, kana=True)
    assert b"\x1b(I" in raw
    h = headers(name, d, "不具合報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 17, 15, 40),
                mailer="Becky! ver. 2.81.04")
    return mk.message(h, mk.text_part(body, "ISO-2022-JP", raw=raw)), [R("defect_report", fl)]


@case("103-charset-shiftjis-cp932ext-8bit")
def _c103(name):
    """charset=shift_jis, 8bit body with CP932-only characters (①, ～): read as CP932."""
    d = D3
    fl = [F("report_no", "受付番号", "FJ-2601-018"),
          F("dealer_code", "販売店コード", d.code),
          F("dealer_name", "販売店名", d.name),
          F("product_model", "型式", "TC-3K-02"),
          F("serial_no", "製造番号", "T3K2404C20931"),
          F("occurred_date", "発生日", "2026/1/18"),
          F("defect_type", "不具合区分", "ブレーカーが落ちる", "BREAKER_TRIP"),
          F("symptom", "症状", "充電開始から2～3分で分電盤のブレーカーが落ちる。", "充電開始から2~3分で分電盤のブレーカーが落ちる。"),
          F("installer", "施工会社", "株式会社湘南電工")]
    body = letter(d, render(fl, prefixes=["① ", "② ", "③ ", "④ ", "⑤ ", "⑥ ", "⑦ ", "⑧ ", "⑨ "]))
    h = headers(name, d, "市場不具合のご報告（藤沢店）", jst(2026, 1, 19, 11, 5),
                subj_charset="Shift_JIS")
    part = mk.text_part(body, "shift_jis", cte="8bit")
    return mk.message(h, part), [R("defect_report", fl)]


@case("104-charset-eucjp")
def _c104(name):
    d = D4
    fl = defect_block(d, model="WB-6K-A", serial="MWB2403A55120", occurred=("2026/1/12", None),
                      dtype=("通信エラー", "COMM"), error="E-21",
                      symptom="スマートフォンアプリから充電器に接続できない。",
                      installer="有限会社倉敷設備", customer="中島 亮",
                      address="岡山県倉敷市白楽町512-3", phone="086-434-7712")
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（岡山トヨペット 倉敷店）", jst(2026, 1, 14, 16, 22),
                subj_charset="EUC-JP", mailer="Sylpheed 3.7.0")
    return mk.message(h, mk.text_part(body, "EUC-JP", cte="8bit")), [R("defect_report", fl)]


@case("105-charset-utf8-base64")
def _c105(name):
    d = D5
    fl = defect_block(d, model="TC-6K-01S", serial="T6S2405B30288", occurred=("2026/1/8", None),
                      dtype=("LED不点灯", "DISPLAY"),
                      symptom="本体の状態表示LEDが点灯せず、充電状態が確認できない。",
                      installer="北央電設株式会社", customer="加藤 由美", phone="011-700-3318",
                      report_date=("2026/1/9", None))
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合連絡（札幌トヨペット 北24条店）", jst(2026, 1, 9, 9, 48),
                subj_charset="UTF-8", mailer="Mozilla Thunderbird 115.6")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


@case("106-charset-utf8-quoted-printable")
def _c106(name):
    d = D6
    fl = defect_block(d, model="V2H-P1", serial="HVP2311A08764", occurred=("2026/1/6", None),
                      dtype=("異音", "NOISE"),
                      symptom="放電運転中に本体内部からカタカタという音がする。",
                      supplier="北斗エレクトリック株式会社", installer="株式会社肥後電設",
                      customer="小川 健司", phone="096-379-5521", vin="ZVW60-4127735")
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（熊本トヨタ 南店）", jst(2026, 1, 7, 13, 30),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="quoted-printable")), [R("defect_report", fl)]


@case("107-charset-missing-cp932")
def _c107(name):
    """Content-Type: text/plain with no charset parameter, raw CP932 bytes: sniffed."""
    d = D7
    fl = defect_block(d, model="TC-6K-01", serial="T6K2310B77410", occurred=("2026/1/13", None),
                      dtype=("浸水", "WATER"), symptom="大雨の後、本体下部の端子台に水が溜まっていた。",
                      installer="北陸電工株式会社", customer="村上 聡", phone="076-255-0198")
    body = letter(d, render(fl))
    raw = body.encode("cp932")
    try:
        raw.decode("utf-8")
        raise AssertionError("CP932 body must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    h = headers(name, d, "市場不具合のご報告（石川トヨタ 金沢駅西店）", jst(2026, 1, 14, 8, 55),
                mailer="Outlook Express 6.00.2900.5931")
    return mk.message(h, mk.text_part(body, "cp932", cte="8bit", label="", raw=raw)), \
        [R("defect_report", fl)]


@case("108-charset-usascii-label-holds-cp932")
def _c108(name):
    """charset=us-ascii and 7bit, but the bytes are raw CP932: the label is wrong, sniff."""
    d = D8
    fl = defect_block(d, model="TC-3K-02", serial="T3K2402A61857", occurred=("2026/1/10", None),
                      dtype=("過熱", "OVERHEAT"), symptom="充電中に本体側面が触れないほど熱くなる。",
                      installer="有限会社讃岐電気", customer="森下 亜希", phone="087-866-2451")
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（香川トヨペット 高松店）", jst(2026, 1, 12, 17, 2),
                mailer="Microsoft Outlook 14.0")
    return mk.message(h, mk.text_part(body, "cp932", cte="7bit", label="us-ascii")), \
        [R("defect_report", fl)]


@case("109-charset-utf8-label-holds-iso2022jp")
def _c109(name):
    """charset=UTF-8 on a body that is ISO-2022-JP (escape sequences): sniff the escapes."""
    d = D2
    fl = defect_block(d, model="TC-6K-01", serial="T6K2311C00452", occurred=("2026/1/20", None),
                      dtype=("表示異常", "DISPLAY"), symptom="液晶表示が一部欠けて読めない。",
                      installer="埼玉中央電設株式会社", customer="吉村 剛", phone="048-222-6403",
                      report_date=("2026/1/21", None))
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 21, 14, 18))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP", cte="7bit", label="UTF-8")), \
        [R("defect_report", fl)]


@case("110-subject-rfc2047-b-iso2022jp")
def _c110(name):
    """The whole subject in one ISO-2022-JP B encoded word."""
    d = D3
    fl = [F("serial_no", "製造番号", "T3K2404C20931"),
          F("repair_date", "修理完了日", "2026/1/24"),
          F("repair_action", "修理内容", "漏電検出基板を交換し、絶縁抵抗測定で良好を確認。"),
          F("replaced_part", "交換部品", "TK-PCB-0112"),
          F("technician", "作業担当者", "田村 洋平"),
          F("part_return", "部品返却", "要", True)]
    body = letter(d, render(fl), intro="標記の件、修理が完了しましたのでご報告いたします。")
    subj = "[MD-2026-00031] 修理完了報告"
    hv = mk.encode_words(subj, "ISO-2022-JP", "B", chunk=40)
    assert len(hv) == 1
    h = headers(name, d, subj, jst(2026, 1, 26, 10, 0), subject_hdr=hv[0])
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00031")]


@case("111-subject-rfc2047-q-utf8")
def _c111(name):
    d = D8
    fl = [F("serial_no", "製造番号", "T3K2402A61857"),
          F("shipped_date", "発送日", "2026/1/27"),
          F("carrier", "運送会社", "ヤマト運輸", "YAMATO"),
          F("tracking_no", "伝票番号", "4512-8830-1276")]
    body = letter(d, render(fl), intro="不具合品を下記の通り発送いたしました。")
    subj = "[MD-2026-00032] 不具合品発送のご連絡"
    hv = "\n ".join(mk.encode_words(subj, "UTF-8", "Q", chunk=6))
    h = headers(name, d, subj, jst(2026, 1, 27, 16, 45), subject_hdr=hv)
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), [R("shipment_notice", fl, "MD-2026-00032")]


@case("112-subject-rfc2047-folded-keyword-across-words")
def _c112(name):
    """Subject folded over three lines as three encoded words; the kind keyword 故障報告 is
    split between two of them (white space between encoded words is not part of the text).
    The body names a technician, so a subject read wrongly would make it a repair_report."""
    d = D3
    fl = defect_block(d, model="TC-6K-01", serial="T6K2312A19083", occurred=("2026/1/22", None),
                      dtype=("充電できない", "NO_CHARGE"), symptom="車両を接続しても充電が始まらず、エラーも表示されない。",
                      installer="株式会社湘南電工", customer="西田 香織", phone="0466-34-7720")
    fl.insert(-3, F("technician", "作業者", "湘南電工 田村"))
    body = letter(d, render(fl), intro="下記の通り故障をご報告いたします。現地確認は実施済みです。")
    words = ["EV充電器 故障", "報告（トヨタモビリティ", "神奈川 藤沢店）"]
    hv = "\n ".join(mk.encode_words(w, "ISO-2022-JP", "B", chunk=40)[0] for w in words)
    h = headers(name, d, "".join(words), jst(2026, 1, 23, 9, 20), subject_hdr=hv)
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("113-subject-rfc2047-utf8-char-split-across-words")
def _c113(name):
    """UTF-8 B words cut inside 発 of the keyword 不具合発生: only joining the words' bytes
    before decoding yields the keyword.  The body names a technician, so a wrongly decoded
    subject would make this a repair_report."""
    d = D6
    fl = defect_block(d, model="V2H-P1", serial="HVP2401C33390", occurred=("2026/1/25", None),
                      dtype=("漏電遮断", "BREAKER_TRIP"), symptom="放電開始直後に漏電遮断器が作動する。",
                      supplier="北斗エレクトリック株式会社", installer="株式会社肥後電設",
                      customer="平田 誠", phone="096-370-2214")
    fl.insert(-3, F("technician", "作業担当者", "肥後電設 坂本"))
    body = letter(d, render(fl), intro="下記の通り不具合が発生しましたのでご連絡いたします。")
    subj = "不具合発生のお知らせ（熊本トヨタ 南店）"
    assert subj.encode("utf-8")[9:12] == "発".encode("utf-8")
    hv = "\n ".join(mk.split_utf8_words(subj, [10, 29]))
    h = headers(name, d, subj, jst(2026, 1, 26, 8, 40), subject_hdr=hv,
                mailer="Mozilla Thunderbird 115.6")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


# =========================================================================== 2xx parts, HTML
OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=%s">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
\t{font-family:"ＭＳ ゴシック";
\tpanose-1:2 11 6 9 7 2 5 8 2 4;}
@font-face
\t{font-family:游ゴシック;
\tpanose-1:2 11 4 0 0 0 0 0 0 0;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0mm;
\ttext-align:justify;
\ttext-justify:inter-ideograph;
\tfont-size:10.5pt;
\tfont-family:游ゴシック;}
span.EmailStyle17
\t{mso-style-type:personal-compose;
\tfont-family:游ゴシック;
\tcolor:windowtext;}
@page WordSection1
\t{size:612.0pt 792.0pt;
\tmargin:99.25pt 30.0mm 30.0mm 30.0mm;}
div.WordSection1
\t{page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="JA" link="#0563C1" vlink="#954F72" style="word-wrap:break-word;text-justify-trim:punctuation">
<div class=WordSection1>
"""


def outlook_html(text, charset="utf-8"):
    """Outlook (Word) HTML: every line its own <p class=MsoNormal>, blank lines as
    <p class=MsoNormal>&nbsp;</p>, ASCII runs after a colon in a <span lang=EN-US> whose
    tag is broken over two source lines (source line breaks are white space)."""
    out = [OUTLOOK_HEAD % charset]
    for line in text.rstrip("\n").split("\n"):
        if not line.strip():
            out.append("<p class=MsoNormal>&nbsp;</p>")
            continue
        m = re.match(r"^(.*?：)([\x21-\x7e][\x20-\x7e]*)$", line)
        if m:
            out.append("<p class=MsoNormal>%s<span\nlang=EN-US>%s<o:p></o:p></span></p>"
                       % (mk.html_escape(m.group(1)), mk.html_escape(m.group(2))))
        else:
            out.append("<p class=MsoNormal>%s<o:p></o:p></p>" % mk.html_escape(line))
    out.append("</div>\n</body>\n</html>\n")
    return "\n".join(out)


def gmail_html(text, sig_lines=()):
    """Gmail: every line a <div>, blank lines <div><br></div>, all on few source lines."""
    divs = []
    for line in text.rstrip("\n").split("\n"):
        divs.append("<div><br></div>" if not line.strip() else "<div>%s</div>" % mk.html_escape(line))
    sig = ""
    if sig_lines:
        sig = ('<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
               '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">'
               + "".join("<div>%s</div>" % mk.html_escape(x) for x in sig_lines) + "</div></div>")
    return '<div dir="ltr">' + "".join(divs) + sig + "</div>\n"


def html_doc(body_html, charset="utf-8", title=""):
    return ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=%s">\n'
            '<title>%s</title>\n<style type="text/css">\ntd { font-size: 10pt; padding: 2px 6px; }\n'
            'th { background: #dde4f0; }\n</style>\n</head>\n<body>\n%s\n</body>\n</html>\n'
            % (charset, title, body_html))


@case("201-part-plain-only-lf")
def _c201(name):
    """A single text/plain part (UTF-8, 8bit), stored with bare LF line ends."""
    d = D5
    fl = defect_block(d, model="TC-3K-02", serial="T3K2406A72215", occurred=("2026/1/15", None),
                      dtype=("通信不良", "COMM"), error="E-31",
                      symptom="宅内Wi-Fiとの接続が頻繁に切れ、スケジュール充電が実行されない。",
                      installer="北央電設株式会社", customer="今村 拓也", phone="011-709-4462",
                      report_date=("2026/1/16", None), contact=True)
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（札幌トヨペット 北24条店）", jst(2026, 1, 16, 12, 31),
                subj_charset="UTF-8", mailer="Mozilla Thunderbird 115.6")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit"), crlf=False), [R("defect_report", fl)]


@case("202-part-html-only-outlook")
def _c202(name):
    """text/html only, Outlook style (every line a <p class=MsoNormal>, &nbsp; paragraphs as
    blank lines, <style> and conditional comments in <head>), entity &amp; in a value, and a
    two-line symptom (two paragraphs)."""
    d = D3
    fl = [F("report_date", "報告日", "2026/1/20"),
          F("dealer_code", "販売店コード", d.code),
          F("dealer_name", "販売店名", d.name),
          F("dealer_contact", "担当者", d.person),
          F("product_model", "型式", "TC-6K-01S"),
          F("serial_no", "製造番号", "T6S2408A44107"),
          F("occurred_date", "発生日", "2026/1/17"),
          F("defect_type", "不具合区分", "ランプ不点灯", "DISPLAY"),
          F("symptom", "症状", "電源ランプが点灯しない。\nブレーカーの入切でも復旧しない。"),
          F("installer", "施工会社", "株式会社エス&ケイ電設"),
          F("customer_name", "お客様名", "西村 直樹")]
    text = letter(d, render(fl), sep="━" * 20)
    html = outlook_html(text)
    assert "エス&amp;ケイ" in html
    h = headers(name, d, "市場不具合のご報告（トヨタモビリティ神奈川 藤沢店）", jst(2026, 1, 20, 15, 3),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(html, "utf-8", cte="quoted-printable", subtype="html")), \
        [R("defect_report", fl)]


@case("203-part-html-only-gmail")
def _c203(name):
    """text/html only, Gmail style (every line a <div>, blank line <div><br></div>, the
    signature after a '-- ' span), a two-line symptom in two <div>s."""
    d = D6
    fl = [F("dealer_code", "販売店コード", d.code),
          F("dealer_name", "販売店名", d.name),
          F("product_model", "型式", "WB-6K-A"),
          F("serial_no", "製造番号", "MWB2402B90316"),
          F("occurred_date", "発生日", "2026/1/11"),
          F("defect_type", "不具合区分", "発熱", "OVERHEAT"),
          F("symptom", "症状", "充電中にプラグ部分が熱くなる。\n焦げ跡等は見当たらない。"),
          F("installer", "施工会社", "株式会社肥後電設"),
          F("customer_phone", "お客様電話番号", "096-370-8841")]
    text = "\n".join(["品質管理グループ 御中", "", "お世話になっております。",
                      "熊本トヨタ 南店の松田です。", "", "下記の通り市場不具合をご報告いたします。", "",
                      render(fl), "", "以上、よろしくお願いいたします。"])
    html = gmail_html(text, sig_lines=["熊本トヨタ 南店", "サービス課 松田 翔太", "TEL 096-378-1180"])
    h = headers(name, d, "市場不具合のご報告（熊本トヨタ 南店）", jst(2026, 1, 12, 19, 47),
                subj_charset="UTF-8", mailer="Gmail")
    return mk.message(h, mk.text_part(html, "UTF-8", cte="base64", subtype="html")), \
        [R("defect_report", fl)]


@case("204-part-alternative-plain-preferred")
def _c204(name):
    """multipart/alternative: the text/plain part is read.  The HTML part carries other
    values (serial, date, symptom, type) so reading the wrong part shows."""
    d = D1
    fl = defect_block(d, model="TC-6K-01", serial="T6K2401B05518", occurred=("2026/1/22", None),
                      dtype=("異音", "NOISE"), symptom="充電中に本体からブーンという低い音が続く。",
                      installer="株式会社浜松電設", customer="杉本 恭子", phone="053-474-1163")
    plain = letter(d, render(fl))
    other = plain.replace("T6K2401B05518", "T6K2401B05581").replace("2026/1/22", "2026/1/2") \
        .replace("異音", "外観不良").replace("ブーンという低い音が続く。", "カバーに傷がある。")
    html = outlook_html(other, charset="iso-2022-jp")
    alt = mk.multipart("alternative", [mk.text_part(plain, "ISO-2022-JP"),
                                       mk.text_part(html, "ISO-2022-JP", subtype="html")],
                       "----=_NextPart_001_01DC8B2E.5A7F1C30", preamble="")
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 1, 22, 17, 26))
    return mk.message(h, alt), [R("defect_report", fl)]


@case("205-part-html-table-two-column")
def _c205(name):
    """HTML mail (Shift_JIS, base64) whose fields are a two-column label/value table: <th>
    label cells, a title row spanning both columns, a <br> inside the symptom cell."""
    d = D7
    fl = [F("report_no", "受付番号", "KZ-26-0042"),
          F("report_date", "受付日", "2026/1/23"),
          F("dealer_code", "販売店コード", d.code),
          F("dealer_name", "販売店名", d.name),
          F("dealer_contact", "記入者", d.person),
          F("product_model", "製品型式", "TC-6K-01"),
          F("serial_no", "シリアル番号", "T6K2402C38866"),
          F("supplier", "製造元", "東海電装株式会社"),
          F("install_date", "設置日", "2025/6/14"),
          F("occurred_date", "発生日", "2026/1/21"),
          F("defect_type", "不具合分類", "水濡れ", "WATER"),
          F("symptom", "不具合内容", "融雪水が本体上部から浸入した跡がある。\n内部基板に腐食あり。"),
          F("installer", "施工業者", "北陸電工株式会社"),
          F("customer_name", "お客様氏名", "大西 正人"),
          F("customer_address", "設置先住所", "石川県金沢市西念3-4-1")]
    rows = ['<tr><td colspan="2" style="background:#f0f0f0"><b>市場不具合 連絡票</b></td></tr>']
    for f in fl:
        rows.append('<tr><th align="left">%s</th><td>%s</td></tr>'
                    % (mk.html_escape(f.label), "<br>".join(mk.html_escape(x) for x in f.raw.split("\n"))))
    body = ("<p>品質管理グループ 御中<br>\n<br>\nいつもお世話になっております。<br>\n"
            "石川トヨタ 金沢駅西店の中川です。<br>\n<br>\n下記の通り市場不具合をご連絡いたします。</p>\n"
            '<table border="1" cellspacing="0" cellpadding="3">\n' + "\n".join(rows) +
            "\n</table>\n<p>&nbsp;</p>\n<p>以上、よろしくお願いいたします。</p>\n"
            "<p>石川トヨタ 金沢駅西店<br>\nサービス課 中川 優子<br>\nTEL 076-222-3150</p>")
    html = html_doc(body, "shift_jis", "市場不具合 連絡票")
    h = headers(name, d, "市場不具合のご連絡（石川トヨタ 金沢駅西店）", jst(2026, 1, 23, 11, 11),
                subj_charset="Shift_JIS")
    return mk.message(h, mk.text_part(html, "Shift_JIS", cte="base64", subtype="html")), \
        [R("defect_report", fl)]


@case("206-part-html-table-header-rows")
def _c206(name):
    """An HTML table with a header row of known labels and seven columns: every following
    row is one record (three rows -> three records); the kind comes from the subject."""
    cols = [("report_no", "受付番号"), ("dealer_name", "販売店名"), ("product_model", "型式"),
            ("serial_no", "製造番号"), ("occurred_date", "発生日"), ("defect_type", "不具合区分"),
            ("symptom", "症状")]
    data = [
        ["KS-0118", "トヨタカローラ埼玉 川口店", "TC-6K-01", "T6K2403A11870", "2026/1/14",
         ("充電しない", "NO_CHARGE"), "タイマー設定時刻になっても充電が始まらない。"],
        ["KS-0121", "トヨタモビリティ神奈川 藤沢店", "V2H-P1", "HVP2312B70452", "2026/1/15",
         ("接続エラー", "COMM"), "HEMSとの通信が途切れ、放電制御ができない。"],
        ["KS-0125", "静岡トヨタ 浜松店", "WB-6K-A", "MWB2309C48813", "2026/1/16",
         ("変形", "APPEARANCE"), "ケーブルホルダーが曲がっている。"],
    ]
    recs, trs = [], []
    trs.append("<tr>" + "".join("<th>%s</th>" % lab for _, lab in cols) + "</tr>")
    for row in data:
        fl = []
        for (key, lab), v in zip(cols, row):
            fl.append(F(key, lab, v[0], v[1]) if isinstance(v, tuple) else F(key, lab, v))
        recs.append(R("defect_report", fl))
        trs.append("<tr>" + "".join("<td>%s</td>" % mk.html_escape(f.raw) for f in fl) + "</tr>")
    body = ("<p>品質管理グループ 御中</p>\n<p>いつもお世話になっております。<br>\n"
            "関東施工管理センターの原田です。</p>\n<p>今週受付分の市場不具合は下表の3件です。</p>\n"
            '<table border="1" cellspacing="0">\n' + "\n".join(trs) + "\n</table>\n"
            "<p>ご確認をお願いいたします。</p>\n<p>関東施工管理センター株式会社<br>\n"
            "業務管理部 原田 裕子</p>")
    h = headers(name, KANRI, "市場不具合報告（3件）1月第3週", jst(2026, 1, 19, 8, 30),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(html_doc(body), "UTF-8", cte="8bit", subtype="html")), recs


JPEG = bytes.fromhex("ffd8ffe000104a46494600010101004800480000ffdb004300") + bytes(range(64)) + \
    bytes.fromhex("ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9")


@case("207-part-nested-mixed-alternative-attachment")
def _c207(name):
    """multipart/mixed > (multipart/alternative > text/plain + text/html) + image/jpeg:
    the plain part of the nested alternative is the body; the photo yields nothing."""
    d = D8
    fl = defect_block(d, model="V2H-P1", serial="HVP2404A52276", occurred=("2026/1/24", None),
                      dtype=("破損", "APPEARANCE"), symptom="本体前面カバーが割れている（写真添付）。",
                      supplier="北斗エレクトリック株式会社", installer="有限会社讃岐電気",
                      customer="宮本 沙織", phone="087-834-9013")
    plain = letter(d, render(fl))
    html = outlook_html(plain, "shift_jis")
    alt = mk.multipart("alternative", [mk.text_part(plain, "Shift_JIS", cte="base64"),
                                       mk.text_part(html, "Shift_JIS", cte="base64", subtype="html")],
                       "----=_NextPart_001_0012_01DC8D41.2B6A9E80", preamble="")
    photo = mk.attachment(JPEG, "image/jpeg", "IMG_2041.JPG")
    mixed = mk.multipart("mixed", [alt, photo], "----=_NextPart_000_0011_01DC8D41.2B6A9E80")
    h = headers(name, d, "市場不具合のご報告（香川トヨペット 高松店）写真あり", jst(2026, 1, 26, 13, 50),
                subj_charset="Shift_JIS")
    return mk.message(h, mixed), [R("defect_report", fl)]


# =========================================================================== 3xx layouts
def repair_fields(serial, date, action, part, tech, ret, cause=None, labels=None):
    lb = dict(serial_no="製造番号", repair_date="修理完了日", repair_action="修理内容",
              replaced_part="交換部品", technician="作業者", part_return="部品返却", cause="推定原因")
    lb.update(labels or {})
    fl = [F("serial_no", lb["serial_no"], serial),
          F("repair_date", lb["repair_date"], date[0], AUTO if date[1] is None else date[1]),
          F("repair_action", lb["repair_action"], action),
          F("replaced_part", lb["replaced_part"], part)]
    if cause:
        fl.append(F("cause", lb["cause"], cause))
    fl += [F("technician", lb["technician"], tech),
           F("part_return", lb["part_return"], ret[0], ret[1])]
    return fl


@case("301-layout-colon-fullwidth")
def _c301(name):
    d = D2
    fl = defect_block(d, model="TC-6K-01", serial="T6K2406C71153", occurred=("2026/1/24", None),
                      dtype=("充電不可", "NO_CHARGE"), error="E-05",
                      symptom="充電開始ボタンを押すとエラーE-05が表示され充電できない。",
                      installer="埼玉中央電設株式会社", customer="桑原 進", phone="048-284-3307",
                      address="埼玉県川口市並木2-18-6", vin="MXAA54-4071258",
                      install=("2025/8/30", None), report_date=("2026/1/26", None),
                      report_no="KW-2601-07", contact=True)
    body = letter(d, render(fl, "colon"))
    h = headers(name, d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 26, 9, 15))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("302-layout-colon-ascii")
def _c302(name):
    """'label: value' with an ASCII colon; mostly the English labels (Dealer vs Dealer Code)."""
    d = D4
    fl = [F("report_no", "Report No", "OK-26-0113"),
          F("report_date", "Report Date", "2026-01-27"),
          F("dealer_code", "Dealer Code", d.code),
          F("dealer_name", "Dealer", d.name),
          F("dealer_contact", "Contact", d.person),
          F("product_model", "Model", "V2H-P1"),
          F("serial_no", "Serial No", "HVP2405B66071"),
          F("supplier", "Supplier", "北斗エレクトリック株式会社"),
          F("vin", "VIN", "ZWE211-6034471"),
          F("occurred_date", "発生日", "2026-01-25"),
          F("defect_type", "Defect Type", "通信異常", "COMM"),
          F("error_code", "Error Code", "C-102"),
          F("symptom", "Symptom", "車両との通信が確立せず、放電を開始できない。"),
          F("installer", "Installer", "有限会社倉敷設備"),
          F("customer_name", "Customer", "原 秀樹")]
    body = letter(d, render(fl, "ascii"))
    h = headers(name, d, "市場不具合報告 / Defect Report（岡山トヨペット 倉敷店）", jst(2026, 1, 27, 14, 2),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


@case("303-layout-lenticular-label-value")
def _c303(name):
    """【label】value on one line."""
    d = D7
    fl = repair_fields("T6K2402C38866", ("2026/1/28", None),
                       "融雪水の浸入した本体ユニットを交換し、上部シール材を追加施工。", "TK-UNIT-0601",
                       "北陸電工 山崎", ("要", True), cause="上部カバーのシール不良による浸水。")
    body = letter(d, render(fl, "lent"), intro="標記の件、修理が完了しましたのでご報告いたします。")
    h = headers(name, d, "[MD-2026-00033] 修理完了のご報告", jst(2026, 1, 28, 17, 40))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00033")]


@case("304-layout-square-brackets-colon")
def _c304(name):
    """[label] : value."""
    d = D8
    fl = [F("serial_no", "製造番号", "HVP2404A52276"),
          F("shipped_date", "発送日", "2026/1/29"),
          F("carrier", "運送会社", "佐川急便", "SAGAWA"),
          F("tracking_no", "伝票番号", "3601-4478-2290"),
          F("destination", "送付先", "北斗エレクトリック株式会社 品質管理課")]
    body = letter(d, render(fl, "square"), intro="不具合品を下記の通り発送いたしました。")
    h = headers(name, d, "[MD-2026-00034] 不具合品 発送連絡", jst(2026, 1, 29, 16, 5))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00034")]


@case("305-layout-tab")
def _c305(name):
    """label<TAB>value (pasted from a spreadsheet)."""
    d = D1
    fl = defect_block(d, model="TC-3K-02", serial="T3K2408B15546", occurred=("2026/1/23", None),
                      dtype=("充電しない", "NO_CHARGE"), symptom="タイマー充電の設定時刻になっても充電が開始されない。",
                      installer="株式会社浜松電設", customer="野口 美紀", phone="053-463-0021",
                      report_date=("2026/1/26", None))
    body = letter(d, render(fl, "tab"), intro="下記の通り市場不具合をご報告いたします（Excelより貼り付け）。")
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 1, 26, 11, 38),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


@case("306-layout-padded-colon")
def _c306(name):
    """label　　　：value — full-width spaces pad the label before the colon."""
    d = D6
    fl = defect_block(d, model="TC-6K-01S", serial="T6S2407C02875", occurred=("2026/1/21", None),
                      dtype=("焦げ臭い", "OVERHEAT"), symptom="充電中に本体付近で焦げたような臭いがする。",
                      installer="株式会社肥後電設", customer="坂口 真由美", phone="096-379-6650",
                      report_date=("2026/1/22", None))
    body = letter(d, render(fl, "pad", pad=8))
    assert "型式\u3000\u3000\u3000\u3000\u3000\u3000：" in body
    h = headers(name, d, "市場不具合のご報告（熊本トヨタ 南店）", jst(2026, 1, 22, 10, 4))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("307-layout-next-line-indented")
def _c307(name):
    """A bare label alone on its line, the value on the following line(s) indented with
    full-width spaces; a two-line repair action."""
    d = D3
    fl = repair_fields("T6S2408A44107", ("2026年1月29日", None),
                       "電源基板を交換し、動作確認を実施。\nお客様へ取扱い説明を実施。", "TK-PSU-0207",
                       "田村 洋平", ("要", True),
                       labels=dict(repair_action="処置内容", technician="作業担当者"))
    body = letter(d, render(fl, "next", indent="\u3000"),
                  intro="標記の件、処置が完了しましたのでご報告いたします。")
    h = headers(name, d, "[MD-2026-00035] 処置完了報告", jst(2026, 1, 29, 18, 12))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00035")]


@case("308-layout-next-line-unindented")
def _c308(name):
    """A label alone on its line (【label】 or 'label：' with nothing after the colon), the
    value on the next line(s) without indentation; a two-line symptom."""
    d = D5
    fl = [F("dealer_name", "販売店名", d.name, style="next_lent"),
          F("product_model", "型式", "TC-6K-01", style="next_colon"),
          F("serial_no", "製造番号", "T6K2405A90034", style="next_lent"),
          F("occurred_date", "発生日", "2026/1/27", style="next_colon"),
          F("defect_type", "不具合区分", "充電できない", "NO_CHARGE", style="next_lent"),
          F("symptom", "症状", "充電開始ボタンを押すと一瞬ランプが点くがすぐ消える。\n外気温が氷点下の朝のみ発生。",
            style="next_lent"),
          F("customer_name", "お客様名", "菅原 大地", style="next_colon")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（札幌トヨペット 北24条店）", jst(2026, 1, 28, 8, 47),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), [R("defect_report", fl)]


@case("309-layout-decorated-labels")
def _c309(name):
    """Labels decorated with ■ □ ● ・ * (with and without a space after the mark)."""
    d = D2
    fl = defect_block(d, model="V2H-P1", serial="HVP2409A27718", occurred=("2026/1/26", None),
                      dtype=("表示不良", "DISPLAY"), symptom="操作パネルの表示が薄く、文字が判読できない。",
                      supplier="北斗エレクトリック株式会社", installer="埼玉中央電設株式会社",
                      customer="野村 修", phone="048-267-1109", report_date=("2026/1/27", None))
    marks = (["■", "□ ", "●", "・", "* ", "■ ", "□", "● ", "・ ", "*"] * 2)[:len(fl)]
    body = letter(d, render(fl, prefixes=marks))
    h = headers(name, d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 27, 15, 55))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("310-layout-numbered-labels")
def _c310(name):
    """Labels numbered 1. / (2) / ③ / （４） (full-width, NFKC gives (4))."""
    d = D4
    fl = defect_block(d, model="TC-6K-01", serial="T6K2404B63390", occurred=("2026/1/25", None),
                      dtype=("ケーブル不良", "CABLE"), symptom="ケーブル根元の被覆が裂けて芯線が見える。",
                      installer="有限会社倉敷設備", customer="藤井 千尋", phone="086-422-0876",
                      report_date=("2026/1/27", None), report_no="OK-26-0117")
    nums = ["1. ", "2. ", "(3) ", "(4) ", "⑤ ", "⑥ ", "7. ", "8. ", "(9) ", "(10) ", "⑪ ", "（１２） ", "13. ",
            "14. "][:len(fl)]
    assert "（１２） " in nums
    body = letter(d, render(fl, prefixes=nums))
    h = headers(name, d, "市場不具合のご報告（岡山トヨペット 倉敷店）", jst(2026, 1, 27, 16, 20),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="quoted-printable")), [R("defect_report", fl)]


@case("311-layout-multiline-text")
def _c311(name):
    """Multi-line text values: the symptom ends at a blank line (its second line indented),
    the repair action at the next field line, the cause at a separator line."""
    d = D8
    fl1 = [F("serial_no", "製造番号", "T3K2402A61857"),
           F("repair_date", "修理完了日", "2026/1/30"),
           F("symptom", "症状", "充電開始後、数分で停止する。\n\u3000\u3000\u3000再起動すると一時的に復旧する。")]
    fl2 = [F("repair_action", "処置内容", "本体内部の電源基板を交換。\n端子台の増し締めを実施。\n絶縁抵抗測定、充電動作確認とも良好。"),
           F("replaced_part", "交換部品", "TK-PSU-0207"),
           F("part_return", "部品返却", "要", True),
           F("cause", "推定原因", "電源基板のコンデンサ劣化。\n端子台ねじの緩みによる接触不良も一因と推定。")]
    lines = ["品質管理グループ 御中", "", "いつもお世話になっております。", "香川トヨペット 高松店の岡田です。", "",
             "標記の件、修理が完了しましたので下記の通りご報告いたします。",
             "よろしくお願いいたします。", "", render(fl1), "", render(fl2)]
    lines += signature(d, "-" * 32)
    body = "\n".join(lines) + "\n"
    h = headers(name, d, "[MD-2026-00036] 修理完了報告", jst(2026, 1, 30, 17, 8), subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), \
        [R("repair_report", fl1 + fl2, "MD-2026-00036")]
