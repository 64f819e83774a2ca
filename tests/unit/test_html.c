/* test_html — html_to_text: mail-client line rules, tables and claims, hostile HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "grid.h"
#include "html.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* What a claim callback saw; `answer` is what it returns. */
typedef struct claim_log {
	bool answer;
	int calls;
	size_t widest_seen;
} claim_log;

static bool claim_cb(const grid *table, void *ctx)
{
	claim_log *log = ctx;
	log->calls++;
	for (size_t i = 0; i < table->nrows; i++)
		if (table->rows[i].ncells > log->widest_seen)
			log->widest_seen = table->rows[i].ncells;
	return log->answer;
}

typedef struct result {
	char *text;
	grid *claimed;
	size_t nclaimed;
} result;

static result run_claim(const char *html, size_t len, claim_log *log)
{
	result r = { NULL, NULL, 0 };
	r.text = html_to_text(html, len, log ? claim_cb : NULL, log, &r.claimed, &r.nclaimed);
	assert_non_null(r.text);
	return r;
}

static void result_free(result *r)
{
	for (size_t i = 0; i < r->nclaimed; i++)
		grid_free(&r->claimed[i]);
	free(r->claimed);
	free(r->text);
}

/* Render with no claim callback and compare the whole text. */
static void expect(const char *html, const char *want)
{
	result r = run_claim(html, strlen(html), NULL);
	assert_string_equal(r.text, want);
	assert_int_equal(r.nclaimed, 0);
	result_free(&r);
}

static void test_outlook_paragraphs(void **state)
{
	(void)state;
	expect("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">\n"
	       "<head><meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">\n"
	       "<style><!-- p.MsoNormal {margin:0mm; font-size:10.5pt;} --></style></head>\n"
	       "<body lang=JA link=\"#0563C1\">\n<div class=WordSection1>\n"
	       "<p class=MsoNormal>お世話になっております。<o:p></o:p></p>\n"
	       "<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n"
	       "<p class=MsoNormal>起票日：R8.8.28<o:p></o:p></p>\n"
	       "<p class=MsoNormal><span lang=EN-US>品番：AB-123</span><o:p></o:p></p>\n"
	       "<p class=MsoNormal>&nbsp;</p>\n"
	       "<p class=MsoNormal><span lang=EN-US>以上</span><o:p></o:p></p>\n"
	       "</div>\n</body>\n</html>\n",
	       "お世話になっております。\n\n起票日：R8.8.28\n品番：AB-123\n\n以上");
}

static void test_outlook_office_p_in_span(void **state)
{
	(void)state;
	/* <o:p> inside a <span> is still inline: no line break inside the paragraph */
	expect("<p class=MsoNormal><span lang=EN-US>品番<o:p></o:p></span><span>：AB-123</span></p>"
	       "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>"
	       "<p class=MsoNormal><span>以上<o:p></o:p></span></p>",
	       "品番：AB-123\n\n以上");
}

static void test_outlook_tab_span(void **state)
{
	(void)state;
	expect("<p class=MsoNormal>起票日<span style='mso-tab-count:1'>&nbsp;&nbsp; </span>R8.8.28</p>",
	       "起票日\tR8.8.28");
}

static void test_gmail_divs(void **state)
{
	(void)state;
	expect("<div dir=\"ltr\"><div>お疲れ様です。</div><div><br></div>\n"
	       "<div>起票日：R8.8.28</div>\n<div>品番：AB-123</div><div><br></div>"
	       "<div>よろしくお願いします。<br></div></div>\n",
	       "お疲れ様です。\n\n起票日：R8.8.28\n品番：AB-123\n\nよろしくお願いします。");
}

static void test_blank_paragraphs(void **state)
{
	(void)state;
	/* white space or &nbsp; only: one blank line each; nested blocks add none */
	expect("<p>a</p><p> </p><p>b</p><div>&nbsp;&nbsp;</div><div><div><p>c</p></div></div>",
	       "a\n\nb\n\nc");
}

static void test_br(void **state)
{
	(void)state;
	expect("line1<br>line2<br/>line3<BR><br>line5", "line1\nline2\nline3\n\nline5");
}

static void test_source_newlines_collapse(void **state)
{
	(void)state;
	expect("<p>This   is\n   one\r\n\tparagraph.  </p>\n\n<p>\n  Next <b>bold</b>word\n</p>",
	       "This is one paragraph.\nNext boldword");
}

static void test_ideographic_space_kept(void **state)
{
	(void)state;
	expect("<p>品番　　　：AB-123</p>", "品番　　　：AB-123");
}

static void test_two_column_table(void **state)
{
	(void)state;
	claim_log log = { true, 0, 0 };
	const char *html = "<p>下記の通り報告します。</p>\n"
			   "<table border=1>\n<tr><td>起票日</td><td>R8.8.28</td></tr>\n"
			   "<tr><th> 品番 </th><td>\n  AB-123\n</td></tr>\n"
			   "<tr><td>備考</td><td></td></tr>\n</table>\n<p>以上</p>";
	result r = run_claim(html, strlen(html), &log);
	assert_string_equal(r.text, "下記の通り報告します。\n起票日\tR8.8.28\n品番\tAB-123\n備考\n以上");
	assert_int_equal(log.calls, 0); /* two columns are never offered */
	assert_int_equal(r.nclaimed, 0);
	result_free(&r);
}

static void test_cell_with_br(void **state)
{
	(void)state;
	expect("<table><tr><td>不具合内容</td><td>取付金具に錆が発生している。<br>"
	       "同様の症状が週に2～3回発生。</td></tr><tr><td>品番</td><td>AB-123</td></tr></table>",
	       "不具合内容\t取付金具に錆が発生している。\n同様の症状が週に2～3回発生。\n品番\tAB-123");
}

static const char three_col[] = "<p>before</p>"
				"<table><tr><th>受付番号</th><th>品番</th><th>不具合内容</th></tr>"
				"<tr><td>FB26-1528</td><td> AB-123 </td><td>焦げ臭い<br>異音あり</td></tr>"
				"</table><p>after</p>";

static void test_claim_true(void **state)
{
	(void)state;
	claim_log log = { true, 0, 0 };
	result r = run_claim(three_col, strlen(three_col), &log);
	assert_string_equal(r.text, "before\nafter");
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.widest_seen, 3);
	assert_int_equal(r.nclaimed, 1);
	const grid *g = &r.claimed[0];
	assert_int_equal(g->nrows, 2);
	assert_int_equal(g->rows[0].ncells, 3);
	assert_string_equal(g->rows[0].cells[0], "受付番号");
	assert_string_equal(g->rows[0].cells[2], "不具合内容");
	assert_int_equal(g->rows[1].ncells, 3);
	assert_string_equal(g->rows[1].cells[0], "FB26-1528");
	assert_string_equal(g->rows[1].cells[1], "AB-123");
	assert_string_equal(g->rows[1].cells[2], "焦げ臭い\n異音あり");
	result_free(&r);
}

static void test_claim_false(void **state)
{
	(void)state;
	claim_log log = { false, 0, 0 };
	result r = run_claim(three_col, strlen(three_col), &log);
	assert_string_equal(r.text, "before\n受付番号\t品番\t不具合内容\n"
				    "FB26-1528\tAB-123\t焦げ臭い\n異音あり\nafter");
	assert_int_equal(log.calls, 1);
	assert_int_equal(r.nclaimed, 0);
	assert_null(r.claimed);
	result_free(&r);
}

static void test_claim_many_tables(void **state)
{
	(void)state;
	strbuf b = STRBUF_INIT;
	for (int i = 0; i < 20; i++)
		sb_addf(&b, "<p>t%d</p><table><tr><td>a%d</td><td>b</td><td>c</td></tr></table>", i, i);
	claim_log log = { true, 0, 0 };
	result r = run_claim(b.s, b.len, &log);
	assert_int_equal(r.nclaimed, 20);
	assert_string_equal(r.claimed[19].rows[0].cells[0], "a19");
	assert_non_null(strstr(r.text, "t0\nt1\n"));
	result_free(&r);
	sb_free(&b);
}

static void test_nested_tables(void **state)
{
	(void)state;
	/* a one-column layout table around a data table: the data table is offered alone */
	const char *html = "<table><tr><td><p>報告</p>"
			   "<table><tr><td>a</td><td>b</td><td>c</td></tr></table>"
			   "</td></tr><tr><td>署名</td></tr></table>";
	claim_log log = { true, 0, 0 };
	result r = run_claim(html, strlen(html), &log);
	assert_int_equal(log.calls, 1);
	assert_int_equal(r.nclaimed, 1);
	assert_string_equal(r.text, "報告\n署名");
	result_free(&r);

	log = (claim_log){ false, 0, 0 };
	r = run_claim(html, strlen(html), &log);
	assert_string_equal(r.text, "報告\na\tb\tc\n署名");
	result_free(&r);
}

static void test_entities(void **state)
{
	(void)state;
	expect("<p>A &amp; B &lt;C&gt; &#x2460;&#9313; &quot;q&quot; x&nbsp;&nbsp;y</p><p>&nbsp;</p><p>z</p>",
	       "A & B <C> ①② \"q\" x  y\n\nz");
}

static void test_dropped_elements(void **state)
{
	(void)state;
	expect("<html><head><title>件名</title><style>p {color: red}</style>"
	       "<script>var x = '<p>no</p>';</script></head><body>"
	       "<!-- comment --><p>本文</p><script type=\"text/javascript\">alert(1)</script>"
	       "<style>.a{}</style><!--[if gte mso 9]><xml><o:shapedefaults/></xml><![endif]-->"
	       "<p>end</p></body></html>",
	       "本文\nend");
}

static void test_pre(void **state)
{
	(void)state;
	expect("<p>x</p><pre>\n  品番:  AB-123\n\n\tend  \n</pre><p>y</p>",
	       "x\n  品番:  AB-123\n\n\tend\ny");
}

static void test_lists_and_headings(void **state)
{
	(void)state;
	expect("<h1>見出し</h1><ul><li>one</li><li>two<li>three</ul><blockquote>q</blockquote>tail",
	       "見出し\none\ntwo\nthree\nq\ntail");
}

static void test_broken_html(void **state)
{
	(void)state;
	expect("<p>first<td>cell</td></span><div>second<p>third</b></i>",
	       "first\ncell\nsecond\nthird");
	expect("<table><tr><td>a<td>b<tr><td>c<td>d", "a\tb\nc\td");
	expect("</td></tr></table><p>only text</p></div></div>", "only text");
	expect("<p>unterminated <b attr=\"x", "unterminated");
	expect("a < b and c > d", "a < b and c > d");
}

static void test_empty_and_odd_input(void **state)
{
	(void)state;
	expect("", "");
	expect("   \n\n  ", "");
	expect("<p></p><div></div>", "");
	result r = run_claim(NULL, 0, NULL);
	assert_string_equal(r.text, "");
	result_free(&r);
	/* NUL and invalid UTF-8 bytes become U+FFFD; the rest is read as UTF-8, not Latin-1 */
	const char bad[] = "<p>a\xff"
			   "b</p><p>c\0d</p><p>日本</p>";
	r = run_claim(bad, sizeof bad - 1, NULL);
	assert_string_equal(r.text, "a\xEF\xBF\xBD"
				    "b\nc\xEF\xBF\xBD"
				    "d\n日本");
	result_free(&r);
	/* claim without somewhere to put claims is ignored, not a crash */
	claim_log log = { true, 0, 0 };
	char *t = html_to_text(three_col, strlen(three_col), claim_cb, &log, NULL, NULL);
	assert_int_equal(log.calls, 0);
	assert_non_null(strstr(t, "受付番号\t品番"));
	free(t);
}

static char *nested(const char *open, const char *inner, const char *close, size_t depth,
		    const char *after)
{
	strbuf b = STRBUF_INIT;
	for (size_t i = 0; i < depth; i++)
		sb_adds(&b, open);
	sb_adds(&b, inner);
	for (size_t i = 0; i < depth; i++)
		sb_adds(&b, close);
	sb_adds(&b, after);
	return sb_steal(&b);
}

static void test_deep_divs(void **state)
{
	(void)state;
	char *html = nested("<div>", "deep", "</div>", 100000, "<p>after</p>");
	result r = run_claim(html, strlen(html), NULL);
	assert_string_equal(r.text, "deep\nafter");
	result_free(&r);
	free(html);

	/* unclosed, and closed by the wrong tags */
	html = nested("<div><span>", "x", "</b>", 100000, "y");
	r = run_claim(html, strlen(html), NULL);
	assert_non_null(strstr(r.text, "x"));
	assert_non_null(strstr(r.text, "y"));
	result_free(&r);
	free(html);
}

static void test_deep_tables(void **state)
{
	(void)state;
	/* a data table below 300 quote levels (a long Gmail thread) is still offered */
	char *html = nested("<div><blockquote>", "<table><tr><td>a</td><td>b</td><td>c</td></tr></table>",
			    "</blockquote></div>", 300, "<p>after</p>");
	claim_log log = { true, 0, 0 };
	result r = run_claim(html, strlen(html), &log);
	assert_int_equal(log.calls, 1);
	assert_int_equal(r.nclaimed, 1);
	assert_string_equal(r.text, "after");
	result_free(&r);
	free(html);

	/* 300 levels of tables are too deep even for that: their text is still there */
	html = nested("<table><tr><td>", "<table><tr><td>a</td><td>b</td><td>c</td></tr></table>",
		      "</td></tr></table>", 300, "<p>after</p>");
	r = run_claim(html, strlen(html), &log);
	assert_non_null(strstr(r.text, "a b c"));
	assert_non_null(strstr(r.text, "after"));
	result_free(&r);
	free(html);

	html = nested("<table><tr><td>", "inner", "</td></tr></table>", 20000, "<p>after</p>");
	r = run_claim(html, strlen(html), NULL);
	assert_non_null(strstr(r.text, "inner"));
	assert_non_null(strstr(r.text, "after"));
	result_free(&r);
	free(html);
}

static void test_meta_charset_ignored(void **state)
{
	(void)state;
	expect("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\">"
	       "<meta charset=\"shift_jis\"></head><body><p>日本語①～</p></body></html>",
	       "日本語①～");
	expect("<meta charset=\"iso-8859-1\"><p>é 日本</p>", "é 日本");
}

static void test_large_input_linear(void **state)
{
	(void)state;
	/* 200k Outlook lines: a quadratic builder would take minutes */
	strbuf b = STRBUF_INIT;
	for (int i = 0; i < 200000; i++)
		sb_adds(&b, "<p class=MsoNormal>行<o:p></o:p></p>\n");
	result r = run_claim(b.s, b.len, NULL);
	assert_int_equal(strlen(r.text), 200000 * 4 - 1);
	result_free(&r);
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outlook_paragraphs),
		cmocka_unit_test(test_outlook_office_p_in_span),
		cmocka_unit_test(test_outlook_tab_span),
		cmocka_unit_test(test_gmail_divs),
		cmocka_unit_test(test_blank_paragraphs),
		cmocka_unit_test(test_br),
		cmocka_unit_test(test_source_newlines_collapse),
		cmocka_unit_test(test_ideographic_space_kept),
		cmocka_unit_test(test_two_column_table),
		cmocka_unit_test(test_cell_with_br),
		cmocka_unit_test(test_claim_true),
		cmocka_unit_test(test_claim_false),
		cmocka_unit_test(test_claim_many_tables),
		cmocka_unit_test(test_nested_tables),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_dropped_elements),
		cmocka_unit_test(test_pre),
		cmocka_unit_test(test_lists_and_headings),
		cmocka_unit_test(test_broken_html),
		cmocka_unit_test(test_empty_and_odd_input),
		cmocka_unit_test(test_deep_divs),
		cmocka_unit_test(test_deep_tables),
		cmocka_unit_test(test_meta_charset_ignored),
		cmocka_unit_test(test_large_input_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
