/*
 * test_xlsx — xlsx_read against workbooks written by libxlsxwriter (what Excel-like
 * producers emit) and against hand-built zips (inline strings, 1904 dates, odd
 * relationships, hostile sizes and garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "grid.h"
#include "util.h"
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#define ROWS 1000
#define UNZIPPED (16u << 20)

/* ---- helpers ------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	strbuf b = STRBUF_INIT;
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&b, buf, n);
	fclose(f);
	*len = b.len;
	return sb_steal(&b);
}

static char *temp_path(void)
{
	char tmpl[] = "/tmp/test_xlsx_XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	return xstrdup(tmpl);
}

typedef struct member {
	const char *name;
	const char *data;
} member;

/* a zip holding the members (deflated), as bytes (caller frees) */
static char *make_zip(const member *m, size_t n, size_t *len)
{
	char *path = temp_path();
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(za);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *src = zip_source_buffer(za, m[i].data, strlen(m[i].data), 0);
		assert_non_null(src);
		assert_true(zip_file_add(za, m[i].name, src, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(za), 0);
	char *bytes = slurp(path, len);
	unlink(path);
	free(path);
	return bytes;
}

static int read_bytes(const char *bytes, size_t len, size_t max_rows, size_t max_unzipped,
		      grid *g, char **err)
{
	*err = NULL;
	return xlsx_read(bytes, len, max_rows, max_unzipped, g, err);
}

static grid read_ok(const char *bytes, size_t len)
{
	grid g = GRID_INIT;
	char *err = NULL;
	if (read_bytes(bytes, len, ROWS, UNZIPPED, &g, &err) != 0)
		fail_msg("xlsx_read failed: %s", err ? err : "(no error text)");
	assert_null(err);
	return g;
}

/* read and expect failure; returns err (caller frees) */
static char *read_fail(const char *bytes, size_t len, size_t max_rows, size_t max_unzipped)
{
	grid g = GRID_INIT;
	char *err = NULL;
	assert_int_equal(read_bytes(bytes, len, max_rows, max_unzipped, &g, &err), -1);
	assert_non_null(err);
	assert_true(err[0] != '\0');
	grid_free(&g);
	return err;
}

static void assert_row(const grid *g, size_t row, size_t ncells, const char *const *cells)
{
	if (row >= g->nrows)
		fail_msg("row %zu missing (%zu rows)", row, g->nrows);
	if (g->rows[row].ncells != ncells) {
		for (size_t i = 0; i < g->rows[row].ncells; i++)
			print_message("  [%zu] '%s'\n", i, g->rows[row].cells[i]);
		fail_msg("row %zu: %zu cells, expected %zu", row, g->rows[row].ncells, ncells);
	}
	for (size_t i = 0; i < ncells; i++)
		assert_string_equal(g->rows[row].cells[i], cells[i]);
}
#define ROW(g, r, ...)                                                                    \
	do {                                                                              \
		const char *const cells_[] = { __VA_ARGS__ };                             \
		assert_row((g), (r), ARRAY_LEN(cells_), cells_);                          \
	} while (0)

static bool row_empty(const grid *g, size_t row)
{
	assert_true(row < g->nrows);
	for (size_t i = 0; i < g->rows[row].ncells; i++)
		if (g->rows[row].cells[i][0])
			return false;
	return true;
}

/* ---- hand-built parts -------------------------------------------------- */

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

static const char ROOT_RELS[] = XML_DECL
	"<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
	"/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";

static const char WB_1900[] = XML_DECL "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL
				       "\"><workbookPr/><sheets><sheet name=\"S\" sheetId=\"1\" "
				       "r:id=\"rId1\"/></sheets></workbook>";

static const char WB_RELS_SHEET1[] =
	XML_DECL "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
		 "/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

#define SHEET(rows) XML_DECL "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>" rows "</sheetData></worksheet>"

/* styles: xf 0 General, 1 built-in 14, then one xf per custom format 164.. */
#define STYLES(numfmts, xfs)                                                                   \
	XML_DECL "<styleSheet xmlns=\"" NS_MAIN "\"><numFmts>" numfmts "</numFmts>"            \
		 "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"              \
		 "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/>" xfs \
		 "</cellXfs></styleSheet>"

/* ---- tests: libxlsxwriter workbooks ------------------------------------ */

static char *write_report_workbook(size_t *len)
{
	char *path = temp_path();
	lxw_workbook *wb = workbook_new(path);
	assert_non_null(wb);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "不具合");
	lxw_format *ymd = workbook_add_format(wb);
	format_set_num_format(ymd, "yyyy/mm/dd");
	lxw_format *builtin14 = workbook_add_format(wb);
	format_set_num_format_index(builtin14, 14);
	lxw_format *dt = workbook_add_format(wb);
	format_set_num_format(dt, "yyyy/mm/dd hh:mm");
	lxw_format *money = workbook_add_format(wb);
	format_set_num_format(money, "#,##0.00\"m\"");

	/* two title rows, one blank row, then the header at row 4 */
	worksheet_write_string(ws, 0, 0, "市場不具合報告", NULL);
	worksheet_write_string(ws, 1, 0, "報告日", NULL);
	lxw_datetime rd = { 2026, 7, 7, 0, 0, 0 };
	worksheet_write_datetime(ws, 1, 1, &rd, builtin14);

	const char *hdr[] = { "受付番号", "型式", "発生日", "発生日時", "数量", "単価", "備考" };
	for (lxw_col_t c = 0; c < 7; c++)
		worksheet_write_string(ws, 3, c, hdr[c], NULL);

	worksheet_write_string(ws, 4, 0, "FB26-1528", NULL);
	worksheet_write_string(ws, 4, 1, "TC-6K-01S", NULL);
	worksheet_write_number(ws, 4, 2, 46201, ymd); /* 2026-06-28 */
	lxw_datetime occ = { 2026, 7, 4, 13, 15, 0 };
	worksheet_write_datetime(ws, 4, 3, &occ, dt);
	worksheet_write_number(ws, 4, 4, 12, NULL);
	worksheet_write_number(ws, 4, 5, 3.5, money);
	worksheet_write_string(ws, 4, 6, "焦げ臭い", NULL);

	/* B, D and F left empty: the columns after them must not shift */
	worksheet_write_string(ws, 5, 0, "FB26-3309", NULL);
	worksheet_write_datetime(ws, 5, 2, &rd, builtin14);
	worksheet_write_number(ws, 5, 4, 1234567890123.0, NULL);
	worksheet_write_string(ws, 5, 6, "TC-6K-01S", NULL); /* a repeated shared string */

	worksheet_write_number(ws, 6, 0, 0.1 + 0.2, NULL);
	worksheet_write_boolean(ws, 6, 1, 1, NULL);
	worksheet_write_formula_str(ws, 6, 2, "=\"a\"&\"b\"", NULL, "ab");
	worksheet_write_number(ws, 6, 3, -7, NULL);
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_rich_string_tuple f1 = { NULL, "本体から" }, f2 = { bold, "焦げた" },
			      f3 = { NULL, "臭い" };
	lxw_rich_string_tuple *rich[] = { &f1, &f2, &f3, NULL };
	worksheet_write_rich_string(ws, 6, 6, rich, NULL);

	/* a second sheet that must not be read */
	lxw_worksheet *ws2 = workbook_add_worksheet(wb, "other");
	worksheet_write_string(ws2, 0, 0, "wrong sheet", NULL);

	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	char *bytes = slurp(path, len);
	unlink(path);
	free(path);
	return bytes;
}

static void test_xlsxwriter_report(void **state)
{
	(void)state;
	size_t len;
	char *bytes = write_report_workbook(&len);
	grid g = read_ok(bytes, len);

	assert_int_equal(g.nrows, 7);
	ROW(&g, 0, "市場不具合報告");
	ROW(&g, 1, "報告日", "2026-07-07");
	assert_true(row_empty(&g, 2)); /* the sheet's shape is kept */
	ROW(&g, 3, "受付番号", "型式", "発生日", "発生日時", "数量", "単価", "備考");
	ROW(&g, 4, "FB26-1528", "TC-6K-01S", "2026-06-28", "2026-07-04 13:15", "12", "3.5",
	    "焦げ臭い");
	ROW(&g, 5, "FB26-3309", "", "2026-07-07", "", "1234567890123", "", "TC-6K-01S");
	ROW(&g, 6, "0.3", "TRUE", "ab", "-7", "", "", "本体から焦げた臭い");
	grid_free(&g);
	free(bytes);
}

static void test_xlsxwriter_constant_memory(void **state)
{
	(void)state;
	/* constant_memory mode writes inline strings and no shared string table */
	char *path = temp_path();
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
	for (lxw_row_t r = 0; r < 50; r++) {
		char s[32];
		snprintf(s, sizeof s, "S%u", (unsigned)r);
		worksheet_write_string(ws, r, 0, s, NULL);
		worksheet_write_number(ws, r, 2, r * 1.5, NULL);
	}
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	size_t len;
	char *bytes = slurp(path, &len);
	unlink(path);
	free(path);

	grid g = read_ok(bytes, len);
	assert_int_equal(g.nrows, 50);
	ROW(&g, 0, "S0", "", "0");
	ROW(&g, 49, "S49", "", "73.5");
	grid_free(&g);

	/* the same workbook over the row limit */
	char *err = read_fail(bytes, len, 49, UNZIPPED);
	assert_string_equal(err, "table has more than 49 rows");
	free(err);
	free(bytes);
}

/* ---- tests: hand-built zips ------------------------------------------- */

static void test_inline_strings_and_rows(void **state)
{
	(void)state;
	/* the sheet has a non-default name, reached only through the relationships */
	static const char wb_rels[] =
		XML_DECL "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId7\" Type=\"" NS_REL
			 "/worksheet\" Target=\"worksheets/data.xml\"/></Relationships>";
	static const char wb[] = XML_DECL "<x:workbook xmlns:x=\"" NS_MAIN "\" xmlns:r=\"" NS_REL
					  "\"><x:sheets><x:sheet name=\"D\" sheetId=\"1\" "
					  "r:id=\"rId7\"/></x:sheets></x:workbook>";
	static const char sheet[] = SHEET(
		"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>シリアルNo</t></is></c>"
		"<c r=\"C1\" t=\"inlineStr\"><is><r><t>不具合</t></r><r><t xml:space=\"preserve\"> </t></r>"
		"<r><rPr><b/></rPr><t>内容</t></r><rPh sb=\"0\" eb=\"3\"><t>フグアイ</t></rPh></is></c></row>"
		"<row r=\"2\" spans=\"1:3\"><c r=\"A2\" s=\"0\"/></row>"
		"<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>T6S2401C68596</t></is></c>"
		"<c r=\"AA4\" t=\"inlineStr\"><is><t>a &amp; b&#10;c_x000D_&#10;d</t></is></c></row>"
		"<row><c t=\"inlineStr\"><is><t>no refs</t></is></c><c><v>5</v></c></row>"
		"<row r=\"1048576\" customHeight=\"1\"/>");
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", wb },
		{ "xl/_rels/workbook.xml.rels", wb_rels },
		{ "xl/worksheets/data.xml", sheet },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	grid g = read_ok(bytes, len);
	assert_int_equal(g.nrows, 5);
	ROW(&g, 0, "シリアルNo", "", "不具合 内容");
	assert_true(g.rows[1].ncells == 0); /* styled but empty: nothing */
	assert_int_equal(g.rows[2].ncells, 0);
	assert_int_equal(g.rows[3].ncells, 27); /* AA is the 27th column */
	assert_string_equal(g.rows[3].cells[0], "T6S2401C68596");
	assert_string_equal(g.rows[3].cells[26], "a & b\nc\nd");
	ROW(&g, 4, "no refs", "5");
	grid_free(&g);
	free(bytes);
}

static void test_shared_strings_and_formats(void **state)
{
	(void)state;
	static const char sst[] = XML_DECL
		"<sst xmlns=\"" NS_MAIN "\" count=\"4\" uniqueCount=\"4\">"
		"<si><t>型式</t></si>"
		"<si><r><t>TC-</t></r><r><rPr><i/></rPr><t>6K</t></r><rPh sb=\"0\" eb=\"1\"><t>カタ</t></rPh>"
		"<phoneticPr fontId=\"1\"/></si>"
		"<si/>"
		"<si><t>line1_x000D_\nline2 _x005F_x0041_</t></si></sst>";
	static const char styles[] = STYLES(
		"<numFmt numFmtId=\"164\" formatCode=\"h:mm\"/>"
		"<numFmt numFmtId=\"165\" formatCode=\"[h]:mm:ss\"/>"
		"<numFmt numFmtId=\"166\" formatCode=\"[Red]0.00;[Magenta]\\-0.00\"/>"
		"<numFmt numFmtId=\"167\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
		"<numFmt numFmtId=\"168\" formatCode=\"0.0&quot; mm/dd&quot;\"/>"
		"<numFmt numFmtId=\"169\" formatCode=\"[$-411]ge.m.d\"/>"
		"<numFmt numFmtId=\"170\" formatCode=\"mm:ss\"/>"
		"<numFmt numFmtId=\"171\" formatCode=\"\\d0\"/>"
		"<numFmt numFmtId=\"172\" formatCode=\"yyyy\"/>",
		"<xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf numFmtId=\"166\"/><xf numFmtId=\"167\"/>"
		"<xf numFmtId=\"168\"/><xf numFmtId=\"169\"/><xf numFmtId=\"170\"/><xf numFmtId=\"171\"/>"
		"<xf numFmtId=\"22\"/><xf numFmtId=\"20\"/><xf numFmtId=\"49\"/><xf numFmtId=\"172\"/>");
	/* style index: 0 General, 1 id 14, 2 h:mm, 3 [h]:mm:ss, 4 [Red], 5 年月日, 6 quoted
	 * "mm/dd", 7 era, 8 mm:ss, 9 escaped d, 10 id 22, 11 id 20, 12 id 49 (text), 13 yyyy */
	static const char sheet[] = SHEET(
		"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
		"<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c>"
		"<c r=\"E1\" t=\"s\"><v>99</v></c><c r=\"F1\" t=\"s\"><v>x</v></c></row>"
		"<row r=\"2\"><c r=\"A2\" s=\"1\"><v>61</v></c><c r=\"B2\" s=\"1\"><v>60</v></c>"
		"<c r=\"C2\" s=\"1\"><v>1</v></c><c r=\"D2\" s=\"1\"><v>2958465</v></c>"
		"<c r=\"E2\" s=\"1\"><v>46201.9993</v></c><c r=\"F2\" s=\"1\"><v>-5</v></c>"
		"<c r=\"G2\" s=\"1\"><v>0</v></c><c r=\"H2\" s=\"1\"><v>1e300</v></c>"
		"<c r=\"I2\" s=\"1\"><v>46201.999999</v></c></row>"
		"<row r=\"3\"><c r=\"A3\" s=\"2\"><v>0.5</v></c><c r=\"B3\" s=\"3\"><v>1.5</v></c>"
		"<c r=\"C3\" s=\"4\"><v>3</v></c><c r=\"D3\" s=\"5\"><v>46207</v></c>"
		"<c r=\"E3\" s=\"6\"><v>2.25</v></c><c r=\"F3\" s=\"7\"><v>46207</v></c>"
		"<c r=\"G3\" s=\"8\"><v>0.0104166666666667</v></c><c r=\"H3\" s=\"9\"><v>4</v></c>"
		"<c r=\"I3\" s=\"10\"><v>46207.55208333333</v></c><c r=\"J3\" s=\"11\"><v>46207.25</v></c>"
		"<c r=\"K3\" s=\"12\"><v>46207</v></c><c r=\"L3\" s=\"999\"><v>46207</v></c>"
		"<c r=\"M3\" s=\"13\"><v>46207</v></c></row>"
		"<row r=\"4\"><c r=\"A4\" t=\"b\"><v>0</v></c><c r=\"B4\" t=\"e\"><v>#N/A</v></c>"
		"<c r=\"C4\" t=\"str\"><f>A1</f><v>型式</v></c><c r=\"D4\" t=\"d\"><v>2026-07-04T13:15:00</v></c>"
		"<c r=\"E4\" t=\"d\"><v>2026-07-04T00:00:00</v></c><c r=\"F4\"><v>1E-3</v></c>"
		"<c r=\"G4\"><v>123456789012345678</v></c><c r=\"H4\"><v>1234567890123456</v></c></row>");
	static const char wb_rels[] =
		XML_DECL "<Relationships xmlns=\"" NS_PKG "\">"
			 "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
			 "<Relationship Id=\"rId2\" Type=\"" NS_REL "/styles\" Target=\"styles.xml\"/>"
			 "<Relationship Id=\"rId3\" Type=\"" NS_REL "/sharedStrings\" Target=\"/xl/strings.xml\"/>"
			 "</Relationships>";
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", WB_1900 },
		{ "xl/_rels/workbook.xml.rels", wb_rels },
		{ "xl/styles.xml", styles },
		{ "xl/strings.xml", sst },
		{ "xl/worksheets/sheet1.xml", sheet },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	grid g = read_ok(bytes, len);
	assert_int_equal(g.nrows, 4);
	/* empty <si/>, an index past the table and a bad index are empty cells */
	ROW(&g, 0, "型式", "TC-6K", "", "line1\nline2 _x0041_");
	ROW(&g, 1, "1900-03-01", "1900-02-29", "1900-01-01", "9999-12-31", "2026-06-28 23:59", "-5",
	    "0", "1e+300", "2026-06-29");
	ROW(&g, 2, "12:00", "1.5", "3", "2026-07-04", "2.25", "2026-07-04", "00:15", "4",
	    "2026-07-04 13:15", "2026-07-04 06:00", "46207", "46207", "2026-07-04");
	ROW(&g, 3, "FALSE", "#N/A", "型式", "2026-07-04 13:15", "2026-07-04", "0.001",
	    "1.23456789012346e+17", "1234567890123456");
	grid_free(&g);
	free(bytes);
}

static void test_date1904(void **state)
{
	(void)state;
	static const char wb[] = XML_DECL "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\">"
					  "<workbookPr date1904=\"1\" defaultThemeVersion=\"124226\"/>"
					  "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	static const char styles[] = STYLES("", "");
	static const char sheet[] = SHEET(
		"<row r=\"1\"><c r=\"A1\" s=\"1\"><v>0</v></c><c r=\"B1\" s=\"1\"><v>44000</v></c>"
		"<c r=\"C1\" s=\"1\"><v>44000.75</v></c><c r=\"D1\"><v>44000</v></c></row>");
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", wb },
		{ "xl/_rels/workbook.xml.rels", WB_RELS_SHEET1 },
		{ "xl/styles.xml", styles },
		{ "xl/worksheets/sheet1.xml", sheet },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	grid g = read_ok(bytes, len);
	assert_int_equal(g.nrows, 1);
	ROW(&g, 0, "1904-01-01", "2024-06-19", "2024-06-19 18:00", "44000");
	grid_free(&g);
	free(bytes);
}

static void test_hidden_first_sheet_and_absolute_target(void **state)
{
	(void)state;
	static const char wb[] = XML_DECL
		"<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
		"<sheet name=\"chart\" sheetId=\"3\" r:id=\"rId3\"/>"
		"<sheet name=\"lookup\" sheetId=\"1\" state=\"hidden\" r:id=\"rId1\"/>"
		"<sheet name=\"data\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>";
	static const char wb_rels[] = XML_DECL
		"<Relationships xmlns=\"" NS_PKG "\">"
		"<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
		"<Relationship Id=\"rId2\" Type=\"" NS_REL "/worksheet\" Target=\"/xl/worksheets/./../worksheets/sheet2.xml\"/>"
		"<Relationship Id=\"rId3\" Type=\"" NS_REL "/chartsheet\" Target=\"chartsheets/sheet1.xml\"/>"
		"</Relationships>";
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", wb },
		{ "xl/_rels/workbook.xml.rels", wb_rels },
		{ "xl/worksheets/sheet1.xml", SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>") },
		{ "xl/worksheets/sheet2.xml", SHEET("<row r=\"1\"><c r=\"A1\"><v>2</v></c></row>") },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	grid g = read_ok(bytes, len);
	ROW(&g, 0, "2");
	grid_free(&g);
	free(bytes);

	/* no relationships at all: xl/worksheets/sheet1.xml is the fallback */
	const member bare[] = {
		{ "xl/worksheets/sheet1.xml", SHEET("<row r=\"1\"><c r=\"B1\"><v>7</v></c></row>") },
	};
	bytes = make_zip(bare, ARRAY_LEN(bare), &len);
	g = read_ok(bytes, len);
	ROW(&g, 0, "", "7");
	grid_free(&g);
	free(bytes);
}

/* ---- tests: limits and hostile input --------------------------------- */

static char *big_sheet_zip(size_t rows, size_t *len, size_t *sheet_bytes)
{
	strbuf s = STRBUF_INIT;
	sb_adds(&s, XML_DECL "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>");
	for (size_t r = 1; r <= rows; r++)
		sb_addf(&s, "<row r=\"%zu\"><c r=\"A%zu\" t=\"inlineStr\"><is><t>row %zu of the big "
			    "sheet</t></is></c></row>", r, r, r);
	sb_adds(&s, "</sheetData></worksheet>");
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", WB_1900 },
		{ "xl/_rels/workbook.xml.rels", WB_RELS_SHEET1 },
		{ "xl/worksheets/sheet1.xml", s.s },
	};
	char *bytes = make_zip(m, ARRAY_LEN(m), len);
	*sheet_bytes = s.len;
	sb_free(&s);
	return bytes;
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)(p[0] | p[1] << 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* forge the uncompressed size of `name` in its local header and central directory entry */
static void forge_size(char *zip, size_t len, const char *name, uint32_t size)
{
	size_t nl = strlen(name);
	int patched = 0;
	for (size_t i = 0; i + 46 + nl <= len; i++) {
		unsigned char *p = (unsigned char *)zip + i;
		if (!memcmp(p, "PK\x03\x04", 4) && le16(p + 26) == nl && !memcmp(p + 30, name, nl)) {
			put_le32(p + 22, size);
			patched++;
		} else if (!memcmp(p, "PK\x01\x02", 4) && le16(p + 28) == nl &&
			   !memcmp(p + 46, name, nl)) {
			put_le32(p + 24, size);
			patched++;
		}
	}
	assert_int_equal(patched, 2);
}

static void test_unzipped_limit(void **state)
{
	(void)state;
	size_t len, sheet_bytes;
	char *err_ok;
	char *bytes = big_sheet_zip(5000, &len, &sheet_bytes);
	assert_true(sheet_bytes > 200000);

	grid g = GRID_INIT;
	err_ok = NULL;
	assert_int_equal(read_bytes(bytes, len, 5000, UNZIPPED, &g, &err_ok), 0);
	assert_int_equal(g.nrows, 5000);
	assert_string_equal(g.rows[4999].cells[0], "row 5000 of the big sheet");
	grid_free(&g);

	/* declared size over the budget: refused before inflating */
	char *err = read_fail(bytes, len, 100000, 100000);
	assert_string_equal(err, "XLSX uncompressed size exceeds 100000 bytes");
	free(err);

	/* a declared size over the budget is refused even when the data is small */
	const member small[] = { { "xl/worksheets/sheet1.xml", SHEET("<row r=\"1\"><c><v>1</v></c></row>") } };
	size_t slen;
	char *sbytes = make_zip(small, ARRAY_LEN(small), &slen);
	g = read_ok(sbytes, slen);
	ROW(&g, 0, "1");
	grid_free(&g);
	forge_size(sbytes, slen, "xl/worksheets/sheet1.xml", 200000);
	err = read_fail(sbytes, slen, 100000, 100000);
	assert_string_equal(err, "XLSX uncompressed size exceeds 100000 bytes");
	free(err);
	free(sbytes);

	/* a header that lies about the size: the inflated bytes still count */
	forge_size(bytes, len, "xl/worksheets/sheet1.xml", 1000);
	err = read_fail(bytes, len, 100000, 100000);
	assert_string_equal(err, "XLSX uncompressed size exceeds 100000 bytes");
	free(err);
	free(bytes);
}

static void test_row_limits(void **state)
{
	(void)state;
	/* an absurd row number is refused, not allocated */
	const member m[] = {
		{ "xl/worksheets/sheet1.xml",
		  SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"
			"<row r=\"1000000\"><c r=\"A1000000\"><v>2</v></c></row>") },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	char *err = read_fail(bytes, len, 100, UNZIPPED);
	assert_string_equal(err, "table has more than 100 rows");
	free(err);
	free(bytes);

	/* column references past XFD are dropped; padding has a ceiling */
	strbuf s = STRBUF_INIT;
	sb_adds(&s, XML_DECL "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>");
	sb_adds(&s, "<row r=\"1\"><c r=\"XFE1\"><v>1</v></c><c r=\"ZZZZ1\"><v>1</v></c></row>");
	for (int r = 2; r < 200; r++)
		sb_addf(&s, "<row r=\"%d\"><c r=\"XFD%d\"><v>1</v></c></row>", r, r);
	sb_adds(&s, "</sheetData></worksheet>");
	const member wide[] = { { "xl/worksheets/sheet1.xml", s.s } };
	bytes = make_zip(wide, ARRAY_LEN(wide), &len);
	err = read_fail(bytes, len, 1000, UNZIPPED);
	assert_non_null(strstr(err, "cells"));
	free(err);
	free(bytes);
	sb_free(&s);
}

static void test_garbage(void **state)
{
	(void)state;
	char *err;
	err = read_fail("", 0, ROWS, UNZIPPED);
	free(err);
	err = read_fail("PK\x03\x04garbage", 13, ROWS, UNZIPPED);
	free(err);
	err = read_fail("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 ole compound file", 27, ROWS, UNZIPPED);
	assert_non_null(strstr(err, "password"));
	free(err);

	unsigned char noise[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof noise; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	err = read_fail((const char *)noise, sizeof noise, ROWS, UNZIPPED);
	free(err);

	/* every truncation and a sprinkling of flipped bytes of a real workbook */
	size_t len;
	char *bytes = write_report_workbook(&len);
	for (size_t cut = 0; cut < len; cut += 97) {
		grid g = GRID_INIT;
		char *e = NULL;
		int rc = read_bytes(bytes, cut, ROWS, UNZIPPED, &g, &e);
		assert_true(rc == -1 ? e != NULL : e == NULL);
		free(e);
		grid_free(&g);
	}
	for (size_t i = 0; i < 400; i++) {
		char *copy = xstrndup(bytes, len);
		x = x * 1103515245u + 12345u;
		copy[(x >> 8) % len] ^= (char)(1 + (x & 0x7f));
		grid g = GRID_INIT;
		char *e = NULL;
		int rc = read_bytes(copy, len, ROWS, UNZIPPED, &g, &e);
		assert_true(rc == -1 ? e != NULL : e == NULL);
		free(e);
		grid_free(&g);
		free(copy);
	}
	free(bytes);
}

static void test_bad_xml(void **state)
{
	(void)state;
	const member broken[] = {
		{ "xl/worksheets/sheet1.xml", XML_DECL "<worksheet><sheetData><row><c><v>1</v></row>" },
	};
	size_t len;
	char *bytes = make_zip(broken, ARRAY_LEN(broken), &len);
	char *err = read_fail(bytes, len, ROWS, UNZIPPED);
	assert_non_null(strstr(err, "well-formed"));
	free(err);
	free(bytes);

	/* entity expansion ("billion laughs") must neither hang nor blow the memory */
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
		"<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\"><!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">"
		"<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>"
		"<worksheet><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>&i;</t></is></c>"
		"<c t=\"inlineStr\"><is><t>x&ext;y</t></is></c></row></sheetData></worksheet>";
	const member bomb[] = { { "xl/worksheets/sheet1.xml", laughs } };
	bytes = make_zip(bomb, ARRAY_LEN(bomb), &len);
	grid g = GRID_INIT;
	err = NULL;
	int rc = read_bytes(bytes, len, ROWS, UNZIPPED, &g, &err);
	if (rc == 0) {
		for (size_t r = 0; r < g.nrows; r++)
			for (size_t c = 0; c < g.rows[r].ncells; c++) {
				assert_true(strlen(g.rows[r].cells[c]) < 100000);
				assert_null(strstr(g.rows[r].cells[c], "root:"));
			}
	} else {
		assert_non_null(err);
	}
	free(err);
	grid_free(&g);
	free(bytes);
}

static void test_no_worksheet(void **state)
{
	(void)state;
	const member m[] = {
		{ "_rels/.rels", ROOT_RELS },
		{ "xl/workbook.xml", WB_1900 },
		{ "readme.txt", "not a spreadsheet" },
	};
	size_t len;
	char *bytes = make_zip(m, ARRAY_LEN(m), &len);
	char *err = read_fail(bytes, len, ROWS, UNZIPPED);
	assert_string_equal(err, "XLSX has no worksheet");
	free(err);
	free(bytes);

	/* a .docx-like zip: no workbook either */
	const member doc[] = { { "word/document.xml", "<w/>" } };
	bytes = make_zip(doc, ARRAY_LEN(doc), &len);
	err = read_fail(bytes, len, ROWS, UNZIPPED);
	assert_string_equal(err, "XLSX has no worksheet");
	free(err);
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlsxwriter_report),
		cmocka_unit_test(test_xlsxwriter_constant_memory),
		cmocka_unit_test(test_inline_strings_and_rows),
		cmocka_unit_test(test_shared_strings_and_formats),
		cmocka_unit_test(test_date1904),
		cmocka_unit_test(test_hidden_first_sheet_and_absolute_target),
		cmocka_unit_test(test_unzipped_limit),
		cmocka_unit_test(test_row_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_xml),
		cmocka_unit_test(test_no_worksheet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
