/* fields + classify: layouts, quoting, forwards, signatures, kinds, refs (table-driven). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "classify.h"
#include "fields.h"
#include "record.h"
#include "vocab.h"

#include <stdlib.h>
#include <string.h>

static vocab *v;

static int setup(void **state)
{
	char *err = NULL;
	v = vocab_default(&err);
	return v ? 0 : -1;
}

static int teardown(void **state)
{
	vocab_free(v);
	return 0;
}

/* read `body` and return "key=value;key=value" in vocabulary order */
static char *read_fields(const char *body, bool reply, bool forward, char **ref)
{
	strlist warnings = STRLIST_INIT;
	fields_ctx c = { v, reply, forward, 2026, &warnings };
	record rec;
	memset(&rec, 0, sizeof rec);
	char *r = NULL;
	fields_read(&c, body, strlen(body), &rec, &r);
	strbuf b = STRBUF_INIT;
	sb_adds(&b, "");
	for (size_t k = 0; k < vocab_nfields(v); k++) {
		const char *val = record_get(&rec, (int)k);
		if (val)
			sb_addf(&b, "%s%s=%s", b.len ? ";" : "", vocab_field_at(v, k)->key, val);
	}
	for (size_t i = 0; i < rec.nfields; i++)
		free(rec.fields[i].value);
	free(rec.fields);
	sl_free(&warnings);
	if (ref)
		*ref = r;
	else
		free(r);
	return sb_steal(&b);
}

typedef struct layout_case {
	const char *name;
	const char *body;
	const char *want;
} layout_case;

static const layout_case layouts[] = {
	{ "full-width colon", "製造番号：T6K-01\n", "serial_no=T6K-01" },
	{ "ascii colon", "製造番号: T6K-01\n", "serial_no=T6K-01" },
	{ "lenticular brackets", "【製造番号】T6K-01\n", "serial_no=T6K-01" },
	{ "square brackets and colon", "[製造番号] : T6K-01\n", "serial_no=T6K-01" },
	{ "tab", "製造番号\tT6K-01\n", "serial_no=T6K-01" },
	{ "padding before colon", "製造番号　　　：T6K-01\n", "serial_no=T6K-01" },
	{ "label alone, indented value", "■製造番号\n　T6K-01\n", "serial_no=T6K-01" },
	{ "label alone, plain value", "製造番号\nT6K-01\n", "serial_no=T6K-01" },
	{ "numbered 1.", "1. 製造番号：T6K-01\n", "serial_no=T6K-01" },
	{ "numbered (1)", "(1) 製造番号：T6K-01\n", "serial_no=T6K-01" },
	{ "numbered full-width", "（１２）製造番号：T6K-01\n", "serial_no=T6K-01" },
	{ "circled number", "① 製造番号：T6K-01\n", "serial_no=T6K-01" },
	{ "bullets", "・製造番号：A\n●型式：B\n□機種：C\n* 症状：D\n", "product_model=B;serial_no=A;symptom=D" },
	{ "latin label, any case", "SERIAL NO: abc\nvin: jt123\n", "serial_no=abc;vin=JT123" },
	{ "longest label wins", "工事完了日：2026/1/2\n作業担当者：山田\n", "install_date=2026-01-02;technician=山田" },
	{ "label with a note", "発生日（推定）：2026/3/4\n", "occurred_date=2026-03-04" },
	{ "qualified label (suffix)", "不具合品の発送日：2026/3/5\n", "shipped_date=2026-03-05" },
	{ "multi-line text", "症状：一行目\n二行目\n\n型式：X\n", "product_model=X;symptom=一行目\n二行目" },
	{ "text ends at a field line", "症状：a\nb\n型式：X\nc\n", "product_model=X;symptom=a\nb" },
	{ "text ends at a separator", "症状：a\n-----\nb\n", "symptom=a" },
	{ "text ends at 以上", "症状：a\n以上です。\n", "symptom=a" },
	{ "empty value, value below", "Symptom：\n液漏れ\n", "symptom=液漏れ" },
	{ "label alone with a label-like value", "■担当者\n　販売店\n", "dealer_contact=販売店" },
	{ "quoted lines ignored", "> 製造番号：OLD\n製造番号：NEW\n", "serial_no=NEW" },
	{ "first value wins", "製造番号：A\n製造番号：B\n", "serial_no=A" },
	{ "signature ignored", "型式：X\n-- \nTEL：03\n住所：東京都\n", "product_model=X" },
	{ "rule-line signature ignored", "型式：X\n\n==========\n担当者：山田\n住所：東京\n", "product_model=X" },
	{ "boxed block read", "下記の通り\n----------------------------------------\n型式：X\n製造番号：Y\n症状：Z\n----------------------------------------\n",
	  "product_model=X;serial_no=Y;symptom=Z" },
	{ "not a label: sentence", "お客様より販売店へ連絡あり。\n", "" },
	{ "not a label: time", "14:30に発生\n", "" },
	{ "not a label: TEL", "TEL：03-1234-5678\n", "" },
	/* each line is trimmed once and every test reads that: white space of all kinds */
	{ "ideographic and no-break spaces around", "\u3000製造番号：A1\u00A0\n\u3000型式\t\u3000B2\u3000\n",
	  "product_model=B2;serial_no=A1" },
	{ "quoted after white space", " \u3000＞製造番号：OLD\n製造番号：NEW\n", "serial_no=NEW" },
	{ "blank line of white space ends text", "症状：a\n\u3000 \u00A0\nb\n", "symptom=a" },
	{ "full-width colon before a TAB", "製造番号：A\tB\n", "serial_no=AB" },
	{ "TAB before a full-width colon", "製造番号\t：A\n", "serial_no=A" },
	{ "full-width label and digits", "ＶＩＮ：ｊｔ１２３\n", "vin=JT123" },
	{ "label with a long dash", "エラーコード：E-01\n", "error_code=E-01" },
	{ "marks before numbers", "■①型式：X\n★(2) 機種：Y\n", "product_model=X" },
	{ "short rule is a separator", "症状：a\n＝＝＝\nb\n", "symptom=a" },
	{ "a line that only starts like a rule", "症状：a\n--- 続き\n", "symptom=a\n--- 続き" },
};

static void test_layouts(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(layouts); i++) {
		char *got = read_fields(layouts[i].body, false, false, NULL);
		if (strcmp(got, layouts[i].want))
			fail_msg("%s: got '%s', want '%s'", layouts[i].name, got, layouts[i].want);
		free(got);
	}
}

static void test_reply_and_forward(void **state)
{
	const char *outlook = "型式：NEW\n\n-----Original Message-----\nFrom: a\nSent: b\n型式：OLD\n製造番号：S1\n";
	char *got = read_fields(outlook, true, false, NULL);
	assert_string_equal(got, "product_model=NEW");
	free(got);
	const char *wrote = "型式：NEW\nOn Mon, 5 Jan 2026, Taro wrote:\n製造番号：S1\n";
	got = read_fields(wrote, true, false, NULL);
	assert_string_equal(got, "product_model=NEW");
	free(got);
	const char *jp = "型式：NEW\n2026年1月5日(月) 9:00 山田 のメッセージ:\n製造番号：S1\n";
	got = read_fields(jp, true, false, NULL);
	assert_string_equal(got, "product_model=NEW");
	free(got);
	/* forwarded: the header block is skipped and what follows is read */
	const char *fwd = "転送します。\n\n-------- 転送メッセージ --------\nFrom: a@b\nDate: 2026/1/1\nSubject: x\n\n製造番号：S1\n";
	got = read_fields(fwd, false, true, NULL);
	assert_string_equal(got, "serial_no=S1");
	free(got);
	/* Outlook forward: ____ then a From: block belongs to the header, not a signature */
	const char *olfwd = "FYI\n\n________________________________\nFrom: a@b\nSent: 2026/1/1\nTo: c\nSubject: x\n\n製造番号：S2\n";
	got = read_fields(olfwd, false, true, NULL);
	assert_string_equal(got, "serial_no=S2");
	free(got);
	/* the same block in a reply is ignored */
	got = read_fields(olfwd, true, false, NULL);
	assert_string_equal(got, "");
	free(got);
	/* a header that says forwarded is read even without a Fwd: subject */
	got = read_fields(fwd, false, false, NULL);
	assert_string_equal(got, "serial_no=S1");
	free(got);
}

static void test_body_ref(void **state)
{
	char *ref = NULL;
	char *got = read_fields("> MD-2026-00001\n件名の件 ＭＤ－２０２６－００１２３ です\n", false, false, &ref);
	assert_non_null(ref);
	assert_string_equal(ref, "MD-2026-00123");
	free(ref);
	free(got);
}

static void test_subject(void **state)
{
	static const struct {
		const char *subject;
		bool reply, forward;
		record_kind kind;
	} cases[] = {
		{ "Re: RE: Fwd: [MD-2026-00001] 修理完了報告", true, false, KIND_REPAIR_REPORT },
		{ "転送: 不具合品 受領のご連絡", false, true, KIND_PART_RECEIPT },
		{ "FW: 受領および発送", false, true, KIND_PART_RECEIPT },
		{ "返信: 返送のご連絡", true, false, KIND_SHIPMENT_NOTICE },
		{ "【市場不具合】TC-6K 不具合のご報告", false, false, KIND_DEFECT_REPORT },
		{ "Re[2]: 入荷しました", true, false, KIND_PART_RECEIPT },
		{ "お世話になっております", false, false, KIND_NONE },
		/* the MD tag must not leak digits into keyword matching, nor "md" */
		{ "[MD-2026-00042] ご連絡", false, false, KIND_NONE },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool reply, forward;
		char *key = classify_subject(cases[i].subject, &reply, &forward);
		if (reply != cases[i].reply || forward != cases[i].forward)
			fail_msg("%s: reply %d forward %d", cases[i].subject, reply, forward);
		if (vocab_kind_for_subject(v, key) != cases[i].kind)
			fail_msg("%s: kind %d, want %d (key %s)", cases[i].subject, vocab_kind_for_subject(v, key),
				 cases[i].kind, key);
		assert_null(strstr(key, "md-2026"));
		free(key);
	}
}

static void test_kind_by_fields(void **state)
{
	static const struct {
		const char *body;
		record_kind kind;
	} cases[] = {
		{ "受領日：2026/1/2\n発送日：2026/1/1\n", KIND_PART_RECEIPT },
		{ "解析結果：溶着\n", KIND_PART_RECEIPT },
		{ "修理日：2026/1/2\n伝票番号：1234-5678-9012\n", KIND_REPAIR_REPORT },
		{ "作業者：山田\n", KIND_REPAIR_REPORT },
		{ "伝票番号：1234-5678-9012\n", KIND_SHIPMENT_NOTICE },
		{ "運送会社：佐川\n", KIND_SHIPMENT_NOTICE },
		{ "製造番号：X\n", KIND_DEFECT_REPORT },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		fields_ctx c = { v, false, false, 2026, NULL };
		record rec;
		memset(&rec, 0, sizeof rec);
		char *ref = NULL;
		fields_read(&c, cases[i].body, strlen(cases[i].body), &rec, &ref);
		assert_int_equal(classify_by_fields(&rec, v), cases[i].kind);
		for (size_t k = 0; k < rec.nfields; k++)
			free(rec.fields[k].value);
		free(rec.fields);
		free(ref);
	}
}

static void test_find_ref(void **state)
{
	static const struct {
		const char *s;
		const char *want;
	} cases[] = {
		{ "[MD-2026-00031] 修理完了", "MD-2026-00031" },
		{ "md-2026-00031", "MD-2026-00031" },
		{ "ＭＤ－２０２６－０００３１", "MD-2026-00031" },
		{ "MD‐2026‐00031", "MD-2026-00031" },
		{ "XMD-2026-00031", NULL },
		{ "MD-2026-000312", NULL },
		{ "MD-26-00031", NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = classify_find_ref(cases[i].s, strlen(cases[i].s));
		if (cases[i].want) {
			assert_non_null(got);
			assert_string_equal(got, cases[i].want);
		} else {
			assert_null(got);
		}
		free(got);
	}
}

static void test_noise(void **state)
{
	noise_facts f = { 0 };
	f.from = "a@b.jp";
	assert_null(classify_noise(&f, v));
	f.auto_submitted = "no";
	assert_null(classify_noise(&f, v));
	f.auto_submitted = "auto-replied";
	assert_string_equal(classify_noise(&f, v), "auto-reply");
	f.auto_submitted = NULL;
	f.precedence = "auto_reply";
	assert_string_equal(classify_noise(&f, v), "auto-reply");
	f.precedence = "bulk";
	assert_null(classify_noise(&f, v));
	f.from = "MAILER-DAEMON@mx.example.jp";
	assert_string_equal(classify_noise(&f, v), "bounce");
	f.from = "postmaster@x";
	assert_string_equal(classify_noise(&f, v), "bounce");
	f.from = "postmaster-team@x";
	assert_null(classify_noise(&f, v));
	f.subject_key = "outofoffice:不在";
	assert_string_equal(classify_noise(&f, v), "auto-reply");
	f.subject_key = "automaticreply:x";
	assert_string_equal(classify_noise(&f, v), "auto-reply");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_reply_and_forward),
		cmocka_unit_test(test_body_ref),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_kind_by_fields),
		cmocka_unit_test(test_find_ref),
		cmocka_unit_test(test_noise),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
