/* test_csv — csv_read: decoding, RFC 4180 quoting, delimiters, the row limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "charset.h"
#include "csv.h"
#include "grid.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define NO_LIMIT 1000

/* Parse `len` bytes; assert success; the grid is the caller's to free. */
static grid parse_ok(const char *bytes, size_t len, strlist *warnings)
{
	grid g = GRID_INIT;
	char *err = NULL;
	int rc = csv_read(bytes, len, NO_LIMIT, &g, &err, warnings);
	if (rc != 0)
		fail_msg("csv_read failed: %s", err ? err : "(no error text)");
	assert_null(err);
	return g;
}

static grid parse_str(const char *s)
{
	return parse_ok(s, strlen(s), NULL);
}

static void assert_row(const grid *g, size_t row, size_t ncells, const char *const *cells)
{
	assert_true(row < g->nrows);
	assert_int_equal(g->rows[row].ncells, ncells);
	for (size_t i = 0; i < ncells; i++)
		assert_string_equal(g->rows[row].cells[i], cells[i]);
}
#define ROW(g, r, ...)                                                                    \
	do {                                                                              \
		const char *const cells_[] = { __VA_ARGS__ };                             \
		assert_row((g), (r), ARRAY_LEN(cells_), cells_);                          \
	} while (0)

static void test_utf8_plain(void **state)
{
	(void)state;
	grid g = parse_str("受付番号,シリアルNo,不具合内容\nFB26-1528,T6S2401C68596,焦げ臭い\n");
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "受付番号", "シリアルNo", "不具合内容");
	ROW(&g, 1, "FB26-1528", "T6S2401C68596", "焦げ臭い");
	grid_free(&g);
}

static void test_utf8_bom(void **state)
{
	(void)state;
	const char s[] = "\xEF\xBB\xBF"
			 "型式,発生日\r\nTC-6K-01S,2026/06/28\r\n";
	strlist w = STRLIST_INIT;
	grid g = parse_ok(s, sizeof s - 1, &w);
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "型式", "発生日"); /* no BOM glued to the first label */
	ROW(&g, 1, "TC-6K-01S", "2026/06/28");
	assert_int_equal(w.n, 0);
	grid_free(&g);
	sl_free(&w);
}

static void test_cp932(void **state)
{
	(void)state;
	/* "型式,シリアル\r\nＡ①,～\r\n" in CP932 (① and ～ are CP932-only mappings) */
	const char s[] = "\x8C\x5E\x8E\xAE,\x83\x56\x83\x8A\x83\x41\x83\x8B\r\n"
			 "\x82\x60\x87\x40,\x81\x60\r\n";
	strlist w = STRLIST_INIT;
	grid g = parse_ok(s, sizeof s - 1, &w);
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "型式", "シリアル");
	ROW(&g, 1, "Ａ①", "～");
	assert_int_equal(w.n, 0);
	grid_free(&g);
	sl_free(&w);
}

static void test_undecodable_warns(void **state)
{
	(void)state;
	/* 0x80 and 0xA0 are undefined lead bytes in CP932 and invalid in UTF-8/EUC-JP */
	const char s[] = "a,b\n\x80\x80\x80,\xA0\xFF\n";
	strlist w = STRLIST_INIT;
	grid g = parse_ok(s, sizeof s - 1, &w);
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "a", "b");
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "could not be decoded"));
	assert_true(ascii_casecmp_prefix(w.v[0], "attachment: "));
	grid_free(&g);
	sl_free(&w);
}

static void test_quoted_comma(void **state)
{
	(void)state;
	grid g = parse_str("name,addr\n\"株式会社ミライ電設, 本社\",\"a,b,c\"\n");
	assert_int_equal(g.nrows, 2);
	ROW(&g, 1, "株式会社ミライ電設, 本社", "a,b,c");
	grid_free(&g);
}

static void test_quoted_newline(void **state)
{
	(void)state;
	grid g = parse_str("no,symptom,x\r\n1,\"一行目\r\n二行目\n三行目\",end\r\n2,\"\",z\r\n");
	assert_int_equal(g.nrows, 3);
	ROW(&g, 1, "1", "一行目\n二行目\n三行目", "end");
	ROW(&g, 2, "2", "", "z");
	grid_free(&g);
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	grid g = parse_str("a,b\n\"He said \"\"E-12\"\"\",\"\"\"\"\n");
	assert_int_equal(g.nrows, 2);
	ROW(&g, 1, "He said \"E-12\"", "\"");
	grid_free(&g);
}

static void test_crlf_and_no_final_newline(void **state)
{
	(void)state;
	grid g = parse_str("a,b\r\n1,2\r\n3,4");
	assert_int_equal(g.nrows, 3);
	ROW(&g, 0, "a", "b");
	ROW(&g, 1, "1", "2");
	ROW(&g, 2, "3", "4");
	grid_free(&g);

	/* trailing blank lines are not rows */
	g = parse_str("a,b\r\n1,2\r\n\r\n\r\n");
	assert_int_equal(g.nrows, 2);
	ROW(&g, 1, "1", "2");
	grid_free(&g);
}

static void test_title_rows_kept(void **state)
{
	(void)state;
	grid g = parse_str("市場不具合報告\n報告日,2026/07/07\n\n受付番号,型式,シリアルNo\n"
			   "FB26-1528,TC-6K-01S,T6S2401C68596\n");
	/* the empty line may or may not be a row; what matters is order and content */
	size_t i = 0;
	ROW(&g, i++, "市場不具合報告");
	ROW(&g, i++, "報告日", "2026/07/07");
	if (g.nrows == 5)
		i++;
	assert_int_equal(g.nrows, i + 2);
	ROW(&g, i++, "受付番号", "型式", "シリアルNo");
	ROW(&g, i++, "FB26-1528", "TC-6K-01S", "T6S2401C68596");
	grid_free(&g);
}

static void test_max_rows(void **state)
{
	(void)state;
	grid g = GRID_INIT;
	char *err = NULL;
	const char *s = "h1,h2\n1,2\n3,4\n";
	assert_int_equal(csv_read(s, strlen(s), 3, &g, &err, NULL), 0);
	assert_null(err);
	assert_int_equal(g.nrows, 3);
	grid_free(&g);

	assert_int_equal(csv_read(s, strlen(s), 2, &g, &err, NULL), -1);
	assert_non_null(err);
	assert_string_equal(err, "table has more than 2 rows");
	free(err);
	grid_free(&g);

	/* a big table stops early and says so */
	strbuf b = STRBUF_INIT;
	for (int i = 0; i < 200000; i++)
		sb_addf(&b, "%d,x,y\n", i);
	err = NULL;
	assert_int_equal(csv_read(b.s, b.len, 1000, &g, &err, NULL), -1);
	assert_string_equal(err, "table has more than 1000 rows");
	assert_true(g.nrows <= 1000);
	free(err);
	grid_free(&g);
	sb_free(&b);
}

static void test_tab_delimited(void **state)
{
	(void)state;
	grid g = parse_str("受付番号\t型式\t不具合内容\nFB26-1528\tTC-6K-01S\t焦げ臭い, 煙\n");
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "受付番号", "型式", "不具合内容");
	ROW(&g, 1, "FB26-1528", "TC-6K-01S", "焦げ臭い, 煙"); /* comma is data here */
	grid_free(&g);

	/* empty TAB cells keep the columns aligned */
	g = parse_str("a\tb\tc\n1\t\t3\n");
	ROW(&g, 1, "1", "", "3");
	grid_free(&g);
}

static void test_semicolon_and_sniff_past_title(void **state)
{
	(void)state;
	grid g = parse_str("a;b;c\n1;2,5;3\n");
	ROW(&g, 1, "1", "2,5", "3");
	grid_free(&g);

	/* a title line without any delimiter does not decide the delimiter */
	g = parse_str("不具合一覧\nno\tmodel\n1\tTC-6K\n");
	assert_int_equal(g.nrows, 3);
	ROW(&g, 0, "不具合一覧");
	ROW(&g, 2, "1", "TC-6K");
	grid_free(&g);

	/* a comma anywhere in the deciding line keeps the comma */
	g = parse_str("a,b\tc\n1,2\t3\n");
	ROW(&g, 1, "1", "2\t3");
	grid_free(&g);
}

static void test_utf16_excel_unicode_text(void **state)
{
	(void)state;
	/* Excel's "Unicode text": UTF-16LE with BOM, TAB separated */
	const char s[] = "\xFF\xFE"
			 "a\0\t\0\x8B\x57\x0F\x5F\r\0\n\0"
			 "1\0\t\0X\0\r\0\n\0";
	grid g = parse_ok(s, sizeof s - 1, NULL);
	assert_int_equal(g.nrows, 2);
	ROW(&g, 0, "a", "型式");
	ROW(&g, 1, "1", "X");
	grid_free(&g);
}

static void test_empty_and_odd_input(void **state)
{
	(void)state;
	grid g = parse_ok("", 0, NULL);
	assert_int_equal(g.nrows, 0);
	grid_free(&g);

	g = parse_str("\n\r\n\n");
	assert_int_equal(g.nrows, 0);
	grid_free(&g);

	/* an unterminated quote takes the rest; no crash, no error */
	g = parse_str("a,\"b\nc");
	assert_true(g.nrows >= 1);
	ROW(&g, 0, "a", "b\nc");
	grid_free(&g);

	/* trailing NUL padding is ignored; NUL inside means binary, not CSV */
	const char pad[] = "a,b\n1,2\n\0\0\0";
	g = parse_ok(pad, sizeof pad - 1, NULL);
	assert_int_equal(g.nrows, 2);
	ROW(&g, 1, "1", "2");
	grid_free(&g);

	const char zip[] = "PK\x03\x04\x14\0\0\0\x08\0,,,\n";
	char *err = NULL;
	assert_int_equal(csv_read(zip, sizeof zip - 1, NO_LIMIT, &g, &err, NULL), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "binary"));
	assert_int_equal(g.nrows, 0);
	free(err);
	grid_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_plain),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_cp932),
		cmocka_unit_test(test_undecodable_warns),
		cmocka_unit_test(test_quoted_comma),
		cmocka_unit_test(test_quoted_newline),
		cmocka_unit_test(test_doubled_quotes),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_title_rows_kept),
		cmocka_unit_test(test_max_rows),
		cmocka_unit_test(test_tab_delimited),
		cmocka_unit_test(test_semicolon_and_sniff_past_title),
		cmocka_unit_test(test_utf16_excel_unicode_text),
		cmocka_unit_test(test_empty_and_odd_input),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	charset_cleanup(); /* cached iconv descriptors, for leak checkers */
	return failed;
}
