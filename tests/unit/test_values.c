/* test_values — value_date and value_normalise, class by class (SPEC.md §3 "Values, by class"),
 * and the NFKC every value goes through: the fast path against libutf8proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "text.h"
#include "util.h"
#include "values.h"
#include "vocab.h"

#include <utf8proc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vocab *V;

static int setup(void **state)
{
	(void)state;
	char *err = NULL;
	V = vocab_default(&err);
	if (!V) {
		fprintf(stderr, "vocab_default: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vocab_free(V);
	V = NULL;
	return 0;
}

static const field_def *field(const char *key)
{
	int i = vocab_field_index(V, key);
	if (i < 0)
		fail_msg("no field %s in the default vocabulary", key);
	return vocab_field_at(V, (size_t)i);
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

#define OR_NULL(s) ((s) ? (s) : "(null)")

/* value_normalise must always set *why: start it at a pointer it cannot keep */
static char not_set;

/* normalise `in` as field `key`; compare value and reason (NULL = none expected) */
static void check(const char *key, const char *in, int default_year, const char *want,
		  const char *want_why)
{
	char *why = &not_set;
	char *out = value_normalise(V, field(key), in, strlen(in), default_year, &why);
	if (why == &not_set)
		fail_msg("%s \"%s\": *why left unset", key, in);
	if (!same(out, want) || !same(why, want_why))
		fail_msg("%s \"%s\": got %s [%s], want %s [%s]", key, in, OR_NULL(out), OR_NULL(why),
			 OR_NULL(want), OR_NULL(want_why));
	free(out);
	free(why);
}

typedef struct case3 {
	const char *in;
	const char *want;
	const char *why;
} case3;

static void run_cases(const char *key, const case3 *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(key, c[i].in, 0, c[i].want, c[i].why);
}

/* ---- dates ------------------------------------------------------------------ */

typedef struct date_case {
	const char *in;
	int default_year;
	const char *want;	/* YYYY-MM-DD, or NULL: not a date */
} date_case;

static void check_date(const date_case *c)
{
	int y = -7, m = -7, d = -7;
	int rc = value_date(c->in, strlen(c->in), c->default_year, &y, &m, &d);
	if (!c->want) {
		if (rc != -1)
			fail_msg("\"%s\" (year %d): read as %04d-%02d-%02d, want not a date", c->in,
				 c->default_year, y, m, d);
		if (y != -7 || m != -7 || d != -7)
			fail_msg("\"%s\": outputs written on failure", c->in);
		return;
	}
	if (rc != 0)
		fail_msg("\"%s\" (year %d): not read, want %s", c->in, c->default_year, c->want);
	char got[32];
	snprintf(got, sizeof got, "%04d-%02d-%02d", y, m, d);
	if (strcmp(got, c->want) != 0)
		fail_msg("\"%s\" (year %d): got %s, want %s", c->in, c->default_year, got, c->want);
}

static void test_date_western(void **state)
{
	(void)state;
	static const date_case c[] = {
		{ "2026/1/21", 0, "2026-01-21" },
		{ "2026/01/21", 0, "2026-01-21" },
		{ "2026-01-21", 0, "2026-01-21" },
		{ "2026.1.21", 0, "2026-01-21" },
		{ "2026年1月21日", 0, "2026-01-21" },
		{ "2026年01月21日", 0, "2026-01-21" },
		{ "2026 年 1 月 21 日", 0, "2026-01-21" },
		{ "2026　年　1　月　21　日", 0, "2026-01-21" },
		{ "２０２６年１月２１日", 0, "2026-01-21" },
		{ "２０２６／０１／２１", 0, "2026-01-21" },
		{ "２０２６－０１－２１", 0, "2026-01-21" },
		{ "  2026/1/21 \t", 0, "2026-01-21" },
		{ "　2026/1/21　", 0, "2026-01-21" },
		{ "2026/1/21。", 0, "2026-01-21" },
		{ "2024/2/29", 0, "2024-02-29" },
		{ "2000/2/29", 0, "2000-02-29" },
		{ "2026/12/31", 0, "2026-12-31" },
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		check_date(&c[i]);
}

static void test_date_weekday_time(void **state)
{
	(void)state;
	static const date_case c[] = {
		{ "2026年1月21日（水）", 0, "2026-01-21" },
		{ "2026年1月21日(水)", 0, "2026-01-21" },
		{ "2026/1/21 (Wed)", 0, "2026-01-21" },
		{ "2026/1/21(wednesday)", 0, "2026-01-21" },
		{ "2026/1/21 Wed.", 0, "2026-01-21" },
		{ "2026年1月21日 水曜日", 0, "2026-01-21" },
		{ "2026年1月21日（水曜）", 0, "2026-01-21" },
		{ "2026年5月4日（月・祝）", 0, "2026-05-04" },
		{ "2026/1/21 14:30", 0, "2026-01-21" },
		{ "2026/1/21 14:30:00", 0, "2026-01-21" },
		{ "2026/1/21 9:05", 0, "2026-01-21" },
		{ "2026年1月21日 14時30分", 0, "2026-01-21" },
		{ "2026年1月21日14時", 0, "2026-01-21" },
		{ "2026年1月21日 14時半", 0, "2026-01-21" },
		{ "2026年1月21日 午後2時30分", 0, "2026-01-21" },
		{ "2026/1/21 2:30 PM", 0, "2026-01-21" },
		{ "2026-01-21T14:30", 0, "2026-01-21" },
		{ "2026年1月21日（水）14:30", 0, "2026-01-21" },
		{ "２０２６年１月２１日（水）　１４：３０", 0, "2026-01-21" },
		{ "2026/1/21 14:30 (水)", 0, "2026-01-21" },
		{ "2026/01/21(水) 14時30分00秒。", 0, "2026-01-21" },
		{ "R8.1.21（水）", 0, "2026-01-21" },
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		check_date(&c[i]);
}

static void test_date_era(void **state)
{
	(void)state;
	static const date_case c[] = {
		{ "令和8年1月21日", 0, "2026-01-21" },
		{ "令和 8 年 1 月 21 日", 0, "2026-01-21" },
		{ "令和元年5月1日", 0, "2019-05-01" },
		{ "令和1年5月1日", 0, "2019-05-01" },
		{ "R8.1.21", 0, "2026-01-21" },
		{ "R8/1/21", 0, "2026-01-21" },
		{ "R8-1-21", 0, "2026-01-21" },
		{ "R08.01.21", 0, "2026-01-21" },
		{ "Ｒ８．１．２１", 0, "2026-01-21" },
		{ "㋿8年1月21日", 0, "2026-01-21" },
		{ "R元.5.1", 0, "2019-05-01" },
		{ "平成31年4月30日", 0, "2019-04-30" },
		{ "H31.4.30", 0, "2019-04-30" },
		{ "平成元年1月8日", 0, "1989-01-08" },
		{ "H1.1.8", 0, "1989-01-08" },
		{ "平成12年2月29日", 0, "2000-02-29" },
		{ "昭和64年1月7日", 0, "1989-01-07" },
		{ "S64.1.7", 0, "1989-01-07" },
		{ "昭和1年12月25日", 0, "1926-12-25" },
		{ "S50/3/1", 0, "1975-03-01" },
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		check_date(&c[i]);
}

static void test_date_no_year(void **state)
{
	(void)state;
	static const date_case c[] = {
		{ "1月21日", 2026, "2026-01-21" },
		{ "１月２１日（水）", 2026, "2026-01-21" },
		{ "1/21", 2026, "2026-01-21" },
		{ "1 月 21 日 14:30", 2026, "2026-01-21" },
		{ "2月29日", 2024, "2024-02-29" },
		{ "2月29日", 2026, NULL },
		{ "1月21日", 0, NULL },
		{ "1/21", 0, NULL },
		{ "1月21日", 12, NULL },	/* not a year we believe */
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		check_date(&c[i]);
}

static void test_date_invalid(void **state)
{
	(void)state;
	static const date_case c[] = {
		{ "2026/2/30", 0, NULL },
		{ "2026/2/29", 0, NULL },
		{ "1900/2/29", 0, NULL },
		{ "2026/13/1", 0, NULL },
		{ "2026/0/10", 0, NULL },
		{ "2026/1/0", 0, NULL },
		{ "2026/4/31", 0, NULL },
		{ "先週", 2026, NULL },
		{ "不明", 2026, NULL },
		{ "", 2026, NULL },
		{ "   ", 2026, NULL },
		{ "26/1/21", 2026, NULL },
		{ "26/1/21", 0, NULL },
		{ "26年1月21日", 2026, NULL },
		{ "026/1/21", 0, NULL },
		{ "20260121", 0, NULL },
		{ "2026/1/21頃", 0, NULL },
		{ "2026/1/21 頃", 0, NULL },
		{ "2026/1/21 午後", 0, NULL },
		{ "2026/1-21", 0, NULL },
		{ "2026/1/21/5", 0, NULL },
		{ "2026/1/211", 0, NULL },
		{ "2026年1月21", 0, NULL },
		{ "2026年1月", 0, NULL },
		{ "2026/1/21 25:00", 0, NULL },
		{ "2026/1/21 14:60", 0, NULL },
		{ "2026/1/21 (火", 0, NULL },
		{ "2026/1/21 (Foo)", 0, NULL },
		{ "2026/1/21 水", 0, NULL },
		{ "2026/1/21 (水)(水)", 0, NULL },
		{ "2026/1/21 1430", 0, NULL },
		{ "1850/1/1", 0, NULL },
		{ "令和100年1月1日", 0, NULL },
		{ "平成32年1月1日", 0, NULL },
		{ "昭和65年1月1日", 0, NULL },
		{ "令和0年1月1日", 0, NULL },
		{ "R.1.21", 0, NULL },
		{ "X8.1.21", 0, NULL },
		{ "1.21", 2026, NULL },
		{ "2026/1/21\n備考あり", 0, NULL },
		{ "\xff" "2026/1/21", 0, NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		check_date(&c[i]);
}

static void test_date_length_bound(void **state)
{
	(void)state;
	int y = 0, m = 0, d = 0;
	/* only n bytes are read: the trailing text is outside */
	const char s[] = "2026/1/21頃";
	assert_int_equal(value_date(s, 9, 0, &y, &m, &d), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 1);
	assert_int_equal(d, 21);
	assert_int_equal(value_date(s, strlen(s), 0, &y, &m, &d), -1);
	/* cut inside the day */
	assert_int_equal(value_date("2026/1/21", 7, 0, &y, &m, &d), -1);
	/* an embedded NUL ends the value */
	assert_int_equal(value_date("2026/1/21\0xyz", 13, 0, &y, &m, &d), 0);
	assert_int_equal(value_date(NULL, 0, 2026, &y, &m, &d), -1);
}

static void test_date_field(void **state)
{
	(void)state;
	check("occurred_date", "２０２６年１月２１日（水）", 0, "2026-01-21", NULL);
	check("occurred_date", "R8.9.9", 0, "2026-09-09", NULL);
	check("report_date", "1月21日", 2026, "2026-01-21", NULL);
	check("report_date", "1月21日", 0, NULL, "not a date: 1月21日");
	check("occurred_date", "先週", 2026, NULL, "not a date: 先週");
	check("occurred_date", "　2026/2/30　", 0, NULL, "not a date: 2026/2/30");
	check("shipped_date", "26/1/21", 2026, NULL, "not a date: 26/1/21");
	/* the reason quotes the value in NFKC */
	check("repair_date", "２０２６年１３月１日", 0, NULL, "not a date: 2026年13月1日");
	check("occurred_date", "", 2026, NULL, NULL);
	check("occurred_date", " \t　", 2026, NULL, NULL);
}

/* ---- codes ------------------------------------------------------------------ */

static void test_code(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "ＴＣ－６Ｋ－０１", "TC-6K-01", NULL },
		{ "TC-6K-01", "TC-6K-01", NULL },
		{ "TC‐6K−01", "TC-6K-01", NULL },
		{ "TC‑6K‒01", "TC-6K-01", NULL },
		{ "TC–6K—01", "TC-6K-01", NULL },
		{ "TC―6K-01", "TC-6K-01", NULL },
		{ "TCー6Kー01", "TC-6K-01", NULL },
		{ "TCｰ6Kｰ01", "TC-6K-01", NULL },
		{ "  tc-6k-01  ", "tc-6k-01", NULL },	/* only vin is upper-cased */
		{ "", NULL, NULL },
		{ "　 ", NULL, NULL },
	};
	run_cases("product_model", c, ARRAY_LEN(c));
	static const case3 s[] = {
		{ "T6K 2301 A", "T6K2301A", NULL },
		{ "T6K　2301　A", "T6K2301A", NULL },
		{ "T6K\t2301\nA", "T6K2301A", NULL },
		{ "Ｔ６Ｋ２３０１Ａ６２０５７", "T6K2301A62057", NULL },
	};
	run_cases("serial_no", s, ARRAY_LEN(s));
	static const case3 vin[] = {
		{ "jtdulh2ew5vmw3pbk", "JTDULH2EW5VMW3PBK", NULL },
		{ "ｘｂｕ１０－１８４０５５３", "XBU10-1840553", NULL },
		{ "Zvw60 4042763", "ZVW604042763", NULL },
	};
	run_cases("vin", vin, ARRAY_LEN(vin));
	check("error_code", "Ｅ－２１", 0, "E-21", NULL);
	check("replaced_part", "TK－CBL－0301", 0, "TK-CBL-0301", NULL);
}

/* ---- text ------------------------------------------------------------------- */

static void test_text(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "本体内部に水滴が付着している。", "本体内部に水滴が付着している。", NULL },
		{ "  line one  \n\tline two\t", "line one\nline two", NULL },
		{ "　全角スペース　\n　二行目　", "全角スペース\n二行目", NULL },
		{ "\n\n  first\n\n\nsecond\n\n  ", "first\n\n\nsecond", NULL },
		{ "a\r\nb\rc", "a\nb\nc", NULL },
		{ "a\r\n   \r\nb", "a\n\nb", NULL },
		{ "ｶﾀｶﾅ", "カタカナ", NULL },
		{ "ｹｰﾌﾞﾙ", "ケーブル", NULL },
		{ "ケーブル曲げ半径不足", "ケーブル曲げ半径不足", NULL },
		{ "測定（良好）", "測定(良好)", NULL },
		{ "ＡＢＣ１２３", "ABC123", NULL },
		{ "吉田　大輔", "吉田 大輔", NULL },	/* NFKC: U+3000 inside becomes a space */
		{ "", NULL, NULL },
		{ " \n　\n\t", NULL, NULL },
	};
	run_cases("symptom", c, ARRAY_LEN(c));
}

/* ---- phone and tracking ----------------------------------------------------- */

static void test_phone(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "092-431-7788", "092-431-7788", NULL },
		{ "０９２－４３１－７７８８", "092-431-7788", NULL },
		{ "０９２ー４３１ー７７８８", "092-431-7788", NULL },
		{ " 03 (5968) 5700 ", "03 (5968) 5700", NULL },
		{ "（０３）５９６８‐５７００", "(03)5968-5700", NULL },
		{ "+81-90-1234-5678", "+81-90-1234-5678", NULL },
		{ "123456", "123456", NULL },
		{ "12345", NULL, "not a phone number: 12345" },
		{ "なし", NULL, "not a phone number: なし" },
		{ "", NULL, NULL },
	};
	run_cases("customer_phone", c, ARRAY_LEN(c));
}

static void test_tracking(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "1234-5678-9012", "123456789012", NULL },
		{ "3534 6468 4877", "353464684877", NULL },
		{ "３７７３－５８２４－３２８７", "377358243287", NULL },
		{ "３７７３ー５８２４　３２８７", "377358243287", NULL },
		{ "048102402682", "048102402682", NULL },
		{ "123456", "123456", NULL },
		{ "12345", NULL, "not a tracking number: 12345" },
		{ "未定", NULL, "not a tracking number: 未定" },
		{ "  ", NULL, NULL },
	};
	run_cases("tracking_no", c, ARRAY_LEN(c));
}

/* ---- bool -------------------------------------------------------------------- */

static void test_bool(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "要", "true", NULL },
		{ "必要", "true", NULL },
		{ "有", "true", NULL },
		{ "あり", "true", NULL },
		{ "返却する", "true", NULL },
		{ "Yes", "true", NULL },
		{ "YES", "true", NULL },
		{ "ｙｅｓ", "true", NULL },
		{ "〇", "true", NULL },	/* U+3007 */
		{ "○", "true", NULL },	/* U+25CB */
		{ "不要", "false", NULL },
		{ "無", "false", NULL },
		{ "なし", "false", NULL },
		{ "返却不要", "false", NULL },
		{ "No", "false", NULL },
		{ "×", "false", NULL },
		{ "  要  ", "true", NULL },
		{ "たぶん", NULL, "not yes/no: たぶん" },
		{ "　検討中　", NULL, "not yes/no: 検討中" },
		{ "", NULL, NULL },
	};
	run_cases("part_return", c, ARRAY_LEN(c));
}

/* ---- enums ------------------------------------------------------------------- */

static void test_defect_type(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "充電不可", "NO_CHARGE", NULL },
		{ "充電開始しない", "NO_CHARGE", NULL },
		{ "漏電ブレーカー作動", "BREAKER_TRIP", NULL },
		{ "ブレーカーが落ちる", "BREAKER_TRIP", NULL },
		{ "表示不良", "DISPLAY", NULL },
		{ "ＬＥＤ不点灯", "DISPLAY", NULL },
		{ "接続エラー", "COMM", NULL },
		{ "通信異常", "COMM", NULL },
		{ "異音", "NOISE", NULL },
		{ "発熱", "OVERHEAT", NULL },
		{ "焦げ臭い", "OVERHEAT", NULL },
		{ "異臭", "OVERHEAT", NULL },
		{ "ケーブル損傷", "CABLE", NULL },
		{ "ｹｰﾌﾞﾙ損傷", "CABLE", NULL },
		{ "ケーブル破損", "CABLE", NULL },	/* longest wins over 破損 */
		{ "コネクタ破損", "CABLE", NULL },
		{ "外観不良", "APPEARANCE", NULL },
		{ "破損", "APPEARANCE", NULL },
		{ "本体の変形", "APPEARANCE", NULL },
		{ "浸水", "WATER", NULL },
		{ "水濡れ", "WATER", NULL },
		{ "その他", "OTHER", NULL },
		{ "  浸水  ", "WATER", NULL },
		{ "充電ケーブルの被覆が破れ", "OTHER",
		  "no defect_type synonym for: 充電ケーブルの被覆が破れ" },
		{ "ＺＺＺ", "OTHER", "no defect_type synonym for: ZZZ" },
		{ "", NULL, NULL },
		{ "－", NULL, NULL },	/* a dash in a form means nothing stated */
	};
	run_cases("defect_type", c, ARRAY_LEN(c));
}

static void test_carrier(void **state)
{
	(void)state;
	static const case3 c[] = {
		{ "ヤマト運輸", "YAMATO", NULL },
		{ "クロネコヤマト", "YAMATO", NULL },
		{ "ヤマト", "YAMATO", NULL },
		{ "ﾔﾏﾄ運輸", "YAMATO", NULL },
		{ "佐川急便", "SAGAWA", NULL },
		{ "佐川", "SAGAWA", NULL },
		{ "日本郵便", "JPPOST", NULL },
		{ "ゆうパック", "JPPOST", NULL },
		{ "西濃運輸", "SEINO", NULL },
		{ "福山通運", "FUKUYAMA", NULL },
		{ "赤帽", "OTHER", NULL },	/* the carrier table does not warn */
		{ "", NULL, NULL },
	};
	run_cases("carrier", c, ARRAY_LEN(c));
}

/* ---- across classes ---------------------------------------------------------- */

static void test_nothing_stated(void **state)
{
	(void)state;
	static const char *const keys[] = { "report_no", "occurred_date", "symptom", "customer_phone",
					    "tracking_no", "part_return", "defect_type", "carrier" };
	static const char *const blank[] = { "", " ", "　", "\t\r\n", "－", " ー ", "-", "―" };
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		for (size_t j = 0; j < ARRAY_LEN(blank); j++)
			check(keys[i], blank[j], 2026, NULL, NULL);
	/* NULL why pointer is allowed */
	char *out = value_normalise(V, field("occurred_date"), "先週", strlen("先週"), 2026, NULL);
	assert_null(out);
	/* n, not the NUL, bounds the value */
	char *why = &not_set;
	out = value_normalise(V, field("report_no"), "AB12XYZ", 4, 0, &why);
	assert_non_null(out);
	assert_string_equal(out, "AB12");
	assert_null(why);
	free(out);
}

static void test_reason_is_bounded(void **state)
{
	(void)state;
	strbuf b = STRBUF_INIT;
	for (int i = 0; i < 200; i++)
		sb_adds(&b, "先");
	sb_adds(&b, "\n週");
	char *why = &not_set;
	char *out = value_normalise(V, field("occurred_date"), b.s, b.len, 2026, &why);
	assert_null(out);
	assert_non_null(why);
	assert_true(strncmp(why, "not a date: 先先", strlen("not a date: 先先")) == 0);
	assert_true(strlen(why) < 160);
	assert_non_null(strstr(why, "…"));
	free(why);

	/* line breaks and control characters do not reach the warning */
	why = &not_set;
	out = value_normalise(V, field("occurred_date"), "先週\nの水曜", strlen("先週\nの水曜"), 2026,
			      &why);
	assert_null(out);
	assert_non_null(why);
	assert_string_equal(why, "not a date: 先週 の水曜");
	free(why);

	/* invalid UTF-8 is quoted as U+FFFD so the warning stays valid UTF-8 */
	why = &not_set;
	out = value_normalise(V, field("tracking_no"), "\xff\xfe" "番号", 8, 0, &why);
	assert_null(out);
	assert_non_null(why);
	assert_true(utf8_valid(why, strlen(why)));
	free(why);
	sb_free(&b);
}

/* characters around the edges of text_nfkc's fast path: what it maps (full-width
 * ASCII, U+3000), what it leaves (kana, kanji, CJK punctuation), and neighbours it
 * must leave to utf8proc (voiced marks, half-width kana, circled numbers, ...) */
static const uint32_t nfkc_alphabet[] = {
	'a', 'Z', ' ', '-', '~', '(', ')', '\t', 0x3000, 0xFF01, 0xFF0D, 0xFF10, 0xFF21, 0xFF41,
	0xFF5E, 0xFF5F, 0xFFE5, 0x3001, 0x301C, 0x301F, 0x3020, 0x3041, 0x3096, 0x3099, 0x309A,
	0x309B, 0x309D, 0x309F, 0x30A1, 0x30AB, 0x30FC, 0x30FE, 0x30FF, 0x4E00, 0x9FFF, 0xFF61,
	0xFF76, 0xFF9E, 0x2460, 0x3231, 0x00A0, 0x00B5, 0x0301, 0x212B, 0x2010, 0x2212, 0xFFFD,
};

/* the same text through libutf8proc, as text_nfkc's contract says */
static char *nfkc_reference(const char *s, size_t n)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
					  UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_STABLE);
	assert_true(r >= 0);
	return (char *)out;
}

static void test_nfkc_fast_path_is_nfkc(void **state)
{
	(void)state;
	unsigned seed = 7;
	for (int round = 0; round < 50000; round++) {
		strbuf b = STRBUF_INIT;
		sb_adds(&b, "");
		seed = seed * 1103515245 + 12345;
		for (unsigned k = (seed >> 16) % 8; k > 0; k--) {
			seed = seed * 1103515245 + 12345;
			sb_add_utf8(&b, nfkc_alphabet[(seed >> 16) % ARRAY_LEN(nfkc_alphabet)]);
		}
		char *got = text_nfkc(b.s, b.len), *want = nfkc_reference(b.s, b.len);
		assert_string_equal(got, want);
		/* a match key is NFKC, case folded, spaces out, dashes and waves folded:
		 * the key of the NFKC form is the same key */
		char *k1 = text_match_key(b.s, b.len), *k2 = text_match_key(want, strlen(want));
		assert_string_equal(k1, k2);
		char buf[64];
		size_t n = text_match_key_buf(b.s, b.len, buf, sizeof buf);
		if (n != (size_t)-1) {
			assert_string_equal(buf, k1);
			assert_int_equal(n, strlen(k1));
		}
		free(got);
		free(want);
		free(k1);
		free(k2);
		sb_free(&b);
	}
	char *key = text_match_key("ＳＥＲＩＡＬ　ＮＯ", strlen("ＳＥＲＩＡＬ　ＮＯ"));
	assert_string_equal(key, "serialno");
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_western),
		cmocka_unit_test(test_date_weekday_time),
		cmocka_unit_test(test_date_era),
		cmocka_unit_test(test_date_no_year),
		cmocka_unit_test(test_date_invalid),
		cmocka_unit_test(test_date_length_bound),
		cmocka_unit_test(test_date_field),
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_tracking),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_defect_type),
		cmocka_unit_test(test_carrier),
		cmocka_unit_test(test_nothing_stated),
		cmocka_unit_test(test_reason_is_bounded),
		cmocka_unit_test(test_nfkc_fast_path_is_nfkc),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
