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


# =========================================================================== 4xx quoted, forwarded, signatures
def lines_of(*chunks):
    out = []
    for c in chunks:
        out += c if isinstance(c, list) else [c]
    return "\n".join(out) + "\n"


@case("401-reply-quoted-gt-lines")
def _c401(name):
    """A dealer answers a reminder inline: quoted '>' lines carry the same labels with other
    values (and the placeholders) and must be ignored; only the dealer's lines count."""
    d = D1
    fl1 = [F("product_model", "型式", "TC-6K-01"),
           F("serial_no", "製造番号", "T6K2310A50231"),
           F("occurred_date", "発生日", "2026/1/9"),
           F("defect_type", "不具合区分", "充電不可", "NO_CHARGE")]
    fl2 = [F("symptom", "症状", "充電ケーブルを接続しても充電が始まらない。")]
    body = lines_of("品質管理グループ", "高田様", "", "いつもお世話になっております。",
                    "静岡トヨタ 浜松店の山本です。", "", "ご依頼の件、下記の通り回答いたします。", "",
                    "> 【ご入力のお願い】[MD-2026-00012]", "> 以下の項目が未入力または確認が必要です。",
                    "> 型式：TC-3K-02", "> 製造番号：（未入力）", "> 発生日：（未入力）", "> 不具合区分：（未入力）",
                    "", render(fl1), "", "> 症状：充電できない", "> 上記で相違ないかご確認ください。", "",
                    render(fl2), "", "以上、よろしくお願いいたします。", "", signature(d))
    h = headers(name, d, "Re: 【ご入力のお願い】[MD-2026-00012] 市場不具合 未入力項目のご確認",
                jst(2026, 1, 20, 13, 44))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), \
        [R("defect_report", fl1 + fl2, "MD-2026-00012")]


ORIG_QA_REPAIR = ["トヨタカローラ埼玉 川口店", "小林様", "", "お世話になっております。品質管理グループの高田です。",
                  "下記の不具合について、修理完了報告が未着です。", "ご返信にて下記項目をご記入ください。", "",
                  "型式：V2H-P1", "製造番号：HVP2402B10457", "修理完了日：（ご記入ください）",
                  "修理内容：（ご記入ください）", "交換部品：（ご記入ください）", "作業者：（ご記入ください）",
                  "部品返却：不要", "", "以上、よろしくお願いいたします。"]


@case("402-reply-outlook-original-message")
def _c402(name):
    """RE: … with an Outlook '-----Original Message-----' block: the original below it (not
    '>'-quoted) holds labels with other values and is ignored because the subject is a reply."""
    d = D2
    fl = repair_fields("HVP2402B10457", ("2026/1/30", None),
                       "コネクタ付きケーブルASSYを交換し、充放電の動作確認を実施。", "HK-CBL-0610",
                       "埼玉中央電設 吉川", ("あり", True))
    body = lines_of("品質管理グループ 高田様", "", "お世話になっております。", "トヨタカローラ埼玉 川口店の小林です。", "",
                    "ご連絡が遅くなり申し訳ございません。", "修理が完了しましたので、下記の通りご報告いたします。", "",
                    render(fl), "", "以上、よろしくお願いいたします。", "",
                    "トヨタカローラ埼玉 川口店", "サービス課 小林 真一", "TEL：048-251-7710", "",
                    "-----Original Message-----", "From: 品質管理グループ <ev-quality@example.co.jp>",
                    "Sent: Wednesday, January 28, 2026 9:00 AM", "To: kobayashi@kawaguchi.corolla-saitama.example.jp",
                    "Subject: [MD-2026-00014] 修理完了報告のお願い", "", ORIG_QA_REPAIR)
    h = headers(name, d, "RE: [MD-2026-00014] 修理完了報告のお願い", jst(2026, 1, 30, 18, 2))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00014")]


@case("403-reply-outlook-underscore-from-block")
def _c403(name):
    """RE: … with Outlook's '________________________________' + From:/Sent:/To:/Subject:
    block; the original below holds other destination and carrier values: ignored."""
    d = D3
    fl = [F("serial_no", "製造番号", "T6S2408A44107"),
          F("shipped_date", "発送日", "2026/2/2"),
          F("carrier", "運送会社", "佐川急便", "SAGAWA"),
          F("tracking_no", "伝票番号", "3601-4478-2301")]
    body = lines_of("品質管理グループ 高田様", "", "お世話になっております。", "藤沢店の石川です。", "",
                    "ご依頼の不具合品、本日発送いたしました。", "", render(fl), "",
                    "よろしくお願いいたします。", "", "_" * 32,
                    "From: 品質管理グループ <ev-quality@example.co.jp>", "Sent: Friday, January 30, 2026 10:15",
                    "To: 石川 美穂 <m-ishikawa@fujisawa.tm-kanagawa.example.jp>",
                    "Subject: [MD-2026-00015] 不具合品返却のお願い", "", "石川様", "",
                    "修理完了報告ありがとうございました。", "不具合品の返却を下記の通りお願いいたします。", "",
                    "送付先：東海電装株式会社 品質保証部 解析センター", "運送会社：ヤマト運輸（着払い）", "",
                    "よろしくお願いいたします。")
    h = headers(name, d, "RE: [MD-2026-00015] 不具合品発送のご連絡", jst(2026, 2, 2, 15, 31))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00015")]


@case("404-reply-on-wrote")
def _c404(name):
    """Re: … with an 'On …, … wrote:' header followed by the original, unquoted: ignored."""
    d = D4
    fl = [F("error_code", "エラーコード", "E-21"),
          F("install_date", "設置日", "2025/10/4"),
          F("installer", "施工会社", "有限会社倉敷設備")]
    body = lines_of("高田様", "", "お世話になっております。岡山トヨペット 倉敷店の森です。", "",
                    "ご質問の件、確認しましたので回答いたします。", "", render(fl), "",
                    "以上です。よろしくお願いいたします。", "",
                    "On Thu, 29 Jan 2026 at 10:02, 品質管理グループ <ev-quality@example.co.jp> wrote:",
                    "森様", "", "お世話になっております。品質管理グループです。",
                    "先日ご報告いただいた下記の件、追加で確認させてください。", "",
                    "型式：WB-6K-A", "製造番号：MWB2403A55120", "エラーコード：（表示内容をご記入ください）",
                    "設置日：（ご記入ください）", "", "よろしくお願いいたします。")
    h = headers(name, d, "Re: [MD-2026-00016] 市場不具合 追加情報のお願い", jst(2026, 1, 29, 16, 48),
                subj_charset="UTF-8", mailer="Mozilla Thunderbird 115.6")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), [R("defect_report", fl, "MD-2026-00016")]


@case("405-reply-japanese-no-message")
def _c405(name):
    """Re: … with a Japanese '…のメッセージ:' reply header; the dealer's own earlier report
    follows unquoted (with the wrong serial) and is ignored."""
    d = D5
    fl = [F("serial_no", "製造番号", "T3K2406A72251"),
          F("occurred_date", "発生日", "2026/1/14")]
    orig = ["品質管理グループ 御中", "", "下記の通り市場不具合をご報告いたします。", "",
            "販売店コード：D0115", "型式：TC-3K-02", "製造番号：T3K2406A72215", "発生日：2026/1/15",
            "不具合区分：通信不良", "", "以上、よろしくお願いいたします。"]
    body = lines_of("品質管理グループ 御中", "", "お世話になっております。", "札幌トヨペット 北24条店の佐藤です。", "",
                    "先ほどの報告に誤りがありましたので、下記の通り訂正いたします。", "", render(fl), "",
                    "大変失礼いたしました。", "",
                    "2026/01/16 12:31、佐藤 玲奈 <r-sato@kita24.sapporo-toyopet.example.jp> のメッセージ:", "", orig)
    h = headers(name, d, "Re: 市場不具合のご報告（札幌トヨペット 北24条店）", jst(2026, 1, 16, 14, 2),
                subj_charset="UTF-8", mailer="iPhone Mail (21D61)")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="quoted-printable")), [R("defect_report", fl)]


@case("406-forward-fwd-gmail")
def _c406(name):
    """Fwd: … with Gmail's '---------- Forwarded message ---------' header: the forwarded
    report is read (the original sender's '-- ' signature after it is still a signature)."""
    d = D6
    fl = defect_block(d, model="TC-6K-01", serial="T6K2407B81145", occurred=("2026/1/26", None),
                      dtype=("ブレーカー遮断", "BREAKER_TRIP"), symptom="充電開始と同時に専用回路のブレーカーが遮断する。",
                      installer="株式会社肥後電設", customer="内田 浩二", phone="096-377-4418",
                      report_date=("2026/1/27", None))
    orig = letter(d, render(fl), to="品質管理グループ 高田様").rstrip("\n").split("\n")
    body = lines_of("品質管理G 各位", "", "熊本トヨタ 南店から個人アドレス宛に届いた報告を転送します。",
                    "登録をお願いします。", "", "---------- Forwarded message ---------",
                    "From: 松田 翔太 <s-matsuda@minami.kumamoto-toyota.example.jp>",
                    "Date: 2026年1月27日(火) 18:05", "Subject: 市場不具合のご報告（熊本トヨタ 南店）",
                    "To: 高田 浩之 <h-takada@example.co.jp>", "", "", orig)
    h = headers(name, ("高田 浩之", "h-takada@example.co.jp"), "Fwd: 市場不具合のご報告（熊本トヨタ 南店）",
                jst(2026, 1, 28, 8, 31), subj_charset="UTF-8", mailer="Gmail")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


@case("407-forward-fw-outlook-underscore-sashidashinin")
def _c407(name):
    """FW: … with Outlook's '________________________________' line followed by a Japanese
    差出人:/送信日時:/宛先:/件名: block: the separator is part of the forward header, not a
    signature, and the forwarded repair report is read."""
    d = D7
    fl = repair_fields("T6K2402C38866", ("2026/1/29", None), "漏電検出基板を交換し、絶縁抵抗測定で良好を確認。",
                       "TK-PCB-0112", "北陸電工 山崎", ("不要", False),
                       labels=dict(repair_date="作業完了日", repair_action="作業内容"))
    orig = letter(d, render(fl), to="高田様", intro="標記の件、修理が完了しましたのでご報告いたします。",
                  sep=None).rstrip("\n").split("\n")
    body = lines_of("関係各位", "", "金沢駅西店より修理完了報告が届きましたので転送します。", "", "_" * 32,
                    "差出人: 中川 優子 <y-nakagawa@ekinishi.ishikawa-toyota.example.jp>",
                    "送信日時: 2026年1月29日 16:40", "宛先: 高田 浩之 <h-takada@example.co.jp>",
                    "件名: [MD-2026-00018] 修理完了報告（金沢駅西店）", "", orig)
    h = headers(name, ("高田 浩之", "h-takada@example.co.jp"), "FW: [MD-2026-00018] 修理完了報告（金沢駅西店）",
                jst(2026, 1, 30, 9, 2))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00018")]


@case("408-forward-tensou-thunderbird")
def _c408(name):
    """転送: … with Thunderbird's '-------- 転送メッセージ --------' header (件名/日付/差出人/宛先
    with tabs): the forwarded shipment notice is read."""
    d = D8
    fl = [F("serial_no", "製造番号", "T3K2402A61857"),
          F("shipped_date", "返送日", "2026/1/30"),
          F("carrier", "宅配業者", "日本郵便", "JPPOST"),
          F("tracking_no", "お問い合わせ番号", "1234-5678-9012"),
          F("destination", "返却先", "東海電装株式会社 解析センター")]
    orig = letter(d, render(fl), to="高田様", intro="不具合品を下記の通り返送いたしました。").rstrip("\n").split("\n")
    body = lines_of("品質管理G 各位", "", "高松店からの返送連絡です。", "", "-------- 転送メッセージ --------",
                    "件名: \t[MD-2026-00019] 不具合品返送のご連絡", "日付: \tFri, 30 Jan 2026 11:20:41 +0900",
                    "差出人: \t岡田 誠 <m-okada@takamatsu.kagawa-toyopet.example.jp>",
                    "宛先: \t高田 浩之 <h-takada@example.co.jp>", "", "", orig)
    h = headers(name, ("高田 浩之", "h-takada@example.co.jp"), "転送: [MD-2026-00019] 不具合品返送のご連絡",
                jst(2026, 1, 30, 13, 15), mailer="Mozilla Thunderbird 115.6")
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00019")]


def sig_with_labels(d, sep, addr):
    return [sep, d.name, "%s　%s" % (d.dept, d.person), "担当者：%s" % d.person, "住所：%s" % addr,
            "電話番号：%s" % d.tel, "FAX：%s" % d.fax, "Mail：%s" % d.mail]


@case("410-signature-dashdash-with-labels")
def _c410(name):
    """After '-- ' the signature holds label-like lines (担当者：, 住所：, 電話番号：): ignored."""
    d = D1
    fl = defect_block(d, model="TC-6K-01S", serial="T6S2409B14420", occurred=("2026/1/28", None),
                      dtype=("充電できない", "NO_CHARGE"), symptom="車両側で充電エラーとなり充電できない。",
                      installer="株式会社浜松電設", customer=None, phone=None, report_date=("2026/1/29", None))
    body = lines_of("品質管理グループ 御中", "", "いつもお世話になっております。", "静岡トヨタ 浜松店の山本です。", "",
                    "下記の通り市場不具合をご報告いたします。", "", render(fl), "", "以上、よろしくお願いいたします。", "",
                    sig_with_labels(d, "-- ", "静岡県浜松市中央区佐藤2-25-1"))
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 1, 29, 10, 40))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("411-signature-box-drawing-rule")
def _c411(name):
    """Signature after a line of ─ (box drawing) characters, with label-like lines: ignored."""
    d = D2
    fl = repair_fields("T6K2406C71153", ("2026/1/31", None), "通信ユニットを交換し、エラーが出ないことを確認。",
                       "TK-COM-0033", "埼玉中央電設 吉川", ("〇", True))
    body = lines_of("品質管理グループ 御中", "", "お世話になっております。", "トヨタカローラ埼玉 川口店の小林です。", "",
                    "修理が完了しましたのでご報告いたします。", "", render(fl), "", "以上、よろしくお願いいたします。", "",
                    sig_with_labels(d, "─" * 24, "埼玉県川口市本町4-3-2"))
    h = headers(name, d, "[MD-2026-00037] 修理完了報告", jst(2026, 1, 31, 12, 5))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00037")]


@case("412-signature-equals-rule")
def _c412(name):
    """Signature after a line of '=' characters, with label-like lines: ignored."""
    d = D3
    fl = [F("serial_no", "製造番号", "T6S2408A44107"),
          F("shipped_date", "出荷日", "2026/2/3"),
          F("carrier", "運送会社", "福山通運", "FUKUYAMA"),
          F("tracking_no", "送り状番号", "7730-2291-5508")]
    body = lines_of("品質管理グループ 御中", "", "お世話になっております。", "トヨタモビリティ神奈川 藤沢店の石川です。", "",
                    "不具合品を下記の通り出荷しました。", "", render(fl), "", "よろしくお願いいたします。", "",
                    sig_with_labels(d, "=" * 30, "神奈川県藤沢市藤沢1008-5"))
    h = headers(name, d, "[MD-2026-00038] 不具合品出荷のご連絡", jst(2026, 2, 3, 17, 20))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00038")]


@case("413-signature-asterisk-rule")
def _c413(name):
    """Signature after a line of '*' characters, with label-like lines: ignored."""
    d = D4
    fl = defect_block(d, model="WB-6K-A", serial="MWB2405C17730", occurred=("2026/1/29", None),
                      dtype=("錆", "APPEARANCE"), symptom="本体取付金具に赤錆が広がっている。",
                      installer="有限会社倉敷設備", customer=None, phone=None)
    body = lines_of("品質管理グループ 御中", "", "お世話になっております。", "岡山トヨペット 倉敷店の森です。", "",
                    "下記の通り市場不具合をご報告いたします。", "", render(fl), "", "以上です。", "",
                    sig_with_labels(d, "*" * 28, "岡山県倉敷市笹沖1230-1"))
    h = headers(name, d, "市場不具合のご報告（岡山トヨペット 倉敷店）", jst(2026, 1, 30, 9, 55),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


# =========================================================================== 5xx tables
def table(header, rows, kinds, ref=None):
    """header: list of (key, label) — key None for an unknown column, "ref" for the
    defect_ref column; rows: lists of cells, a cell is raw text, (raw, want) or "" (empty).
    kinds: one kind for every row or a list (one per row, written by hand from SPEC §2).
    ref: the defect_ref every row takes when the table has no ref column (the subject's).
    Returns (cells for the file, expected records)."""
    recs = []
    for i, row in enumerate(rows):
        assert len(row) == len(header), row
        fl, rref = [], ref
        for (key, lab), cell in zip(header, row):
            raw, want = cell if isinstance(cell, tuple) else (cell, AUTO)
            if raw in ("", None) or key is None:
                continue
            if key == "ref":
                rref = fold_dashes(nfkc(raw))
                continue
            fl.append(F(key, lab, raw, want))
        recs.append(R(kinds if isinstance(kinds, str) else kinds[i], fl, rref))
    cells = [[lab for _, lab in header]]
    for row in rows:
        cells.append([c[0] if isinstance(c, tuple) else c for c in row])
    return cells, recs


def note_body(sender, lines):
    return "\n".join(["品質管理グループ 御中", "", "いつもお世話になっております。",
                      "%sの%sです。" % (sender.name.replace("株式会社", ""), sender.family), ""] + lines +
                     ["", "よろしくお願いいたします。", ""] + signature(sender)) + "\n"


def with_attachments(body_part, atts, boundary):
    return mk.multipart("mixed", [body_part] + atts, boundary)


WEEKLY_HDR = [("report_no", "受付番号"), ("report_date", "受付日"), ("dealer_code", "販売店コード"),
              ("dealer_name", "販売店名"), ("product_model", "型式"), ("serial_no", "製造番号"),
              ("occurred_date", "発生日"), ("defect_type", "不具合区分"), ("symptom", "症状"),
              ("installer", "施工会社")]


@case("501-csv-utf8")
def _c501(name):
    """text/csv, UTF-8 without BOM, header in the first row, three rows -> three records."""
    rows = [
        ["KS-0101", "2026/1/19", "D1450", "トヨタカローラ埼玉 川口店", "TC-6K-01", "T6K2403A11870",
         "2026/1/14", ("充電不可", "NO_CHARGE"), "充電が開始されない。", "埼玉中央電設株式会社"],
        ["KS-0102", "2026/1/19", "D1822", "トヨタモビリティ神奈川 藤沢店", "TC-3K-02", "T3K2407A30019",
         "2026/1/16", ("異音", "NOISE"), "充電中に本体から異音がする。", "株式会社湘南電工"],
        ["KS-0103", "2026/1/19", "D3307", "静岡トヨタ 浜松店", "V2H-P1", "HVP2406C55402",
         "2026/1/17", ("通信エラー", "COMM"), "アプリから本体に接続できない。", "株式会社浜松電設"],
    ]
    cells, recs = table(WEEKLY_HDR, rows, "defect_report")
    text = note_body(KANRI, ["今週分（3件）の一覧を添付にてお送りします。", "ご確認をお願いいたします。"])
    att = mk.attachment(mk.csv_bytes(cells), 'text/csv; charset="UTF-8"', "市場不具合報告_0119.csv", "rfc2047")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_501_1768781400")
    h = headers(name, KANRI, "市場不具合報告（週次）1月第3週分", jst(2026, 1, 19, 8, 10))
    return mk.message(h, mp), recs


@case("502-csv-utf8-bom-title-rows")
def _c502(name):
    """UTF-8 with BOM; two title rows and an empty row before the header row; other labels
    of the same fields (報告日, 販社コード, 販社名, 製品型式, シリアル番号, 不具合発生日 …)."""
    hdr = [("report_no", "受付番号"), ("report_date", "報告日"), ("dealer_code", "販社コード"),
           ("dealer_name", "販社名"), ("product_model", "製品型式"), ("serial_no", "シリアル番号"),
           ("occurred_date", "不具合発生日"), ("defect_type", "不具合種別"), ("symptom", "不具合内容"),
           ("installer", "施工業者")]
    rows = [
        ["KS-0111", "2026/1/26", "D0115", "札幌トヨペット 北24条店", "TC-6K-01S", "T6S2405B30288",
         "2026/1/20", ("LED不点灯", "DISPLAY"), "状態表示LEDが点灯しない。", "北央電設株式会社"],
        ["KS-0112", "2026/1/26", "D5110", "石川トヨタ 金沢駅西店", "TC-6K-01", "T6K2310B77410",
         "2026/1/21", ("浸水", "WATER"), "端子台に水が溜まっていた。", "北陸電工株式会社"],
        ["KS-0113", "2026/1/26", "D7205", "香川トヨペット 高松店", "TC-3K-02", "T3K2402A61857",
         "2026/1/22", ("過熱", "OVERHEAT"), "本体側面が異常に熱い。", "有限会社讃岐電気"],
        ["KS-0114", "2026/1/26", "D8302", "熊本トヨタ 南店", "V2H-P1", "HVP2311A08764",
         "2026/1/23", ("異音", "NOISE"), "放電中にカタカタ音がする。", "株式会社肥後電設"],
    ]
    cells, recs = table(hdr, rows, "defect_report")
    n = len(hdr)
    cells = ([["市場不具合 週次報告（関東施工管理センター）"] + [""] * (n - 1),
              ["対象期間：2026/1/19～2026/1/25"] + [""] * (n - 1), [""] * n] + cells)
    text = note_body(KANRI, ["1月第4週分（4件）の一覧を添付いたします。"])
    att = mk.attachment(mk.csv_bytes(cells, bom=True), "text/csv", "weekly_report_0126.csv")
    mp = with_attachments(mk.text_part(text, "UTF-8", cte="base64"), [att], "----=_Part_502_1769386200")
    h = headers(name, KANRI, "市場不具合報告（週次）1月第4週分", jst(2026, 1, 26, 8, 10), subj_charset="UTF-8")
    return mk.message(h, mp), recs


@case("503-csv-cp932-reordered-unknown-columns")
def _c503(name):
    """CP932 CSV sent as application/vnd.ms-excel with a .csv name (as Windows Outlook does);
    columns in another order and unknown columns (No., 地域, 備考) that are ignored."""
    hdr = [(None, "No."), ("serial_no", "製造番号"), ("product_model", "型式"), ("occurred_date", "発生日"),
           (None, "地域"), ("defect_type", "不具合区分"), ("symptom", "症状"), ("dealer_name", "販売店名"),
           (None, "備考")]
    rows = [
        ["1", "T6K2406C71153", "TC-6K-01", "2026/1/24", "関東", ("充電不可", "NO_CHARGE"),
         "エラーE-05で充電できない。", "トヨタカローラ埼玉 川口店", "写真あり"],
        ["2", "MWB2405C17730", "WB-6K-A", "2026/1/25", "中国", ("錆", "APPEARANCE"),
         "取付金具に錆。", "岡山トヨペット 倉敷店", ""],
        ["3", "HVP2409A27718", "V2H-P1", "2026/1/26", "関東", ("表示不良", "DISPLAY"),
         "操作パネルの表示が薄い。", "トヨタカローラ埼玉 川口店", "再発"],
    ]
    cells, recs = table(hdr, rows, "defect_report")
    text = note_body(KANRI, ["集計表（CSV）を添付します。"])
    att = mk.attachment(mk.csv_bytes(cells, encoding="cp932"), "application/vnd.ms-excel", "fuguai_list_0127.csv")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_NextPart_000_0503_01DC8F3A.1C2B3D40")
    h = headers(name, KANRI, "市場不具合報告 集計表送付（1/27）", jst(2026, 1, 27, 17, 45))
    return mk.message(h, mp), recs


@case("504-csv-quoted-comma-newline")
def _c504(name):
    """RFC 4180 quoting: a cell with commas, a cell with a line break (-> \\n in the text),
    a cell with doubled quotes."""
    rows = [
        ["KS-0121", "2026/1/27", "D1822", "トヨタモビリティ神奈川 藤沢店", "TC-3K-02", "T3K2404C20931",
         "2026/1/18", ("ブレーカーが落ちる", "BREAKER_TRIP"),
         "充電開始後、2～3分でブレーカーが落ちる。", "株式会社湘南電工, 藤沢営業所"],
        ["KS-0122", "2026/1/27", "D3307", "静岡トヨタ 浜松店", "TC-6K-01", "T6K2401B05518",
         "2026/1/22", ("異音", "NOISE"), "充電中に低い音が続く。\n夜間のみ発生、昼間は発生しない。",
         "株式会社浜松電設"],
        ["KS-0123", "2026/1/27", "D6604", "岡山トヨペット 倉敷店", "WB-6K-A", "MWB2403A55120",
         "2026/1/12", ("通信エラー", "COMM"), 'アプリに "接続できません" と表示される。', "有限会社倉敷設備"],
    ]
    cells, recs = table(WEEKLY_HDR, rows, "defect_report")
    recs[0]["fields"]["symptom"] = "充電開始後、2~3分でブレーカーが落ちる。"    # NFKC of ～
    raw = mk.csv_bytes(cells, bom=True)
    assert b'"\xe6\xa0\xaa\xe5\xbc\x8f' in raw and b'""' in raw
    text = note_body(KANRI, ["追加分3件を送付します。"])
    att = mk.attachment(raw, "text/csv", "add_0127.csv")
    mp = with_attachments(mk.text_part(text, "UTF-8", cte="8bit"), [att], "----=_Part_504_1769489000")
    h = headers(name, KANRI, "市場不具合報告（追加分）", jst(2026, 1, 27, 18, 3), subj_charset="UTF-8")
    return mk.message(h, mp), recs


@case("505-csv-defect-ref-column")
def _c505(name):
    """A 不具合管理番号 column gives each row's defect_ref; CP932; shipment list (返送)."""
    hdr = [("ref", "不具合管理番号"), ("serial_no", "製造番号"), ("shipped_date", "返送日"),
           ("carrier", "配送業者"), ("tracking_no", "送り状番号")]
    rows = [
        ["MD-2026-00021", "T6K2403A11870", "2026/1/28", ("ヤマト運輸", "YAMATO"), "4512-8830-1301"],
        ["MD-2026-00024", "T3K2407A30019", "2026/1/28", ("佐川急便", "SAGAWA"), "3601-4478-2335"],
        ["MD-2026-00025", "HVP2406C55402", "2026/1/29", ("ゆうパック", "JPPOST"), "5566-7788-9900"],
    ]
    cells, recs = table(hdr, rows, "shipment_notice")
    text = note_body(KANRI, ["1月分の不具合品返送一覧をお送りします。"])
    att = mk.attachment(mk.csv_bytes(cells, encoding="cp932"), "text/csv", "返送一覧_202601.csv", "rfc2047")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_505_1769650000")
    h = headers(name, KANRI, "不具合品 返送一覧（1月分）", jst(2026, 1, 29, 18, 30))
    return mk.message(h, mp), recs


@case("506-csv-kind-from-row-fields")
def _c506(name):
    """A neutral subject (no keyword): each row's kind comes from its own fields — rows with
    受領日 or 解析結果 are part_receipt, a row with only shipping data is shipment_notice."""
    hdr = [("ref", "管理番号"), ("serial_no", "製造番号"), ("shipped_date", "発送日"), ("carrier", "運送会社"),
           ("tracking_no", "伝票番号"), ("received_date", "受領日"), ("analysis_result", "解析結果")]
    rows = [
        ["MD-2026-00021", "T6K2403A11870", "2026/1/28", ("ヤマト運輸", "YAMATO"), "4512-8830-1301",
         "2026/1/30", "リレー接点の溶着を確認。"],
        ["MD-2026-00024", "T3K2407A30019", "2026/1/28", ("佐川急便", "SAGAWA"), "3601-4478-2335", "", ""],
        ["MD-2026-00025", "HVP2406C55402", "", "", "", "2026/1/31", ""],
        ["MD-2026-00019", "T3K2402A61857", "", "", "", "", "電源基板のはんだクラックを確認。"],
    ]
    kinds = ["part_receipt", "shipment_notice", "part_receipt", "part_receipt"]
    cells, recs = table(hdr, rows, kinds)
    text = note_body(SUP1, ["1月第5週時点の返却品の状況を添付にてお知らせします。"])
    att = mk.attachment(mk.csv_bytes(cells, bom=True), "text/csv", "henkyaku_status_0202.csv")
    mp = with_attachments(mk.text_part(text, "UTF-8", cte="base64"), [att], "----=_Part_506_1769990000")
    h = headers(name, SUP1, "【東海電装】返却品状況一覧（2/2時点）", jst(2026, 2, 2, 9, 0), subj_charset="UTF-8")
    return mk.message(h, mp), recs


@case("507-xlsx-shared-inline-dates-gaps")
def _c507(name):
    """Hand-built XLSX: two title rows and a missing row before the header, an unknown
    numeric 'No.' column and an unknown 備考 column, shared strings, one inline string cell,
    dates as serial numbers with a custom date format (yyyy/m/d), one date typed as text,
    a row whose エラーコード cell is absent (cell refs skip the column), a cell with a line break."""
    X = mk.XDate
    hdr = ["No.", "受付番号", "受付日", "販売店名", "型式", "製造番号", "発生日", "不具合区分", "エラーコード", "症状", "備考"]
    d = datetime.date
    sheet = [
        (1, ["市場不具合 週次報告（1月第5週）"]),
        (2, ["作成：関東施工管理センター 業務管理部"]),
        (4, hdr),
        (5, [mk.XNum(1), "KS-0131", X(d(2026, 2, 2)), "静岡トヨタ 浜松店", "TC-6K-01S", "T6S2409B14420",
             X(d(2026, 1, 28)), "充電できない", "E-05", "車両側で充電エラーとなる。", "写真あり"]),
        (6, [mk.XNum(2), mk.XInline("KS-0132"), X(d(2026, 2, 2)), "熊本トヨタ 南店", "TC-6K-01", "T6K2407B81145",
             X(d(2026, 1, 26)), "ブレーカー遮断", None, "充電開始と同時にブレーカーが遮断する。", None]),
        (7, [mk.XNum(3), "KS-0133", X(d(2026, 2, 2)), "札幌トヨペット 北24条店", "TC-6K-01", "T6K2405A90034",
             "2026/1/27", "充電できない", "E-05", "一瞬ランプが点くがすぐ消える。\n氷点下の朝のみ発生。", ""]),
    ]
    recs = [
        R("defect_report", {"report_no": "KS-0131", "report_date": "2026-02-02", "dealer_name": "静岡トヨタ 浜松店",
                            "product_model": "TC-6K-01S", "serial_no": "T6S2409B14420", "occurred_date": "2026-01-28",
                            "defect_type": "NO_CHARGE", "error_code": "E-05", "symptom": "車両側で充電エラーとなる。"}),
        R("defect_report", {"report_no": "KS-0132", "report_date": "2026-02-02", "dealer_name": "熊本トヨタ 南店",
                            "product_model": "TC-6K-01", "serial_no": "T6K2407B81145", "occurred_date": "2026-01-26",
                            "defect_type": "BREAKER_TRIP", "symptom": "充電開始と同時にブレーカーが遮断する。"}),
        R("defect_report", {"report_no": "KS-0133", "report_date": "2026-02-02",
                            "dealer_name": "札幌トヨペット 北24条店", "product_model": "TC-6K-01",
                            "serial_no": "T6K2405A90034", "occurred_date": "2026-01-27", "defect_type": "NO_CHARGE",
                            "error_code": "E-05", "symptom": "一瞬ランプが点くがすぐ消える。\n氷点下の朝のみ発生。"}),
    ]
    assert mk.excel_serial(d(2026, 2, 2)) == 46055
    data = mk.xlsx_bytes(sheet, "週次報告")
    text = note_body(KANRI, ["1月第5週分（3件）をExcelにてお送りします。"])
    att = mk.attachment(data, mk.XLSX_TYPE, "市場不具合報告_0202.xlsx", "rfc2047")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_507_1770000000")
    h = headers(name, KANRI, "市場不具合報告（週次）1月第5週分", jst(2026, 2, 2, 8, 15))
    return mk.message(h, mp), recs


@case("508-xlsx-builtin-date-format-md-column")
def _c508(name):
    """XLSX whose date cells use the built-in number format 14 (what Excel writes for a
    plain date) and whose MD番号 column gives each row's defect_ref; part_receipt by subject."""
    X = mk.XDate
    d = datetime.date
    sheet = [
        (1, ["MD番号", "製造番号", "受領日", "解析結果", "備考"]),
        (2, ["MD-2026-00021", "T6K2403A11870", X(d(2026, 1, 30), 2), mk.XInline("リレー接点の溶着を確認。"), "ロット調査中"]),
        (3, ["MD-2026-00025", "HVP2406C55402", X(d(2026, 1, 31), 2), mk.XInline("再現せず。通信ユニット単体は正常。"), None]),
    ]
    recs = [
        R("part_receipt", {"serial_no": "T6K2403A11870", "received_date": "2026-01-30",
                           "analysis_result": "リレー接点の溶着を確認。"}, "MD-2026-00021"),
        R("part_receipt", {"serial_no": "HVP2406C55402", "received_date": "2026-01-31",
                           "analysis_result": "再現せず。通信ユニット単体は正常。"}, "MD-2026-00025"),
    ]
    data = mk.xlsx_bytes(sheet, "解析結果")
    text = note_body(SUP2, ["1月受領分の解析結果をお送りします。"])
    att = mk.attachment(data, mk.XLSX_TYPE, "kaiseki_202601.xlsx")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_508_1770100000")
    h = headers(name, SUP2, "解析結果のご報告（1月受領分）", jst(2026, 2, 3, 14, 0))
    return mk.message(h, mp), recs


@case("509-multi-body-plus-csv")
def _c509(name):
    """One record in the body and two in a CSV attachment: body first, then the rows."""
    d = D1
    fl = defect_block(d, model="TC-6K-01", serial="T6K2409C66012", occurred=("2026/1/30", None),
                      dtype=("充電不可", "NO_CHARGE"), symptom="充電ケーブル接続後、エラー表示となり充電できない。",
                      installer="株式会社浜松電設", customer="島田 恵", phone="053-455-7020")
    hdr = [("product_model", "型式"), ("serial_no", "製造番号"), ("occurred_date", "発生日"),
           ("defect_type", "不具合区分"), ("symptom", "症状")]
    rows = [["TC-6K-01", "T6K2409C66013", "2026/1/30", ("充電不可", "NO_CHARGE"), "同上の症状。"],
            ["TC-6K-01", "T6K2409C66020", "2026/1/31", ("充電不可", "NO_CHARGE"), "同上の症状。同一集合住宅。"]]
    cells, recs = table(hdr, rows, "defect_report")
    body = letter(d, render(fl), intro="同一ロットと思われる不具合が3件発生しました。\n1件目は下記の通りです。残り2件は添付一覧をご確認ください。")
    att = mk.attachment(mk.csv_bytes(cells, encoding="cp932"), "text/csv", "tsuika_2ken.csv")
    mp = with_attachments(mk.text_part(body, "ISO-2022-JP"), [att], "----=_Part_509_1770200000")
    h = headers(name, d, "市場不具合のご報告（3件）静岡トヨタ 浜松店", jst(2026, 2, 2, 11, 20))
    return mk.message(h, mp), [R("defect_report", fl)] + recs


@case("510-multi-body-xlsx-csv-order")
def _c510(name):
    """Body record, then the XLSX rows, then the CSV row — attachments in MIME order."""
    d = D4
    fl = [F("serial_no", "製造番号", "MWB2405C17730"),
          F("repair_date", "修理完了日", "2026/2/3"),
          F("repair_action", "修理内容", "取付金具を防錆仕様品に交換。"),
          F("replaced_part", "交換部品", "TK-BRK-0090"),
          F("part_return", "部品返却", "不要", False)]
    X = mk.XDate
    sheet = [(1, ["製造番号", "修理完了日", "修理内容", "交換部品"]),
             (2, ["MWB2403A55120", X(datetime.date(2026, 2, 2)), "通信ユニットを交換。", "TK-COM-0033"]),
             (3, ["HVP2405B66071", X(datetime.date(2026, 2, 3)), "車両通信ケーブルを交換。", "HK-CBL-0611"])]
    xrecs = [R("repair_report", {"serial_no": "MWB2403A55120", "repair_date": "2026-02-02",
                                 "repair_action": "通信ユニットを交換。", "replaced_part": "TK-COM-0033"}),
             R("repair_report", {"serial_no": "HVP2405B66071", "repair_date": "2026-02-03",
                                 "repair_action": "車両通信ケーブルを交換。", "replaced_part": "HK-CBL-0611"})]
    cells, crecs = table([("serial_no", "製造番号"), ("repair_date", "修理完了日"), ("repair_action", "修理内容")],
                         [["T6K2404B63390", "2026/2/4", "ケーブルASSYを交換。"]], "repair_report")
    body = letter(d, render(fl), intro="標記の件、修理が完了しました。他店舗分は添付をご確認ください。")
    atts = [mk.attachment(mk.xlsx_bytes(sheet), mk.XLSX_TYPE, "shuuri_kanryou.xlsx"),
            mk.attachment(mk.csv_bytes(cells), "text/csv", "shuuri_kanryou_tsuika.csv")]
    mp = with_attachments(mk.text_part(body, "UTF-8", cte="base64"), atts, "----=_Part_510_1770300000")
    h = headers(name, d, "修理完了報告（倉敷店ほか3件）", jst(2026, 2, 4, 16, 40), subj_charset="UTF-8")
    return mk.message(h, mp), [R("repair_report", fl)] + xrecs + crecs


# =========================================================================== 6xx noise: no records
AUTO_BODY = ["このメールは自動送信されています。",
             "%sは%sまで不在にしております。",
             "急ぎのご用件は下記までご連絡ください。", "",
             "担当者：%s", "電話番号：%s", "",
             "なお、いただいたメールの内容は以下の通り受け付けました。",
             "製造番号：T6K2309A41822", "発生日：2026/1/19", "不具合区分：充電不可"]


def auto_body(d, until, alt):
    b = list(AUTO_BODY)
    b[1] = b[1] % (d.family, until)
    b[4] = b[4] % alt
    b[5] = b[5] % d.tel
    return "\n".join(b) + "\n"


@case("601-noise-auto-submitted")
def _c601(name):
    d = D2
    h = headers(name, d, "Re: [MD-2026-00014] 修理完了報告のお願い", jst(2026, 1, 28, 9, 0, 41),
                extra=[("Auto-Submitted", "auto-replied")])
    return mk.message(h, mk.text_part(auto_body(d, "1月30日（金）", "サービス課 代表"), "ISO-2022-JP")), []


@case("602-noise-x-autoreply")
def _c602(name):
    d = D5
    h = headers(name, d, "Re: 【ご入力のお願い】[MD-2026-00020] 市場不具合 未入力項目のご確認",
                jst(2026, 1, 26, 9, 0, 12), extra=[("X-Autoreply", "yes")], subj_charset="UTF-8")
    return mk.message(h, mk.text_part(auto_body(d, "1月28日", "北24条店 サービスフロント"), "UTF-8",
                                      cte="base64")), []


@case("603-noise-precedence-auto-reply")
def _c603(name):
    """A supplier's ticket system acknowledges a mail (Precedence: auto_reply); its subject
    even holds a kind keyword and its body fields."""
    body = "\n".join(["※本メールはシステムより自動送信しています。", "",
                      "下記の内容でお問い合わせを受け付けました。", "",
                      "受付番号：T-260130-0042", "受付日：2026/1/30", "製造番号：T3K2402A61857",
                      "送付先：東海電装株式会社 解析センター", "",
                      "担当部署より2営業日以内にご連絡いたします。"]) + "\n"
    h = headers(name, ("東海電装 受付システム", "no-reply@tokai-denso.example.co.jp"),
                "【受付完了】不具合品到着のご連絡", jst(2026, 1, 30, 11, 21, 3),
                extra=[("Precedence", "auto_reply")], mailer="TicketDesk 4.2")
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), []


@case("604-noise-subject-jidou-henshin")
def _c604(name):
    d = D6
    h = headers(name, d, "自動返信: 市場不具合のご報告（熊本トヨタ 南店）", jst(2026, 1, 27, 18, 30, 5))
    return mk.message(h, mk.text_part(auto_body(d, "1月29日", "南店 サービス課"), "ISO-2022-JP")), []


@case("605-noise-subject-fuzai")
def _c605(name):
    d = D7
    h = headers(name, d, "不在: Re: [MD-2026-00018] 修理完了報告（金沢駅西店）", jst(2026, 1, 30, 9, 2, 30),
                subj_charset="Shift_JIS")
    return mk.message(h, mk.text_part(auto_body(d, "2月2日", "金沢駅西店 工場長"), "Shift_JIS",
                                      cte="base64")), []


@case("606-noise-subject-out-of-office")
def _c606(name):
    d = D8
    body = ("I am out of the office until February 2 with limited access to e-mail.\n"
            "2月2日まで不在にしております。\n\n"
            "Contact: 高松店 サービスフロント\n担当者：高松店 サービスフロント\n電話番号：%s\n" % d.tel)
    h = headers(name, d, "Out of Office: [MD-2026-00023] 不具合品発送のご連絡", jst(2026, 1, 29, 12, 0, 4),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), []


@case("607-noise-subject-automatic-reply")
def _c607(name):
    d = D3
    body = auto_body(d, "2月3日", "藤沢店 サービス課")
    h = headers(name, d, "Automatic reply: 【ご入力のお願い】[MD-2026-00022] 市場不具合 未入力項目のご確認",
                jst(2026, 2, 2, 9, 0, 9), subj_charset="UTF-8", mailer="Microsoft Outlook 16.0")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), []


def original_report(name):
    d = D2
    fl = defect_block(d, model="TC-6K-01", serial="T6K2410A00071", occurred=("2026/1/30", None),
                      dtype=("充電不可", "NO_CHARGE"), symptom="充電が開始されない。",
                      installer="埼玉中央電設株式会社", customer="青木 翼", phone="048-250-1144")
    body = letter(d, render(fl))
    h = headers(name + "-orig", d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 31, 10, 0),
                to="ev-defect@ml.exmaple.co.jp")
    return mk.message(h, mk.text_part(body, "ISO-2022-JP"), crlf=False)


@case("608-noise-bounce-multipart-report")
def _c608(name):
    """A bounce (multipart/report from MAILER-DAEMON) carrying the original report as
    message/rfc822: no records."""
    orig = original_report(name)
    notice = ("This is the mail system at host mx.ml.example.co.jp.\n\n"
              "I'm sorry to have to inform you that your message could not\n"
              "be delivered to one or more recipients. It's attached below.\n\n"
              "<ev-defect@ml.exmaple.co.jp>: Host or domain name not found. Name service error\n"
              "    for name=ml.exmaple.co.jp type=A: Host not found\n")
    status = ("Reporting-MTA: dns; mx.ml.example.co.jp\nArrival-Date: Sat, 31 Jan 2026 10:00:05 +0900\n\n"
              "Final-Recipient: rfc822; ev-defect@ml.exmaple.co.jp\nAction: failed\nStatus: 5.4.4\n"
              "Diagnostic-Code: X-Postfix; Host or domain name not found.\n")
    parts = [mk.text_part(notice, "us-ascii"),
             ([("Content-Type", "message/delivery-status")], status.encode("ascii")),
             ([("Content-Type", "message/rfc822"), ("Content-Transfer-Encoding", "7bit")], orig)]
    rep = mk.multipart("report", parts, "5F1A2C3B4D.1769821205/mx.ml.example.co.jp",
                       params=" report-type=delivery-status;", preamble="This is a MIME-encapsulated message.")
    h = headers(name, ("Mail Delivery System", "MAILER-DAEMON@mx.ml.example.co.jp"),
                "Undelivered Mail Returned to Sender", jst(2026, 1, 31, 10, 0, 5), to=D2.mail,
                mailer="Postfix")
    return mk.message(h, rep), []


@case("609-noise-bounce-postmaster-plain")
def _c609(name):
    """A plain-text bounce from postmaster quoting the original report inline: no records."""
    orig = original_report(name).decode("ascii")
    text = ("Delivery has failed to these recipients or groups:\n\n"
            "ev-defect@ml.exmaple.co.jp\nThe domain name could not be found.\n\n"
            "------ Original message ------\n\n")
    body = text.encode("ascii") + orig.encode("ascii")
    part = ([("Content-Type", 'text/plain; charset="ISO-2022-JP"'), ("Content-Transfer-Encoding", "7bit")],
            body)
    h = headers(name, ("", "postmaster@kawaguchi.corolla-saitama.example.jp"),
                "Undeliverable: 市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 31, 10, 0, 9),
                to=D2.mail, mailer="Microsoft Exchange Server")
    return mk.message(h, part), []


@case("610-noise-thanks-with-quote")
def _c610(name):
    """A thank-you reply with no fields of its own; the quoted report below must not count."""
    body = "\n".join(["岡田様", "", "ご報告ありがとうございました。", "内容確認いたしました。引き続きよろしくお願いいたします。", "",
                      "品質管理グループ 高田", "",
                      "> 製造番号：T3K2402A61857", "> 修理完了日：2026/1/30", "> 処置内容：本体内部の電源基板を交換。",
                      "> 部品返却：要"]) + "\n"
    h = headers(name, QA, "Re: [MD-2026-00036] 修理完了報告", jst(2026, 1, 31, 9, 12))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), []


@case("611-noise-keyword-subject-no-fields")
def _c611(name):
    """The subject has a kind keyword and a tag, the body has no known field: no records."""
    d = D8
    body = letter(d, "承知いたしました。不具合品は梱包が済み次第、来週前半に発送予定です。\n発送後に改めてご連絡いたします。",
                  intro="ご連絡ありがとうございます。", closing="よろしくお願いいたします。")
    h = headers(name, d, "Re: [MD-2026-00023] 不具合品発送のお願い", jst(2026, 1, 29, 13, 6))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), []


# =========================================================================== 7xx kinds
def supplier_body(s, block, intro):
    return "\n".join(["品質管理グループ 御中", "", "いつもお世話になっております。",
                      "%s %sの%sです。" % (s.name, s.dept, s.family), "", intro, "", block, "",
                      "以上、よろしくお願いいたします。", ""] + signature(s)) + "\n"


@case("701-kind-subject-nyuuka")
def _c701(name):
    """入荷 in the subject -> part_receipt.  The fields alone (serial, model, cause) would
    make it a defect_report."""
    fl = [F("serial_no", "製造番号", "T6S2408A44107"), F("product_model", "型式", "TC-6K-01S"),
          F("cause", "所見", "外観上の損傷なし。通電確認は来週実施予定。")]
    body = supplier_body(SUP1, render(fl), "下記の不具合品が入荷しましたのでお知らせいたします。")
    h = headers(name, SUP1, "[MD-2026-00040] 不具合品入荷のお知らせ", jst(2026, 2, 4, 10, 30))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00040")]


@case("702-kind-subject-kaiseki-kekka")
def _c702(name):
    """解析結果 in the subject -> part_receipt; the body states only a cause and the serial."""
    fl = [F("serial_no", "製造番号", "T6K2403A11870"),
          F("cause", "推定原因", "リレー接点の溶着。\n突入電流の大きい車両との組合せで発生したと推定。")]
    body = supplier_body(SUP1, render(fl), "標記の件、解析が完了しましたのでご報告いたします。")
    h = headers(name, SUP1, "[MD-2026-00041] 解析結果のご報告", jst(2026, 2, 5, 15, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00041")]


@case("703-kind-subject-shuuri-houkoku")
def _c703(name):
    """修理報告 in the subject -> repair_report, though the fields (serial, symptom, cause)
    would make it a defect_report."""
    d = D6
    fl = [F("serial_no", "製造番号", "HVP2311A08764"),
          F("symptom", "症状", "放電運転中の異音。"),
          F("cause", "原因", "冷却ファンの軸受け摩耗と推定。部品手配中。")]
    body = letter(d, render(fl), intro="標記の件、現時点の状況をご報告いたします。部品入荷後に改めてご報告します。")
    h = headers(name, d, "[MD-2026-00042] 修理報告（中間）", jst(2026, 2, 4, 17, 15))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00042")]


@case("704-kind-subject-hensou")
def _c704(name):
    """返送 in the subject -> shipment_notice; fields: serial, model, 返却先 (a destination
    is not one of the shipment fields of SPEC §2 rule 3)."""
    d = D5
    fl = [F("serial_no", "製造番号", "T6S2405B30288"), F("product_model", "型式", "TC-6K-01S"),
          F("destination", "返却先", "東海電装株式会社 品質保証部 解析センター")]
    body = letter(d, render(fl), intro="不具合品の返送について、下記の通り手配いたしました。")
    h = headers(name, d, "[MD-2026-00043] 不具合品の返送について", jst(2026, 2, 4, 11, 45), subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("shipment_notice", fl, "MD-2026-00043")]


@case("705-kind-subject-shukka")
def _c705(name):
    """出荷 in the subject -> shipment_notice; fields: serial and 送付先 only."""
    d = D7
    fl = [F("serial_no", "製造番号", "T6K2310B77410"), F("destination", "送付先", "東海電装株式会社 解析センター")]
    body = letter(d, render(fl), intro="不具合品の出荷準備が整いました。明日集荷予定です。")
    h = headers(name, d, "[MD-2026-00044] 不具合品出荷準備のご連絡", jst(2026, 2, 4, 16, 2))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00044")]


@case("706-kind-subject-fuguai-hassei")
def _c706(name):
    """不具合発生 in the subject -> defect_report, though the body names a technician (the
    fields alone would make it a repair_report)."""
    d = D8
    fl = defect_block(d, model="WB-6K-A", serial="MWB2406A80125", occurred=("2026/2/3", None),
                      dtype=("充電しない", "NO_CHARGE"), symptom="充電ボタンに反応しない。",
                      installer="有限会社讃岐電気", customer=None, phone=None)
    fl.append(F("technician", "作業担当", "讃岐電気 大森"))
    body = letter(d, render(fl), intro="下記の通り不具合が発生しました。現地確認の担当は下記の通りです。")
    h = headers(name, d, "不具合発生のご連絡（香川トヨペット 高松店）", jst(2026, 2, 4, 9, 5))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("707-kind-priority-juryo-over-hassou")
def _c707(name):
    """The subject holds both 発送 (shipment) and 受領 (receipt): the first row of the table,
    part_receipt, wins.  The fields (shipping data only) would say shipment_notice."""
    fl = [F("serial_no", "製造番号", "T3K2407A30019"), F("shipped_date", "発送日", "2026/1/28"),
          F("carrier", "運送会社", "佐川急便", "SAGAWA"), F("tracking_no", "伝票番号", "3601-4478-2335")]
    body = supplier_body(SUP1, render(fl), "ご発送いただいた下記の不具合品を本日受領いたしました。")
    h = headers(name, SUP1, "[MD-2026-00024] ご発送いただいた不具合品の受領について", jst(2026, 1, 30, 14, 10))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00024")]


@case("708-kind-priority-repair-over-shipment")
def _c708(name):
    """修理完了 and 発送 in one subject: repair_report (its row comes before shipment)."""
    d = D3
    fl = [F("serial_no", "製造番号", "T3K2404C20931"), F("repair_date", "修理完了日", "2026/2/4"),
          F("repair_action", "修理内容", "本体ユニットを交換。"), F("shipped_date", "発送日", "2026/2/4"),
          F("carrier", "運送会社", "クロネコヤマト", "YAMATO"), F("tracking_no", "伝票番号", "4512-8830-1402")]
    body = letter(d, render(fl), intro="修理が完了し、取り外した不具合品も本日発送しました。")
    h = headers(name, d, "[MD-2026-00046] 修理完了および不具合品発送のご連絡", jst(2026, 2, 4, 18, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00046")]


@case("709-kind-prefixes-repeated-and-tag")
def _c709(name):
    """Repeated reply/forward prefixes (Re: RE: Fwd: FW: Fw: 転送: 返信:) and the [MD-…] tag
    are stripped; 到着 then gives part_receipt (the fields alone would give defect_report)."""
    fl = [F("serial_no", "製造番号", "HVP2406C55402"), F("cause", "所見", "外装に輸送時のものと思われる擦り傷あり。")]
    body = supplier_body(SUP2, render(fl), "不具合品が当社に到着しましたのでご連絡いたします。")
    subj = "Re: RE: Fwd: FW: Fw: 転送: 返信: [MD-2026-00047] 不具合品到着のご連絡"
    h = headers(name, SUP2, subj, jst(2026, 2, 5, 9, 40))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00047")]


@case("710-kind-fields-received-date")
def _c710(name):
    """No keyword in the subject; received_date -> part_receipt."""
    fl = [F("serial_no", "製造番号", "T6S2405B30288"), F("received_date", "受入日", "R8.2.5", "2026-02-05")]
    body = supplier_body(SUP1, render(fl), "標記の件、ご連絡いたします。")
    h = headers(name, SUP1, "[MD-2026-00048] 東海電装よりご連絡", jst(2026, 2, 5, 16, 30))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00048")]


@case("711-kind-fields-repair-date")
def _c711(name):
    """No keyword; repair_date -> repair_report."""
    d = D1
    fl = [F("product_model", "型式", "TC-3K-02"), F("serial_no", "製造番号", "T3K2408B15546"),
          F("repair_date", "完了日", "2026/2/5")]
    body = letter(d, render(fl), intro="標記の件、対応が完了しましたのでご連絡いたします。")
    h = headers(name, d, "[MD-2026-00049] 浜松店よりご連絡", jst(2026, 2, 5, 17, 50))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00049")]


@case("712-kind-fields-tracking-no")
def _c712(name):
    """No keyword; tracking_no -> shipment_notice."""
    d = D2
    fl = [F("serial_no", "製造番号", "T6K2406C71153"), F("tracking_no", "追跡番号", "4512-8830-1455")]
    body = letter(d, render(fl), intro="ご依頼の件、追跡番号をお知らせします。")
    h = headers(name, d, "[MD-2026-00050] 追跡番号のお知らせ", jst(2026, 2, 6, 10, 12))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00050")]


@case("713-kind-fields-default-defect")
def _c713(name):
    """No keyword, no receipt/repair/shipment field -> defect_report."""
    d = D6
    fl = defect_block(d, model="TC-6K-01", serial="T6K2411A20094", occurred=("2026/2/4", None),
                      dtype=("その他", "OTHER"), symptom="充電完了後もケーブルのロックが解除されない。",
                      installer="株式会社肥後電設", customer="池田 和夫", phone="096-370-5517")
    body = letter(d, render(fl), intro="EV充電器の件で、下記の通りご連絡いたします。")
    h = headers(name, d, "EV充電器の件（熊本トヨタ 南店）", jst(2026, 2, 5, 13, 25))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("714-kind-fields-order-receipt-first")
def _c714(name):
    """No keyword; analysis_result together with a technician and a tracking number ->
    part_receipt (the receipt rule is checked first)."""
    fl = [F("serial_no", "製造番号", "T3K2402A61857"), F("analysis_result", "調査結果", "電源基板のはんだクラックを確認。"),
          F("technician", "作業者", "解析センター 村井"), F("tracking_no", "伝票番号", "4512-8830-1599")]
    body = supplier_body(SUP1, render(fl), "解析品の状況と返却品の伝票番号をお知らせします。")
    h = headers(name, SUP1, "[MD-2026-00051] 東海電装よりお知らせ", jst(2026, 2, 6, 15, 10))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00051")]


@case("715-kind-fields-order-repair-before-shipment")
def _c715(name):
    """No keyword; a technician and a carrier -> repair_report (checked before shipment)."""
    d = D3
    fl = [F("serial_no", "製造番号", "T6S2408A44107"), F("technician", "作業担当者", "湘南電工 田村"),
          F("carrier", "運送会社", "西濃運輸", "SEINO")]
    body = letter(d, render(fl), intro="標記の件、担当者と引取りの運送会社が決まりましたのでご連絡します。")
    h = headers(name, d, "[MD-2026-00052] 藤沢店より", jst(2026, 2, 6, 16, 44))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00052")]


# =========================================================================== 8xx values
@case("801-value-date-weekday-time")
def _c801(name):
    """Dates with a weekday in full-width （水） or ASCII (月) parentheses and with a time."""
    d = D1
    fl = [F("report_date", "報告日", "2026年1月21日（%s）14:30" % wd(2026, 1, 21), "2026-01-21"),
          F("dealer_code", "販売店コード", d.code),
          F("product_model", "型式", "TC-6K-01"),
          F("serial_no", "製造番号", "T6K2309A41822"),
          F("install_date", "設置日", "2025/11/3(%s)" % wd(2025, 11, 3), "2025-11-03"),
          F("occurred_date", "発生日時", "2026/01/20 09:15", "2026-01-20"),
          F("defect_type", "不具合区分", "充電不可", "NO_CHARGE"),
          F("symptom", "症状", "朝の充電開始時にエラーとなる。")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 1, 21, 14, 41))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("802-value-date-fullwidth-dotted")
def _c802(name):
    """Full-width digits (２０２６年１月２２日, ２０２６/１/２０) and a dotted date 2025.12.8."""
    d = D2
    fl = [F("report_date", "報告日", "２０２６年１月２２日", "2026-01-22"),
          F("dealer_code", "販売店コード", d.code),
          F("product_model", "型式", "TC-3K-02"),
          F("serial_no", "製造番号", "T3K2409C00517"),
          F("install_date", "設置日", "2025.12.8", "2025-12-08"),
          F("occurred_date", "発生日", "２０２６/１/２０", "2026-01-20"),
          F("defect_type", "不具合区分", "表示異常", "DISPLAY"),
          F("symptom", "症状", "表示パネルに意味不明の記号が表示される。")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 1, 22, 10, 2))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("803-value-date-era-reiwa")
def _c803(name):
    """Japanese era dates: 令和8年1月23日, R8/1/5, R8.1.21 (Reiwa 1 = 2019)."""
    d = D3
    fl = [F("report_date", "起票日", "令和8年1月23日", "2026-01-23"),
          F("dealer_code", "販売店コード", d.code),
          F("product_model", "型式", "WB-6K-A"),
          F("serial_no", "製造番号", "MWB2410B22107"),
          F("install_date", "取付日", "R8/1/5", "2026-01-05"),
          F("occurred_date", "発生日", "R8.1.21", "2026-01-21"),
          F("defect_type", "不具合区分", "ケーブル損傷", "CABLE"),
          F("symptom", "症状", "設置直後からケーブルの被覆に亀裂がある。")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（トヨタモビリティ神奈川 藤沢店）", jst(2026, 1, 23, 11, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("804-value-date-era-heisei-showa-table")
def _c804(name):
    """Legacy rows migrated from an old system, in a CSV: 平成31年4月1日, H31.4.20, H30.5.1,
    平成30年12月3日, 昭和64年1月7日 and S64.1.7."""
    hdr = [("report_no", "受付番号"), ("product_model", "型式"), ("serial_no", "製造番号"),
           ("install_date", "設置日"), ("occurred_date", "発生日"), ("defect_type", "不具合区分")]
    rows = [["OLD-0419", "TC-3K-01", "T3K1903A00412", ("平成31年4月1日", "2019-04-01"), ("H31.4.20", "2019-04-20"),
             ("充電不可", "NO_CHARGE")],
            ["OLD-0388", "TC-3K-01", "T3K1804B00388", ("H30.5.1", "2018-05-01"), ("平成30年12月3日", "2018-12-03"),
             ("漏電遮断", "BREAKER_TRIP")],
            ["OLD-0001", "PS-100", "PS8901A00001", ("昭和64年1月7日", "1989-01-07"), ("S64.1.7", "1989-01-07"),
             ("その他", "OTHER")]]
    cells, recs = table(hdr, rows, "defect_report")
    text = note_body(QA, ["旧システムから移行した過去の市場不具合データ（3件）を登録用に送付します。",
                          "日付は旧システムの和暦表記のままです。"])
    att = mk.attachment(mk.csv_bytes(cells, encoding="cp932"), "text/csv", "old_system_export.csv")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_804_1770400000")
    h = headers(name, QA, "市場不具合報告 過去分データ（旧システム移行）", jst(2026, 2, 6, 17, 30))
    return mk.message(h, mp), recs


@case("805-value-date-no-year-from-date-header")
def _c805(name):
    """'3月10日（月）' and '3月5日' have no year: they take the year of the Date header (2025,
    unlike the install date written with its year)."""
    d = D4
    fl = [F("report_date", "報告日", "3月10日（%s）" % wd(2025, 3, 10), "2025-03-10"),
          F("dealer_code", "販売店コード", d.code),
          F("product_model", "型式", "TC-6K-01"),
          F("serial_no", "製造番号", "T6K2406A11094"),
          F("install_date", "設置日", "2024/11/20"),
          F("occurred_date", "発生日", "3月5日", "2025-03-05"),
          F("defect_type", "不具合区分", "充電できない", "NO_CHARGE"),
          F("symptom", "症状", "充電開始後すぐに停止する。")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（岡山トヨペット 倉敷店）", jst(2025, 3, 10, 15, 20),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("defect_report", fl)]


@case("806-value-date-not-a-date")
def _c806(name):
    """発生日：先週 is not a date: left out of the fields (a warning, not graded)."""
    d = D7
    fl = [F("dealer_code", "販売店コード", d.code),
          F("product_model", "型式", "TC-6K-01"),
          F("serial_no", "製造番号", "T6K2408C90551"),
          F("occurred_date", "発生日", "先週", OMIT),
          F("defect_type", "不具合区分", "異音", "NOISE"),
          F("symptom", "症状", "充電中にカチカチという音が繰り返す。")]
    body = letter(d, render(fl), intro="下記の通り市場不具合をご報告いたします。発生日はお客様の記憶によるものです。")
    h = headers(name, d, "市場不具合のご報告（石川トヨタ 金沢駅西店）", jst(2026, 2, 2, 10, 45))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("807-value-codes-fullwidth-dashes-case")
def _c807(name):
    """Codes written with full-width letters and digits, －/ー/‐ as dashes, spaces inside
    (removed), a lower-case VIN (upper-cased), a phone number in full-width digits."""
    d = D5
    fl = [F("report_no", "受付番号", "ＳＰ－２６－００４", "SP-26-004"),
          F("dealer_code", "販売店コード", "Ｄ０１１５", "D0115"),
          F("product_model", "型式", "ＴＣ－６Ｋ－０１", "TC-6K-01"),
          F("serial_no", "製造番号", "Ｔ６Ｋ　２４０５　Ｂ７７３０１", "T6K2405B77301"),
          F("vin", "車台番号", "zvw60\u20104127735", "ZVW60-4127735"),
          F("occurred_date", "発生日", "2026/2/1"),
          F("defect_type", "不具合区分", "通信エラー", "COMM"),
          F("error_code", "エラーコード", "ERR\u30fc105", "ERR-105"),
          F("symptom", "症状", "車両との通信エラーで充電できない。"),
          F("customer_phone", "お客様電話番号", "０１１－７０９－３３８２", "011-709-3382")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（札幌トヨペット 北24条店）", jst(2026, 2, 2, 16, 5),
                subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), [R("defect_report", fl)]


@case("808-value-bool-words-table")
def _c808(name):
    """部品返却 in every bool word of SPEC §3: 要 必要 有 あり 返却する Yes 〇 ○ -> true;
    不要 無 なし 返却不要 No × -> false (one row each)."""
    words = [("要", True), ("不要", False), ("あり", True), ("なし", False), ("〇", True), ("×", False),
             ("Yes", True), ("No", False), ("必要", True), ("返却不要", False), ("有", True), ("無", False),
             ("返却する", True), ("○", True)]
    hdr = [("ref", "管理番号"), ("serial_no", "製造番号"), ("repair_date", "修理完了日"), ("part_return", "部品返却")]
    rows = [["MD-2026-%05d" % (101 + i), "T6K2501A%05d" % (10 + i), "2026/2/%d" % (1 + i % 5), w]
            for i, w in enumerate(words)]
    cells, recs = table(hdr, rows, "repair_report")
    text = note_body(KANRI, ["1月分の修理完了報告を一覧でお送りします（%d件）。" % len(rows)])
    att = mk.attachment(mk.csv_bytes(cells, bom=True), "text/csv", "shuuri_kanryou_202601.csv")
    mp = with_attachments(mk.text_part(text, "UTF-8", cte="base64"), [att], "----=_Part_808_1770500000")
    h = headers(name, KANRI, "修理完了報告一覧（1月分）", jst(2026, 2, 6, 9, 0), subj_charset="UTF-8")
    return mk.message(h, mp), recs


@case("809-value-defect-type-longest-synonym")
def _c809(name):
    """ケーブル破損 contains both ケーブル破損 (CABLE) and 破損 (APPEARANCE): the longest wins."""
    d = D2
    fl = defect_block(d, model="TC-6K-01", serial="T6K2408A31207", occurred=("2026/2/3", None),
                      dtype=("ケーブル破損", "CABLE"), symptom="ケーブルを車で踏んでしまい被覆が裂けた。",
                      installer="埼玉中央電設株式会社", customer=None, phone=None)
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（トヨタカローラ埼玉 川口店）", jst(2026, 2, 4, 10, 10))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("810-value-defect-type-no-synonym")
def _c810(name):
    """A defect type with no synonym -> OTHER (with a warning, not graded)."""
    d = D8
    fl = defect_block(d, model="V2H-P1", serial="HVP2410B05521", occurred=("2026/2/2", None),
                      dtype=("動作が不安定", "OTHER"), symptom="放電と停止を不規則に繰り返す。",
                      supplier="北斗エレクトリック株式会社", installer="有限会社讃岐電気", customer=None, phone=None)
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（香川トヨペット 高松店）", jst(2026, 2, 3, 13, 33))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("811-value-defect-type-table")
def _c811(name):
    """One row per defect_type code, the value containing one of its synonyms; one value
    holding a longer and a shorter synonym of two codes; one with no synonym."""
    vals = [("充電しない（表示は正常）", "NO_CHARGE"), ("漏電ブレーカー作動", "BREAKER_TRIP"),
            ("LED不点灯", "DISPLAY"), ("通信エラー多発", "COMM"), ("異音（ブーン音）", "NOISE"),
            ("焦げ臭い", "OVERHEAT"), ("コネクタ破損", "CABLE"), ("外観不良", "APPEARANCE"),
            ("水濡れ", "WATER"), ("その他", "OTHER"), ("外観不良（ケーブル破損あり）", "CABLE"),
            ("原因不明の停止", "OTHER")]
    hdr = [("report_no", "受付番号"), ("serial_no", "製造番号"), ("defect_type", "不具合区分")]
    rows = [["KS-02%02d" % (i + 1), "T6K2502B%05d" % (200 + i), v] for i, v in enumerate(vals)]
    cells, recs = table(hdr, rows, "defect_report")
    text = note_body(KANRI, ["区分別の確認用一覧です（%d件）。" % len(rows)])
    att = mk.attachment(mk.csv_bytes(cells), "text/csv", "kubun_check.csv")
    mp = with_attachments(mk.text_part(text, "UTF-8", cte="base64"), [att], "----=_Part_811_1770600000")
    h = headers(name, KANRI, "市場不具合報告（区分確認用）", jst(2026, 2, 6, 11, 0), subj_charset="UTF-8")
    return mk.message(h, mp), recs


@case("812-value-carrier-kuroneko-tracking-spaces")
def _c812(name):
    """クロネコヤマト -> YAMATO; a tracking number written with spaces -> digits only."""
    d = D4
    fl = [F("serial_no", "製造番号", "MWB2405C17730"), F("shipped_date", "発送日", "2026/2/4"),
          F("carrier", "運送会社", "クロネコヤマト", "YAMATO"), F("tracking_no", "伝票番号", "4512 8830 1622")]
    body = letter(d, render(fl), intro="不具合品を下記の通り発送いたしました。")
    h = headers(name, d, "[MD-2026-00059] 不具合品発送のご連絡", jst(2026, 2, 4, 17, 10), subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("shipment_notice", fl, "MD-2026-00059")]


@case("813-value-carriers-table")
def _c813(name):
    """Carriers 佐川, 日本郵便, 西濃運輸, 福山通運, ヤマト, and an unknown one (名鉄運輸 -> OTHER);
    tracking numbers with dashes -> digits."""
    vals = [("佐川", "SAGAWA"), ("日本郵便", "JPPOST"), ("西濃運輸", "SEINO"), ("福山通運", "FUKUYAMA"),
            ("ヤマト", "YAMATO"), ("名鉄運輸", "OTHER")]
    hdr = [("ref", "管理番号"), ("serial_no", "製造番号"), ("shipped_date", "出荷日"), ("carrier", "運送業者"),
           ("tracking_no", "問合せ番号")]
    rows = [["MD-2026-%05d" % (61 + i), "T3K2503A%05d" % (300 + i), "2026/2/%d" % (2 + i % 3), v,
             "%04d-%04d-%04d" % (1200 + i, 3400 + 7 * i, 5600 + 11 * i)] for i, v in enumerate(vals)]
    cells, recs = table(hdr, rows, "shipment_notice")
    text = note_body(KANRI, ["2月第1週に各店から出荷された不具合品の一覧です。"])
    att = mk.attachment(mk.csv_bytes(cells, encoding="cp932"), "text/csv", "shukka_0206.csv")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_813_1770700000")
    h = headers(name, KANRI, "不具合品 出荷一覧（2月第1週）", jst(2026, 2, 6, 18, 0))
    return mk.message(h, mp), recs


# =========================================================================== 9xx defect_ref, labels
@case("901-ref-subject-tag")
def _c901(name):
    fl = [F("serial_no", "製造番号", "T6K2408A31207"), F("received_date", "受領日", "2026/2/6")]
    body = supplier_body(SUP1, render(fl), "下記の不具合品を受領いたしました。")
    h = headers(name, SUP1, "[MD-2026-00053] 不具合品受領のご連絡", jst(2026, 2, 6, 14, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("part_receipt", fl, "MD-2026-00053")]


@case("902-ref-body-only")
def _c902(name):
    """No tag in the subject: the first MD-YYYY-NNNNN in the (unquoted) body is the ref."""
    d = D5
    fl = repair_fields("T6S2405B30288", ("2026/2/5", None), "状態表示基板を交換し、点灯を確認。", "TK-LED-0015",
                       "北央電設 工藤", ("なし", False))
    body = letter(d, render(fl), intro="先日ご報告した不具合（MD-2026-00044）の修理が完了しましたのでご報告いたします。")
    h = headers(name, d, "修理完了のご報告（札幌トヨペット 北24条店）", jst(2026, 2, 5, 18, 20), subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="base64")), [R("repair_report", fl, "MD-2026-00044")]


@case("903-ref-subject-wins-over-body")
def _c903(name):
    """A tag in the subject and another ref in the body: the subject's wins."""
    d = D6
    fl = [F("serial_no", "製造番号", "T6K2407B81145"), F("shipped_date", "発送日", "2026/2/6"),
          F("carrier", "運送会社", "日本郵便", "JPPOST"), F("tracking_no", "伝票番号", "9988-7766-5544")]
    body = letter(d, render(fl), intro="不具合品を下記の通り発送しました。\n同日発生の別件（MD-2026-00055）は別途ご連絡いたします。")
    h = headers(name, d, "[MD-2026-00054] 不具合品発送のご連絡", jst(2026, 2, 6, 15, 15))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("shipment_notice", fl, "MD-2026-00054")]


@case("904-ref-body-fullwidth")
def _c904(name):
    """A full-width ref in the body: ＭＤ－２０２６－００１２３ is MD-2026-00123."""
    d = D7
    fl = repair_fields("T6K2408C90551", ("2026/2/6", None), "リレーユニットを交換。", "TK-RLY-0044",
                       "北陸電工 山崎", ("要", True))
    block = "不具合管理番号：ＭＤ－２０２６－００１２３\n\n" + render(fl)
    body = letter(d, block, intro="下記の不具合について修理が完了しました。")
    h = headers(name, d, "修理完了報告（石川トヨタ 金沢駅西店）", jst(2026, 2, 6, 17, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00123")]


@case("905-ref-only-in-quote-ignored")
def _c905(name):
    """The only ref is in '>' quoted lines: quoted text is ignored, so there is no defect_ref."""
    d = D1
    fl = [F("error_code", "エラーコード", "E-07"), F("install_date", "設置日", "2025/9/20")]
    body = lines_of("高田様", "", "お世話になっております。静岡トヨタ 浜松店の山本です。", "",
                    "不足していた項目をお送りします。", "", render(fl), "", "よろしくお願いいたします。", "",
                    "> 山本様", "> ご報告の件、[MD-2026-00060] として登録しました。",
                    "> エラーコードと設置日が未記入ですので、ご連絡ください。")
    h = headers(name, d, "Re: 市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 2, 3, 9, 30))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("906-ref-table-column-over-subject")
def _c906(name):
    """Rows of a table with a 管理番号 column take their ref from it, not from the subject tag."""
    hdr = [("ref", "管理番号"), ("received_date", "受領日"), ("analysis_result", "解析結果")]
    rows = [["MD-2026-00056", "2026/2/5", "コネクタ端子の変形を確認。"],
            ["MD-2026-00057", "2026/2/6", "浸水による基板腐食を確認。"]]
    cells, recs = table(hdr, rows, "part_receipt")
    text = note_body(SUP1, ["標記の件に関連して、同一ロットの他2件の解析結果も添付いたします。"])
    att = mk.attachment(mk.csv_bytes(cells, bom=True), "text/csv", "kaiseki_tsuika.csv")
    mp = with_attachments(mk.text_part(text, "ISO-2022-JP"), [att], "----=_Part_906_1770800000")
    h = headers(name, SUP1, "[MD-2026-00021] 解析結果一覧（同一ロット追加分）", jst(2026, 2, 6, 16, 0))
    return mk.message(h, mp), recs


@case("951-label-longest-koujikanryoubi")
def _c951(name):
    """工事完了日 is install_date (longest label), not repair_date via 完了日."""
    d = D3
    fl = defect_block(d, model="TC-6K-01S", serial="T6S2410A70036", occurred=("2026/2/4", None),
                      dtype=("発熱", "OVERHEAT"), symptom="充電中に本体前面が熱くなる。",
                      installer="株式会社湘南電工", customer=None, phone=None)
    fl.insert(6, F("install_date", "工事完了日", "2025/9/12"))
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（トヨタモビリティ神奈川 藤沢店）", jst(2026, 2, 5, 10, 50))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("952-label-longest-sagyoutantousha")
def _c952(name):
    """作業担当者 is technician (longest label), 担当者 alone is dealer_contact."""
    d = D2
    fl = [F("dealer_contact", "担当者", d.person), F("serial_no", "製造番号", "T6K2408A31207"),
          F("repair_date", "修理完了日", "2026/2/6"), F("repair_action", "修理内容", "ケーブルASSYを交換。"),
          F("technician", "作業担当者", "吉川 拓海"), F("part_return", "部品返却", "要", True)]
    body = letter(d, render(fl), intro="標記の件、修理が完了しましたのでご報告いたします。")
    h = headers(name, d, "[MD-2026-00058] 修理完了報告", jst(2026, 2, 6, 17, 45))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00058")]


@case("953-label-longest-koukanbuhin-hinban")
def _c953(name):
    """交換部品品番 is replaced_part, 品番 alone is product_model."""
    d = D8
    fl = [F("product_model", "品番", "V2H-P1"), F("serial_no", "製造番号", "HVP2311A08764"),
          F("repair_date", "処置完了日", "2026/2/6"), F("repair_action", "処置内容", "冷却ファンを交換。"),
          F("replaced_part", "交換部品品番", "TK-FAN-0021"), F("part_return", "不具合品返却", "Yes", True)]
    body = letter(d, render(fl), intro="標記の件、処置が完了しましたのでご報告いたします。")
    h = headers(name, d, "[MD-2026-00042] 処置完了報告", jst(2026, 2, 6, 18, 5))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("repair_report", fl, "MD-2026-00042")]


@case("954-label-longest-dealer-code-phone")
def _c954(name):
    """販売店コード (dealer_code) next to 販売店 (dealer_name); 現象区分 (defect_type) next to
    現象 (symptom); 電話番号 alone is customer_phone."""
    d = D6
    fl = [F("dealer_name", "販売店", d.name), F("dealer_code", "販売店コード", d.code),
          F("product_model", "機種", "TC-3K-02"), F("serial_no", "S/N", "T3K2410C41180"),
          F("occurred_date", "発生年月日", "2026/2/5"), F("defect_type", "現象区分", "充電開始しない", "NO_CHARGE"),
          F("symptom", "現象", "スケジュール設定どおりに充電が始まらない。"),
          F("customer_name", "顧客名", "中野 友美"), F("customer_phone", "電話番号", "096-372-8860")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（熊本トヨタ 南店）", jst(2026, 2, 6, 9, 20))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("955-label-fuguai-hasseibi")
def _c955(name):
    """不具合発生日 is occurred_date; 不具合症状 is symptom; お客様連絡先 is customer_phone."""
    d = D1
    fl = [F("dealer_code", "販社コード", d.code), F("dealer_name", "販社名", d.name),
          F("product_model", "型式", "TC-6K-01"), F("serial_no", "シリアル番号", "T6K2411B00318"),
          F("occurred_date", "不具合発生日", "2026/2/1"), F("defect_type", "不具合種別", "通信不良", "COMM"),
          F("symptom", "不具合症状", "アプリの充電履歴が更新されない。"),
          F("customer_phone", "お客様連絡先", "053-488-2019")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（静岡トヨタ 浜松店）", jst(2026, 2, 2, 13, 0))
    return mk.message(h, mk.text_part(body, "ISO-2022-JP")), [R("defect_report", fl)]


@case("956-label-nfkc-and-case")
def _c956(name):
    """Labels matched after NFKC and case-insensitively: ＭＯＤＥＬ, serial no, ＶＩＮ, ERROR CODE,
    dealer code, Ｓｙｍｐｔｏｍ."""
    d = D4
    fl = [F("dealer_code", "dealer code", d.code), F("product_model", "ＭＯＤＥＬ", "TC-6K-01"),
          F("serial_no", "serial no", "T6K2410C50077"), F("vin", "ＶＩＮ", "GR86-0012345"),
          F("occurred_date", "発生日", "2026/2/3"), F("error_code", "ERROR CODE", "E-12"),
          F("symptom", "Ｓｙｍｐｔｏｍ", "充電開始直後にE-12で停止する。")]
    body = letter(d, render(fl))
    h = headers(name, d, "市場不具合のご報告（岡山トヨペット 倉敷店）", jst(2026, 2, 4, 8, 50), subj_charset="UTF-8")
    return mk.message(h, mk.text_part(body, "UTF-8", cte="8bit")), [R("defect_report", fl)]


# =========================================================================== config-case
CONFIG_YAML = """\
# Extra vocabulary for tests/corpus/config-case (defectd parse -c config.yaml).
# Adds a dealer's own label and a defect-type synonym to the built-in lists.
vocabulary:
  fields:
    serial_no: {labels: [機器番号]}
  enums:
    defect_type:
      codes:
        NO_CHARGE: [充電が始まらない]
"""

CONFIG_README = """\
config-case — one mail that needs configuration
================================================

mail.eml uses a label that is not built in (機器番号 for serial_no) and a defect type
whose wording is no built-in synonym (充電が始まらない).

  config.yaml            the extra vocabulary (vocabulary: fields: / enums:)
  mail.json              expected `defectd parse -c config.yaml mail.eml`, in grade-corpus
                         format; from the project root:
                         ../shared/tools/grade-corpus --cmd "build/defectd parse -c
                         tests/corpus/config-case/config.yaml" tests/corpus/config-case
  expected.noconf.json   expected `defectd parse mail.eml` without the configuration:
                         no serial_no (機器番号 is an unknown label, and the line follows a
                         code field, so it is no continuation of a text value) and
                         defect_type OTHER (no synonym; the warning is not graded)

Generated by ../make_cases.py; do not edit by hand.
"""


def config_case():
    d = D7
    base = [F("report_date", "報告日", "2026/2/5"),
            F("dealer_code", "販売店コード", d.code),
            F("dealer_name", "販売店名", d.name),
            F("product_model", "型式", "TC-6K-01")]
    serial = F("serial_no", "機器番号", "T6K2411C12045")
    rest = [F("occurred_date", "発生日", "2026/2/4")]
    dtype_conf = F("defect_type", "不具合区分", "充電が始まらない", "NO_CHARGE")
    dtype_noconf = F("defect_type", "不具合区分", "充電が始まらない", "OTHER")
    tail = [F("symptom", "症状", "車両を接続しても充電が始まらない。ランプは緑点灯のまま。"),
            F("installer", "施工会社", "北陸電工株式会社")]
    body = letter(d, render(base + [serial] + rest + [dtype_conf] + tail))
    h = headers("config-case", d, "市場不具合のご報告（石川トヨタ 金沢駅西店）", jst(2026, 2, 5, 11, 30))
    eml = mk.message(h, mk.text_part(body, "ISO-2022-JP"))
    dump = lambda recs: (json.dumps({"records": recs}, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    return {
        "mail.eml": eml,
        "mail.json": dump([R("defect_report", base + [serial] + rest + [dtype_conf] + tail)]),
        "expected.noconf.json": dump([R("defect_report", base + rest + [dtype_noconf] + tail)]),
        "config.yaml": CONFIG_YAML.encode(),
        "README": CONFIG_README.encode(),
    }


# =========================================================================== main
def validate(outdir, names):
    """Every .eml parses with Python's email package (no defects), header lines and encoded
    words stay within RFC limits, every .json is valid and has the expected shape."""
    import email
    from email import policy
    bad = 0
    for name in names:
        raw = open(os.path.join(outdir, name + ".eml"), "rb").read()
        msg = email.message_from_bytes(raw, policy=policy.default)
        problems = [type(x).__name__ for p in msg.walk() for x in p.defects]
        if "broken" not in name and problems:
            print("%s: email parser defects %s" % (name, problems))
            bad += 1
        str(msg["subject"])
        head = raw.split(b"\r\n\r\n" if b"\r\n" in raw else b"\n\n", 1)[0]
        for line in head.splitlines():
            if len(line) > 998:
                print("%s: header line too long" % name)
                bad += 1
        for w in re.findall(rb"=\?[^?]+\?[BQbq]\?[^?]*\?=", raw):
            if len(w) > 75:
                print("%s: encoded word longer than 75: %r" % (name, w[:40]))
                bad += 1
        for part in msg.walk():
            if not part.is_multipart():
                part.get_payload(decode=True)
        doc = json.load(open(os.path.join(outdir, name + ".json"), encoding="utf-8"))
        assert set(doc) == {"records"}
        for r in doc["records"]:
            assert set(r) <= {"kind", "defect_ref", "fields"} and r["fields"], name
            for k in r["fields"]:
                assert k in CLASS, (name, k)
            if "defect_ref" in r:
                assert re.fullmatch(r"MD-\d{4}-\d{5}", r["defect_ref"]), name
    return bad


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check = "--check" in sys.argv
    outdir = args[0] if args else os.path.join(HERE, "cases")
    if check:
        import filecmp
        import tempfile
        tmp = tempfile.mkdtemp(prefix="make_cases.")
        target, outdir = outdir, tmp
    os.makedirs(outdir, exist_ok=True)
    names = []
    for name, fn in CASES:
        assert name not in names, name
        names.append(name)
        eml, records = fn(name)
        write_case(outdir, name, eml, records)
    # remove files of cases that no longer exist
    for fn in sorted(os.listdir(outdir)):
        base, ext = os.path.splitext(fn)
        if ext in (".eml", ".json") and base not in names:
            os.remove(os.path.join(outdir, fn))
    bad = validate(outdir, names)
    cdir = os.path.join(HERE, "config-case")
    files = config_case()
    if check:
        for fn, data in files.items():
            path = os.path.join(cdir, fn)
            if not os.path.exists(path) or open(path, "rb").read() != data:
                print("make_cases --check: config-case/%s differs from a fresh run" % fn)
                bad += 1
    elif not args:
        os.makedirs(cdir, exist_ok=True)
        for fn, data in files.items():
            with open(os.path.join(cdir, fn), "wb") as fh:
                fh.write(data)
    if check:
        files = sorted(os.listdir(outdir))
        match, mismatch, errors = filecmp.cmpfiles(target, outdir, files, shallow=False)
        extra = sorted(set(os.listdir(target)) - set(files) - {"README"})
        for f in mismatch + errors + extra:
            print("make_cases --check: %s differs from a fresh run" % f)
        bad += len(mismatch) + len(errors) + len(extra)
        import shutil
        shutil.rmtree(tmp)
        print("make_cases --check: %d cases, %s" % (len(names), "OK" if not bad else "%d problems" % bad))
    else:
        print("make_cases: wrote %d cases to %s%s" % (len(names), outdir, "" if not bad else ", %d problems" % bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
