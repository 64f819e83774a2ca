#!/usr/bin/python3
"""Generate a varied mailbox for benchmarks: gen.py OUTDIR N [--seed S]

Writes OUTDIR/000001.eml … N messages (~1.5–6 KB each) like the ones the list receives,
mixed by weight:

    50 %  plain ISO-2022-JP (some with CP932 extensions ①/～ inside ESC $ B)
    15 %  Shift_JIS (CP932), base64 or 8bit
    10 %  UTF-8 plain, base64 / quoted-printable / 8bit
    10 %  HTML only: Outlook paragraphs or a two-column table
     5 %  multipart/alternative (plain + HTML)
     5 %  CSV attachment, 3–20 rows (UTF-8 with BOM or CP932)
     3 %  XLSX attachment, 3–20 rows (hand-built OOXML)
     2 %  replies, forwards and noise (auto-replies, bounces)

Kinds, dealers, models, serial numbers, dates, symptoms and layouts vary.  Deterministic
for a given seed; only the standard library (run with /usr/bin/python3).  Prints one
summary line: count, total bytes, and the mix.
"""
import argparse
import datetime
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import mailkit as mk  # noqa: E402

LIST = "ev-defect@ml.example.co.jp"

DEALERS = [
    ("静岡トヨタ 浜松店", "D3307", "山本 健太", "hamamatsu.shizuoka-toyota.example.jp"),
    ("トヨタカローラ埼玉 川口店", "D1450", "小林 真一", "kawaguchi.corolla-saitama.example.jp"),
    ("トヨタモビリティ神奈川 藤沢店", "D1822", "石川 美穂", "fujisawa.tm-kanagawa.example.jp"),
    ("岡山トヨペット 倉敷店", "D6604", "森 大輔", "kurashiki.okayama-toyopet.example.jp"),
    ("札幌トヨペット 北24条店", "D0115", "佐藤 玲奈", "kita24.sapporo-toyopet.example.jp"),
    ("熊本トヨタ 南店", "D8302", "松田 翔太", "minami.kumamoto-toyota.example.jp"),
    ("石川トヨタ 金沢駅西店", "D5110", "中川 優子", "ekinishi.ishikawa-toyota.example.jp"),
    ("香川トヨペット 高松店", "D7205", "岡田 誠", "takamatsu.kagawa-toyopet.example.jp"),
    ("ネッツトヨタ宮城 泉中央店", "D0422", "菊地 亮", "izumi.netz-miyagi.example.jp"),
    ("大阪トヨペット 吹田店", "D4418", "田中 美咲", "suita.osaka-toyopet.example.jp"),
    ("広島トヨタ 西条店", "D6120", "中村 由美", "saijo.hiroshima-toyota.example.jp"),
    ("福岡トヨタ 博多駅南店", "D9102", "高橋 健", "hakata.fukuoka-toyota.example.jp"),
    ("名古屋トヨペット 豊田店", "D2210", "鈴木 一郎", "toyota.nagoya-toyopet.example.jp"),
    ("トヨタモビリティ東京 練馬店", "D1203", "山田 太郎", "nerima.tm-tokyo.example.jp"),
]
ROMAJI = ["yamamoto", "kobayashi", "ishikawa", "mori", "sato", "matsuda", "nakagawa", "okada",
          "kikuchi", "tanaka", "nakamura", "takahashi", "suzuki", "yamada"]
MODELS = [("TC-6K-01", "T6K"), ("TC-6K-01S", "T6S"), ("TC-3K-02", "T3K"), ("V2H-P1", "HVP"),
          ("WB-6K-A", "MWB"), ("TC-6K-02", "T6L")]
SUPPLIERS = ["東海電装株式会社", "北斗エレクトリック株式会社", "株式会社サンエイ電機", "ミドリ電子工業株式会社"]
INSTALLERS = ["株式会社浜松電設", "関東電気工事株式会社", "株式会社湘南電工", "有限会社倉敷設備", "北央電設株式会社",
              "株式会社肥後電設", "北陸電工株式会社", "有限会社讃岐電気", "株式会社ミライ電設", "中部設備サービス株式会社"]
CUSTOMERS = ["山下 恵子", "中島 亮", "加藤 由美", "小川 健司", "村上 聡", "西田 香織", "平田 誠", "野口 美紀",
             "坂口 真由美", "菅原 大地", "藤井 千尋", "島田 恵", "内田 浩二", "池田 和夫", "中野 友美"]
PREFS = ["静岡県浜松市中央区佐藤", "埼玉県川口市並木", "神奈川県藤沢市鵠沼", "岡山県倉敷市白楽町", "北海道札幌市北区北24条西",
         "熊本県熊本市南区平成", "石川県金沢市西念", "香川県高松市林町", "宮城県仙台市泉区泉中央", "大阪府吹田市江坂町"]
DEFECTS = [
    ("充電不可", "充電ボタンを押しても充電が開始されない。"),
    ("充電できない", "車両を接続しても充電が始まらず、エラーも表示されない。"),
    ("ブレーカーが落ちる", "充電開始から数分で分電盤のブレーカーが落ちる。"),
    ("漏電遮断", "雨天時に充電を始めると漏電遮断器が作動する。"),
    ("LED不点灯", "本体の状態表示LEDが点灯しない。"),
    ("表示異常", "液晶表示が一部欠けて読めない。"),
    ("通信エラー", "スマートフォンアプリから充電器に接続できない。"),
    ("通信不良", "宅内Wi-Fiとの接続が頻繁に切れ、スケジュール充電が実行されない。"),
    ("異音", "充電中に本体内部からジーという音がする。"),
    ("焦げ臭い", "充電中に本体付近で焦げたような臭いがする。"),
    ("発熱", "充電中にプラグ部分が熱くなる。"),
    ("ケーブル破損", "充電ケーブルの被覆が破れ、内部の線が見えている。"),
    ("コネクタ破損", "コネクタのロック爪が折れて車両に固定できない。"),
    ("外観不良", "本体前面カバーに割れがある。"),
    ("錆", "取付金具に赤錆が広がっている。"),
    ("浸水", "大雨の後、本体下部の端子台に水が溜まっていた。"),
    ("その他", "充電完了後もケーブルのロックが解除されない。"),
]
EXTRA_LINES = ["同様の症状が週に2～3回発生。", "お客様より販売店へ連絡あり。", "現地確認済み。",
               "再起動すると一時的に復旧する。", "寒冷時のみ発生。"]
ACTIONS = ["本体ユニットを交換し、動作確認を実施。", "通信ユニットを交換し、アプリ接続を確認。",
           "漏電検出回路の基板を交換し、絶縁抵抗を測定（良好）。", "充電ケーブルASSYを交換。", "電源基板を交換し、端子台を増し締め。"]
PARTS = ["TK-RLY-0044", "TK-CBL-0301", "TK-PCB-0112", "TK-COM-0033", "TK-PSU-0207", "HK-CBL-0610", "TK-FAN-0021"]
CAUSES = ["施工時のケーブル曲げ半径不足による断線。", "パッキン劣化による浸水と推定。", "リレー接点の溶着。", "電源基板のコンデンサ劣化。"]
CARRIERS = ["ヤマト運輸", "佐川急便", "日本郵便", "ゆうパック", "西濃運輸", "福山通運", "クロネコヤマト"]
RESULTS = ["リレー接点の溶着を確認。製造ロットの調査を実施中。", "再現せず。通信ユニット単体は正常。",
           "コネクタ端子の変形を確認。", "浸水による基板腐食を確認。", "電源基板のはんだクラックを確認。"]
MAILERS = ["Microsoft Outlook 16.0", "Mozilla Thunderbird 115.6", "Becky! ver. 2.81.04", "Gmail", "iPhone Mail (21D61)"]

LABELS = {  # key -> label variants
    "report_no": ["受付番号", "報告番号", "連絡票番号"], "report_date": ["報告日", "受付日", "起票日"],
    "dealer_code": ["販売店コード", "販社コード", "店舗コード"], "dealer_name": ["販売店名", "販社名", "店舗名"],
    "dealer_contact": ["担当者", "記入者"], "product_model": ["型式", "製品型式", "機種"],
    "serial_no": ["製造番号", "シリアル番号", "シリアルNo"], "supplier": ["仕入先", "メーカー"],
    "vin": ["車台番号", "フレーム番号"], "install_date": ["設置日", "取付日", "工事完了日"],
    "occurred_date": ["発生日", "不具合発生日", "発生年月日"], "defect_type": ["不具合区分", "不具合種別", "現象区分"],
    "error_code": ["エラーコード", "エラー番号"], "symptom": ["症状", "不具合内容", "現象"],
    "installer": ["施工会社", "施工業者"], "customer_name": ["お客様名", "顧客名"],
    "customer_address": ["ご住所", "設置先住所"], "customer_phone": ["お客様電話番号", "電話番号"],
    "repair_date": ["修理完了日", "作業完了日", "完了日"], "repair_action": ["修理内容", "処置内容", "作業内容"],
    "replaced_part": ["交換部品", "交換部品品番"], "cause": ["推定原因", "原因"], "technician": ["作業者", "作業担当者"],
    "part_return": ["部品返却", "返却要否"], "shipped_date": ["発送日", "返送日", "出荷日"],
    "carrier": ["運送会社", "宅配業者"], "tracking_no": ["伝票番号", "送り状番号", "追跡番号"],
    "received_date": ["受領日", "到着日", "受入日"], "analysis_result": ["解析結果", "調査結果"],
}
SUBJECTS = {
    "defect_report": ["市場不具合のご報告（{d}）", "市場不具合連絡 {s}", "不具合報告（{d}）", "【市場不具合】{m} 不具合のご報告",
                      "EV充電器 故障報告の件（{d}）"],
    "repair_report": ["[{ref}] 修理完了のご報告", "[{ref}] 処置完了報告", "修理完了報告 {s}"],
    "shipment_notice": ["[{ref}] 不具合品発送のご連絡", "[{ref}] 不具合品 出荷連絡", "[{ref}] 不具合品返送のご連絡"],
    "part_receipt": ["[{ref}] 不具合品受領のご連絡", "[{ref}] 不具合品到着のご連絡", "[{ref}] 解析結果のご報告"],
}


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0
        self.base = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=mk.JST)

    # -- values ---------------------------------------------------------------
    def date(self, dt):
        r = self.r.random()
        if r < 0.45:
            return "%d/%d/%d" % (dt.year, dt.month, dt.day)
        if r < 0.6:
            return dt.strftime("%Y-%m-%d")
        if r < 0.8:
            return "%d年%d月%d日（%s）" % (dt.year, dt.month, dt.day, "月火水木金土日"[dt.weekday()])
        if r < 0.9:
            return "R%d.%d.%d" % (dt.year - 2018, dt.month, dt.day)
        return "令和%d年%d月%d日" % (dt.year - 2018, dt.month, dt.day)

    def serial(self, prefix):
        r = self.r
        return "%s%02d%02d%s%05d" % (prefix, r.randint(22, 25), r.randint(1, 12), r.choice("ABC"), r.randint(0, 99999))

    def phone(self):
        r = self.r
        return "0%d-%03d-%04d" % (r.randint(3, 99), r.randint(100, 999), r.randint(0, 9999))

    def ref(self):
        return "MD-2026-%05d" % self.r.randint(1, 2500)

    def label(self, key):
        return self.r.choice(LABELS[key])

    # -- field sets -------------------------------------------------------------
    def fields(self, kind, when, dealer):
        r = self.r
        model, prefix = r.choice(MODELS)
        serial = self.serial(prefix)
        fl = []
        if kind == "defect_report":
            dtype, symptom = r.choice(DEFECTS)
            if r.random() < 0.4:
                symptom += "\n" + r.choice(EXTRA_LINES)
            occurred = when - datetime.timedelta(days=r.randint(0, 10))
            if r.random() < 0.6:
                fl.append(("report_no", "%s26-%04d" % (r.choice(["R", "Q", "FB"]), r.randint(1, 9999))))
            fl += [("report_date", self.date(when)), ("dealer_code", dealer[1]), ("dealer_name", dealer[0])]
            if r.random() < 0.5:
                fl.append(("dealer_contact", dealer[2]))
            fl += [("product_model", model), ("serial_no", serial), ("supplier", r.choice(SUPPLIERS))]
            if r.random() < 0.5:
                fl.append(("vin", "%s-%07d" % (r.choice(["ZVW60", "AYH30", "MXAA54", "XBU10"]), r.randint(0, 9999999))))
            if r.random() < 0.6:
                fl.append(("install_date", self.date(occurred - datetime.timedelta(days=r.randint(30, 900)))))
            fl += [("occurred_date", self.date(occurred)), ("defect_type", dtype)]
            if r.random() < 0.5:
                fl.append(("error_code", r.choice(["E-05", "E-12", "E-21", "ERR-105", "C-102"])))
            fl += [("symptom", symptom), ("installer", r.choice(INSTALLERS)), ("customer_name", r.choice(CUSTOMERS))]
            if r.random() < 0.6:
                fl.append(("customer_address", "%s%d-%d-%d" % (r.choice(PREFS), r.randint(1, 9), r.randint(1, 30), r.randint(1, 20))))
            fl.append(("customer_phone", self.phone()))
        elif kind == "repair_report":
            fl += [("serial_no", serial), ("repair_date", self.date(when - datetime.timedelta(days=r.randint(0, 4)))),
                   ("repair_action", r.choice(ACTIONS)), ("replaced_part", r.choice(PARTS))]
            if r.random() < 0.6:
                fl.append(("cause", r.choice(CAUSES)))
            fl += [("technician", r.choice(CUSTOMERS)), ("part_return", r.choice(["要", "不要", "返却する", "返却不要", "有", "あり"]))]
        elif kind == "shipment_notice":
            fl += [("serial_no", serial), ("shipped_date", self.date(when)), ("carrier", r.choice(CARRIERS)),
                   ("tracking_no", "%04d-%04d-%04d" % (r.randint(0, 9999), r.randint(0, 9999), r.randint(0, 9999)))]
        else:
            fl += [("received_date", self.date(when)), ("analysis_result", r.choice(RESULTS))]
        return fl

    def block(self, fl, kana_ok=True):
        r = self.r
        style = r.choice(["colon", "colon", "colon", "bullet", "square", "numbered", "tab"])
        lines = []
        for i, (key, val) in enumerate(fl):
            lab = self.label(key)
            vals = val.split("\n")
            if style == "square":
                lines += ["■" + lab] + ["\u3000" + v for v in vals]
            elif style == "bullet":
                lines += ["・%s：%s" % (lab, vals[0])] + vals[1:]
            elif style == "numbered":
                lines += ["%d. %s：%s" % (i + 1, lab, vals[0])] + vals[1:]
            elif style == "tab":
                lines += ["%s\t%s" % (lab, vals[0])] + vals[1:]
            else:
                lines += ["%s：%s" % (lab, vals[0])] + vals[1:]
        return "\n".join(lines)

    def letter(self, dealer, block, kind):
        r = self.r
        intro = {"defect_report": "下記の通り市場不具合をご報告いたします。",
                 "repair_report": "標記の件、修理が完了しましたのでご報告いたします。",
                 "shipment_notice": "不具合品を下記の通り発送いたしました。",
                 "part_receipt": "不具合品を受領しましたのでご連絡いたします。"}[kind]
        family = dealer[2].split()[0]
        sep = r.choice(["-- ", "-" * 32, "━" * 20, "=" * 30])
        lines = [r.choice(["品質管理グループ 御中", "関係各位", "品質管理グループ 高田様"]), "",
                 r.choice(["いつもお世話になっております。", "お世話になっております。", "お疲れ様です。"]),
                 "%sの%sです。" % (dealer[0], family), "", intro, "", block, "",
                 r.choice(["以上、よろしくお願いいたします。", "以上です。", "ご確認のほど、よろしくお願いいたします。"]), "",
                 sep, dealer[0], "サービス課　%s" % dealer[2], "TEL：%s　FAX：%s" % (self.phone(), self.phone()),
                 "Mail：%s@%s" % (ROMAJI[DEALERS.index(dealer)], dealer[3])]
        if r.random() < 0.3:
            lines += ["〒%03d-%04d" % (r.randint(100, 999), r.randint(0, 9999)),
                      "https://www.%s/" % dealer[3].split(".", 1)[1]]
        return "\n".join(lines) + "\n"

    def headers(self, dealer, subject, when, charset="ISO-2022-JP", extra=()):
        r = self.r
        self.n += 1
        addr = "%s@%s" % (ROMAJI[DEALERS.index(dealer)], dealer[3])
        host = dealer[3]
        return [
            ("Return-Path", "<%s>" % addr),
            ("Received", "from mail.%s (mail.%s [198.51.100.%d])\n\tby mx.ml.example.co.jp (Postfix) with ESMTPS id %08X;\n\t%s"
             % (host, host, r.randint(1, 254), r.getrandbits(32), mk.date_header(when))),
            ("Received", "from [10.%d.%d.%d] (unknown [10.%d.%d.%d])\n\tby mail.%s (Postfix) with ESMTPSA;\n\t%s"
             % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254), r.randint(0, 255), r.randint(0, 255),
                r.randint(1, 254), host, mk.date_header(when))),
            ("From", mk.address(dealer[2], addr, "UTF-8" if charset.upper() == "UTF-8" else "ISO-2022-JP")),
            ("To", LIST),
            ("Subject", mk.header_value(subject, charset if charset.upper() != "EUC-JP" else "ISO-2022-JP")),
            ("Date", mk.date_header(when)),
            ("Message-ID", "<%d.%08x.bench@%s>" % (self.n, r.getrandbits(32), host)),
            ("X-Mailer", r.choice(MAILERS)),
            ("List-Id", "<ev-defect.ml.example.co.jp>"),
            ("List-Unsubscribe", "<mailto:ev-defect-request@ml.example.co.jp?subject=unsubscribe>"),
            ("X-ML-Name", "ev-defect"),
            ("X-ML-Count", "%d" % (1000 + self.n)),
        ] + list(extra)

    def subject(self, kind, dealer, fl):
        model = dict(fl).get("product_model", "TC-6K-01")
        serial = dict(fl).get("serial_no", "")
        return self.r.choice(SUBJECTS[kind]).format(d=dealer[0], s=serial, m=model, ref=self.ref())

    def pick_kind(self):
        x = self.r.random()
        return ("defect_report" if x < 0.6 else "repair_report" if x < 0.8
                else "shipment_notice" if x < 0.92 else "part_receipt")

    # -- message types ------------------------------------------------------------
    def common(self):
        dealer = self.r.choice(DEALERS)
        when = self.base + datetime.timedelta(minutes=self.r.randint(0, 60 * 24 * 300))
        kind = self.pick_kind()
        fl = self.fields(kind, when, dealer)
        return dealer, when, kind, fl

    def plain_iso(self):
        dealer, when, kind, fl = self.common()
        body = self.letter(dealer, self.block(fl), kind)
        if self.r.random() < 0.15:
            body = body.replace("1. ", "① ").replace("2. ", "② ").replace("3. ", "③ ")
        raw = mk.iso2022jp(body)
        h = self.headers(dealer, self.subject(kind, dealer, fl), when)
        return mk.message(h, mk.text_part(body, "ISO-2022-JP", raw=raw))

    def sjis(self):
        dealer, when, kind, fl = self.common()
        body = self.letter(dealer, self.block(fl), kind)
        h = self.headers(dealer, self.subject(kind, dealer, fl), when)
        return mk.message(h, mk.text_part(body, "Shift_JIS", cte=self.r.choice(["base64", "8bit"])))

    def utf8(self):
        dealer, when, kind, fl = self.common()
        body = self.letter(dealer, self.block(fl), kind)
        h = self.headers(dealer, self.subject(kind, dealer, fl), when, charset="UTF-8")
        return mk.message(h, mk.text_part(body, "UTF-8", cte=self.r.choice(["base64", "quoted-printable", "8bit"])))

    def html_text(self, dealer, fl, kind, charset):
        if self.r.random() < 0.5:
            rows = "\n".join('<tr><td style="background:#eef">%s</td><td>%s</td></tr>'
                             % (self.label(k), "<br>".join(mk.html_escape(x) for x in v.split("\n"))) for k, v in fl)
            return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=%s"></head><body>\n'
                    "<p>品質管理グループ 御中<br>\n<br>\nいつもお世話になっております。<br>\n%sです。</p>\n"
                    '<table border="1" cellspacing="0">\n%s\n</table>\n<p>&nbsp;</p>\n<p>以上、よろしくお願いいたします。</p>\n'
                    "</body></html>\n" % (charset, mk.html_escape(dealer[0]), rows))
        text = self.letter(dealer, self.block(fl), kind)
        paras = "\n".join("<p class=MsoNormal>&nbsp;</p>" if not x.strip() else
                          "<p class=MsoNormal>%s<o:p></o:p></p>" % mk.html_escape(x) for x in text.split("\n"))
        return ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>\n'
                '<meta http-equiv="Content-Type" content="text/html; charset=%s">\n'
                "<style><!--\np.MsoNormal {margin:0mm; font-size:10.5pt; font-family:游ゴシック;}\n--></style>\n"
                "</head><body lang=JA><div class=WordSection1>\n%s\n</div></body></html>\n" % (charset, paras))

    def html(self):
        dealer, when, kind, fl = self.common()
        cs = self.r.choice(["UTF-8", "ISO-2022-JP"])
        html = self.html_text(dealer, fl, kind, cs)
        h = self.headers(dealer, self.subject(kind, dealer, fl), when, charset=cs)
        cte = "quoted-printable" if cs == "UTF-8" else "7bit"
        return mk.message(h, mk.text_part(html, cs, cte=cte, subtype="html"))

    def alternative(self):
        dealer, when, kind, fl = self.common()
        plain = self.letter(dealer, self.block(fl), kind)
        html = self.html_text(dealer, fl, kind, "ISO-2022-JP")
        alt = mk.multipart("alternative", [mk.text_part(plain, "ISO-2022-JP"),
                                           mk.text_part(html, "ISO-2022-JP", subtype="html")],
                           "----=_NextPart_%012X" % self.r.getrandbits(48), preamble="")
        return mk.message(self.headers(dealer, self.subject(kind, dealer, fl), when), alt)

    def rows(self):
        dealer, when, kind, _ = self.common()
        kind = "defect_report" if self.r.random() < 0.7 else "part_receipt"
        n = self.r.randint(3, 20)
        rows = [self.fields(kind, when - datetime.timedelta(days=self.r.randint(0, 6)), self.r.choice(DEALERS))
                for _ in range(n)]
        keys = [k for k, _ in rows[0] if k not in ("customer_name", "customer_address", "customer_phone", "vin")]
        header = [self.label(k) for k in keys]
        data = [[dict(rw).get(k, "") for k in keys] for rw in rows]
        if kind == "part_receipt":
            header = ["不具合管理番号"] + header
            data = [[self.ref()] + d for d in data]
        subject = "市場不具合報告（週次）%d件" % n if kind == "defect_report" else "不具合品 受領一覧のご連絡（%d件）" % n
        note = ("品質管理グループ御中\n\nいつもお世話になっております。\n%d件分の一覧を添付にてお送りします。\n"
                "ご確認をお願いいたします。\n\n-- \n%s\n" % (n, dealer[0]))
        return dealer, when, subject, note, header, data

    def csv(self):
        dealer, when, subject, note, header, data = self.rows()
        enc = self.r.choice(["utf-8", "cp932"])
        att = mk.attachment(mk.csv_bytes([header] + data, encoding=enc, bom=enc == "utf-8"), "text/csv", "report.csv")
        mp = mk.multipart("mixed", [mk.text_part(note, "UTF-8", cte="base64"), att],
                          "----=_Part_%012X" % self.r.getrandbits(48))
        return mk.message(self.headers(dealer, subject, when, charset="UTF-8"), mp)

    def xlsx(self):
        dealer, when, subject, note, header, data = self.rows()
        sheet = [(1, ["市場不具合 一覧"]), (3, header)] + [(i + 4, [c.replace("\n", " ") for c in row])
                                                          for i, row in enumerate(data)]
        att = mk.attachment(mk.xlsx_bytes(sheet), mk.XLSX_TYPE, "report.xlsx")
        mp = mk.multipart("mixed", [mk.text_part(note, "ISO-2022-JP"), att],
                          "----=_Part_%012X" % self.r.getrandbits(48))
        return mk.message(self.headers(dealer, subject, when), mp)

    def other(self):
        r = self.r
        dealer, when, kind, fl = self.common()
        x = r.random()
        if x < 0.4:   # reply with a quoted reminder
            body = self.letter(dealer, self.block(fl), kind)
            body += "\n2026/01/20 9:00、品質管理グループ wrote:\n" + "\n".join(
                "> %s：" % self.label(k) for k, _ in fl) + "\n"
            subj = "Re: 【ご入力のお願い】[%s] %s" % (self.ref(), "市場不具合 未入力項目のご確認")
            return mk.message(self.headers(dealer, subj, when), mk.text_part(body, "ISO-2022-JP"))
        if x < 0.7:   # forward
            inner = self.letter(dealer, self.block(fl), kind)
            body = ("関係各位\n\n販売店より下記の連絡がありましたので転送します。\n\n-------- 転送メッセージ --------\n"
                    "From: %s\nSubject: %s\n\n%s" % (dealer[2], self.subject(kind, dealer, fl), inner))
            return mk.message(self.headers(dealer, "転送: " + self.subject(kind, dealer, fl), when),
                              mk.text_part(body, "ISO-2022-JP"))
        if x < 0.9:   # auto-reply
            body = "%sは不在にしております。\n急ぎのご用件は店舗代表までご連絡ください。\n担当者：店舗代表\n" % dealer[2]
            return mk.message(self.headers(dealer, "自動応答: " + self.subject(kind, dealer, fl), when,
                                           extra=[("Auto-Submitted", "auto-replied")]),
                              mk.text_part(body, "ISO-2022-JP"))
        body = "ご連絡ありがとうございます。\n内容確認いたしました。引き続きよろしくお願いいたします。\n"
        return mk.message(self.headers(dealer, "Re: [%s] 修理完了報告" % self.ref(), when), mk.text_part(body, "ISO-2022-JP"))


MIX = [("plain_iso", 50), ("sjis", 15), ("utf8", 10), ("html", 10), ("alternative", 5), ("csv", 5),
       ("xlsx", 3), ("other", 2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    g = Gen(a.seed)
    names = [m for m, _ in MIX]
    weights = [w for _, w in MIX]
    counts = dict.fromkeys(names, 0)
    total = 0
    t0 = time.time()
    width = max(6, len(str(a.n)))
    for i in range(1, a.n + 1):
        kind = g.r.choices(names, weights)[0]
        data = getattr(g, kind)()
        counts[kind] += 1
        total += len(data)
        with open(os.path.join(a.outdir, "%0*d.eml" % (width, i)), "wb") as fh:
            fh.write(data)
    mix = " ".join("%s=%d" % (k, v) for k, v in counts.items())
    print("gen.py: %d messages, %d bytes (avg %d) in %s, %.1fs; %s"
          % (a.n, total, total // max(1, a.n), a.outdir, time.time() - t0, mix))


if __name__ == "__main__":
    main()
