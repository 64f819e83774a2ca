/*
 * xlsx — the first worksheet of an XLSX attachment into a grid.  libzip opens the
 * container in memory; every XML part is streamed through libxml2's xmlTextReader
 * straight from the inflating zip member, so a big sheet is never held twice.
 *
 * The file is hostile input: every member read counts against one uncompressed-byte
 * budget (the declared size is checked before inflating, the actual bytes while
 * inflating, so a lying header gains nothing); rows are bounded by max_rows and the
 * cells of the grid (including the padding that keeps skipped columns aligned) by
 * XLSX_MAX_CELLS; no DTD, no network, no entity substitution.  Must never crash or
 * print anything: libxml2 errors are silenced and reported as one err string.
 */
#include "xlsx.h"

#include <libxml/xmlreader.h>
#include <zip.h>

#include <ctype.h>
#include <locale.h>
#include <math.h> /* isfinite only: no -lm needed */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Excel's own maximum: column XFD */
#define XLSX_MAX_COLS 16384
/* grid cells including padding: a sheet of one cell at XFD per row would otherwise
 * cost 16384 allocations per 40 bytes of XML */
#define XLSX_MAX_CELLS 1000000
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT)

enum num_kind { KIND_NUMBER = 0, KIND_DATE, KIND_TIME };

typedef struct rel {
	char *id, *type, *target; /* target already resolved to a member name */
} rel;

typedef struct rels {
	rel *v;
	size_t n, cap;
} rels;

typedef struct xlsx_ctx {
	zip_t *za;
	size_t budget, used; /* uncompressed bytes allowed, read so far */
	size_t max_rows;
	char *err;
	bool date1904;
	unsigned char *xf_kind; /* enum num_kind per cellXfs index */
	size_t nxf;
	char **sst; /* shared strings */
	size_t nsst, sst_cap;
} xlsx_ctx;

typedef int (*node_fn)(xlsx_ctx *x, xmlTextReaderPtr r, void *state);

/* ---- small helpers ---------------------------------------------------------- */

static void quiet(void *arg, xmlErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* attribute by qualified name, as a malloc'd string (caller frees) or NULL */
static char *attr(xmlTextReaderPtr r, const char *name)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, BAD_CAST name);
	if (!v)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* the r:id of a <sheet>: any namespaced attribute called "id" (transitional or strict) */
static char *attr_rid(xmlTextReaderPtr r)
{
	char *s = NULL;
	if (xmlTextReaderMoveToFirstAttribute(r) != 1)
		return NULL;
	do {
		const xmlChar *ln = xmlTextReaderConstLocalName(r);
		if (ln && !strcmp((const char *)ln, "id") && xmlTextReaderConstNamespaceUri(r)) {
			s = xstrdup((const char *)xmlTextReaderConstValue(r));
			break;
		}
	} while (xmlTextReaderMoveToNextAttribute(r) == 1);
	xmlTextReaderMoveToElement(r);
	return s;
}

static bool is_start(xmlTextReaderPtr r, const char *name)
{
	return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT &&
	       !strcmp((const char *)xmlTextReaderConstLocalName(r), name);
}

static bool is_end(xmlTextReaderPtr r, const char *name)
{
	return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT &&
	       !strcmp((const char *)xmlTextReaderConstLocalName(r), name);
}

/* text, CDATA and whitespace nodes: inside <t> every character counts */
static const char *text_of(xmlTextReaderPtr r)
{
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
		const xmlChar *v = xmlTextReaderConstValue(r);
		return v ? (const char *)v : "";
	}
	default:
		return NULL;
	}
}

static bool parse_size(const char *s, size_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* ---- zip members ------------------------------------------------------------ */

typedef struct member_in {
	xlsx_ctx *x;
	zip_file_t *zf;
	bool over_budget;
	bool damaged; /* inflate or CRC error */
} member_in;

static void set_budget_err(xlsx_ctx *x)
{
	free(x->err);
	x->err = xasprintf("XLSX uncompressed size exceeds %zu bytes", x->budget);
}

/* libxml2 input callback: inflate, counting every byte against the budget */
static int member_read(void *arg, char *buf, int len)
{
	member_in *m = arg;
	zip_int64_t n = zip_fread(m->zf, buf, (zip_uint64_t)len);
	if (n < 0) {
		m->damaged = true;
		return -1;
	}
	if ((size_t)n > m->x->budget - m->x->used) {
		m->over_budget = true;
		return -1;
	}
	m->x->used += (size_t)n;
	return (int)n;
}

/*
 * Stream member `name` through `fn`, one reader node at a time.  Returns 1 when the
 * member does not exist, 0 when it was read, -1 with x->err set.
 */
static int member_parse(xlsx_ctx *x, const char *name, node_fn fn, void *state)
{
	int rc = -1, ret;
	member_in m = { x, NULL, false, false };
	xmlTextReaderPtr r = NULL;
	zip_stat_t st;

	zip_int64_t idx = zip_name_locate(x->za, name, 0);
	if (idx < 0)
		idx = zip_name_locate(x->za, name, ZIP_FL_NOCASE);
	if (idx < 0)
		return 1;
	zip_stat_init(&st);
	if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &st) != 0) {
		x->err = xasprintf("XLSX: cannot read %s: %s", name, zip_strerror(x->za));
		goto out;
	}
	if ((st.valid & ZIP_STAT_SIZE) && st.size > x->budget - x->used) {
		set_budget_err(x);
		goto out;
	}
	m.zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (!m.zf) {
		x->err = xasprintf("XLSX: cannot open %s: %s", name, zip_strerror(x->za));
		goto out;
	}
	r = xmlReaderForIO(member_read, NULL, &m, name, NULL, XML_OPTS);
	if (!r) {
		if (m.over_budget)
			set_budget_err(x);
		else
			x->err = xasprintf("XLSX: cannot parse %s", name);
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(r, quiet, NULL);
	while ((ret = xmlTextReaderRead(r)) == 1)
		if (fn(x, r, state) != 0)
			goto out; /* fn set x->err */
	if (ret < 0 || m.over_budget || m.damaged) {
		if (m.over_budget)
			set_budget_err(x);
		else if (m.damaged)
			x->err = xasprintf("XLSX: %s is damaged: %s", name, zip_file_strerror(m.zf));
		else
			x->err = xasprintf("XLSX: %s is not well-formed XML", name);
		goto out;
	}
	rc = 0;
out:
	if (r)
		xmlFreeTextReader(r);
	if (m.zf)
		zip_fclose(m.zf);
	return rc;
}

/* ---- relationships and paths ---------------------------------------------- */

/* resolve a relationship target against the folder of its source part */
static char *resolve_path(const char *base_dir, const char *target)
{
	strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	if (target[0] == '/')
		sb_adds(&in, target + 1);
	else {
		sb_adds(&in, base_dir);
		sb_adds(&in, target);
	}
	/* drop "." segments, let ".." eat the previous one */
	char *save = NULL;
	for (char *seg = strtok_r(in.s, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			char *slash = out.len ? strrchr(out.s, '/') : NULL;
			out.len = slash ? (size_t)(slash - out.s) : 0;
			if (out.s)
				out.s[out.len] = '\0';
			continue;
		}
		if (out.len)
			sb_addc(&out, '/');
		sb_adds(&out, seg);
	}
	sb_free(&in);
	return sb_steal(&out);
}

static void rels_free(rels *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].id);
		free(rs->v[i].type);
		free(rs->v[i].target);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

typedef struct rels_state {
	rels *out;
	const char *base_dir;
} rels_state;

static int rels_node(xlsx_ctx *x, xmlTextReaderPtr r, void *state)
{
	(void)x;
	rels_state *rs = state;
	if (!is_start(r, "Relationship"))
		return 0;
	char *mode = attr(r, "TargetMode");
	char *id = attr(r, "Id"), *type = attr(r, "Type"), *target = attr(r, "Target");
	if (id && type && target && !(mode && !ascii_strcasecmp(mode, "External"))) {
		rels *v = rs->out;
		v->v = xgrow(v->v, &v->cap, v->n + 1, sizeof *v->v);
		v->v[v->n++] = (rel){ id, type, resolve_path(rs->base_dir, target) };
		id = type = NULL;
	}
	free(mode);
	free(id);
	free(type);
	free(target);
	return 0;
}

/* read the .rels part that belongs to `part` (e.g. xl/_rels/workbook.xml.rels) */
static int rels_read(xlsx_ctx *x, const char *part, rels *out)
{
	const char *slash = strrchr(part, '/');
	size_t dirlen = slash ? (size_t)(slash - part) + 1 : 0;
	char *dir = xstrndup(part, dirlen);
	char *path = xasprintf("%s_rels/%s.rels", dir, part + dirlen);
	rels_state st = { out, dir };
	int rc = member_parse(x, path, rels_node, &st);
	free(path);
	free(dir);
	return rc < 0 ? -1 : 0;
}

static const char *rels_find(const rels *rs, const char *id, const char *type_suffix)
{
	for (size_t i = 0; i < rs->n; i++)
		if ((!id || !strcmp(rs->v[i].id, id)) &&
		    (!type_suffix || ends_with(rs->v[i].type, type_suffix)))
			return rs->v[i].target;
	return NULL;
}

/* ---- workbook ------------------------------------------------------------- */

typedef struct sheet_ref {
	char *rid;
	bool hidden;
} sheet_ref;

typedef struct workbook_state {
	sheet_ref *v;
	size_t n, cap;
} workbook_state;

static int workbook_node(xlsx_ctx *x, xmlTextReaderPtr r, void *state)
{
	workbook_state *wb = state;
	if (is_start(r, "workbookPr")) {
		char *d = attr(r, "date1904");
		x->date1904 = d && (!strcmp(d, "1") || !ascii_strcasecmp(d, "true"));
		free(d);
	} else if (is_start(r, "sheet")) {
		char *rid = attr_rid(r);
		char *st = attr(r, "state");
		if (rid) {
			wb->v = xgrow(wb->v, &wb->cap, wb->n + 1, sizeof *wb->v);
			wb->v[wb->n++] = (sheet_ref){ rid, st && strcmp(st, "visible") != 0 };
		}
		free(st);
	}
	return 0;
}

/* ---- styles: which cell formats are dates --------------------------------- */

/* built-in number formats that Excel shows as dates or times (ECMA-376 18.8.30, ja-JP ids) */
static enum num_kind builtin_kind(long id)
{
	if ((id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 31) ||
	    (id >= 34 && id <= 36) || (id >= 50 && id <= 58))
		return KIND_DATE;
	if ((id >= 18 && id <= 21) || id == 32 || id == 33 || (id >= 45 && id <= 47))
		return KIND_TIME;
	return KIND_NUMBER;
}

/* the next format letter after position i (skipping literals), lower-cased, or 0 */
static char next_letter(const char *f, size_t i)
{
	for (; f[i] && f[i] != ';'; i++) {
		char c = (char)tolower((unsigned char)f[i]);
		const char *q;
		if (c == '"' || c == '[') {
			if (!(q = strchr(f + i + 1, c == '"' ? '"' : ']')))
				return 0;
			i = (size_t)(q - f);
		} else if ((c == '\\' || c == '_' || c == '*') && f[i + 1]) {
			i++;
		} else if (strchr("hmsdy", c)) {
			return c;
		}
	}
	return 0;
}

/* "[h]", "[mm]", "[ss]": elapsed time, not a clock time ([Red], [$-411] are not) */
static bool elapsed_bracket(const char *in, size_t n, char *unit)
{
	char e = (char)tolower((unsigned char)in[0]);
	if (!n || (e != 'h' && e != 'm' && e != 's'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (tolower((unsigned char)in[i]) != e)
			return false;
	*unit = e;
	return true;
}

/*
 * A custom format code is a date when its first section has y, d or a month m outside
 * quotes, brackets and escapes; a time when it only has h, s and minute m.  An elapsed
 * time ([h]:mm) alone is a duration, printed as a number.
 */
static enum num_kind code_kind(const char *f)
{
	bool date = false, time = false, elapsed = false;
	char last = 0;
	for (size_t i = 0; f[i] && f[i] != ';'; i++) {
		char c = (char)tolower((unsigned char)f[i]);
		const char *q;
		if (c == '"' || c == '[') {
			if (!(q = strchr(f + i + 1, c == '"' ? '"' : ']')))
				break;
			if (c == '[' && elapsed_bracket(f + i + 1, (size_t)(q - f) - i - 1, &last))
				elapsed = time = true;
			i = (size_t)(q - f);
		} else if ((c == '\\' || c == '_' || c == '*') && f[i + 1]) {
			i++;
		} else if (ascii_casecmp_prefix(f + i, "am/pm")) {
			time = true;
			i += 4;
		} else if (ascii_casecmp_prefix(f + i, "a/p")) {
			time = true;
			i += 2;
		} else if (c == 'y' || c == 'd') {
			date = true;
			last = c;
		} else if (c == 'h' || c == 's') {
			time = true;
			last = c;
		} else if (c == 'm') {
			while (tolower((unsigned char)f[i + 1]) == 'm')
				i++;
			/* minutes right after hours or right before seconds, else a month */
			if (last == 'h' || next_letter(f, i + 1) == 's')
				time = true;
			else
				date = true;
			last = 'm';
		}
	}
	if (date)
		return KIND_DATE;
	if (elapsed)
		return KIND_NUMBER;
	return time ? KIND_TIME : KIND_NUMBER;
}

typedef struct fmt {
	long id;
	enum num_kind kind;
} fmt;

typedef struct styles_state {
	fmt *custom;
	size_t ncustom, ccap;
	long *xf_fmt; /* numFmtId per cellXfs entry */
	size_t nxf, xcap;
	bool in_cellxfs;
} styles_state;

static long attr_long(xmlTextReaderPtr r, const char *name, long dflt)
{
	char *s = attr(r, name), *end;
	long v = dflt;
	if (s && *s) {
		v = strtol(s, &end, 10);
		if (*end)
			v = dflt;
	}
	free(s);
	return v;
}

static int styles_node(xlsx_ctx *x, xmlTextReaderPtr r, void *state)
{
	(void)x;
	styles_state *st = state;
	if (is_start(r, "numFmt")) {
		char *code = attr(r, "formatCode");
		st->custom = xgrow(st->custom, &st->ccap, st->ncustom + 1, sizeof *st->custom);
		st->custom[st->ncustom++] =
			(fmt){ attr_long(r, "numFmtId", -1), code ? code_kind(code) : KIND_NUMBER };
		free(code);
	} else if (is_start(r, "cellXfs")) {
		st->in_cellxfs = !xmlTextReaderIsEmptyElement(r);
	} else if (is_end(r, "cellXfs")) {
		st->in_cellxfs = false;
	} else if (st->in_cellxfs && is_start(r, "xf")) {
		st->xf_fmt = xgrow(st->xf_fmt, &st->xcap, st->nxf + 1, sizeof *st->xf_fmt);
		st->xf_fmt[st->nxf++] = attr_long(r, "numFmtId", 0);
	}
	return 0;
}

static int styles_read(xlsx_ctx *x, const char *path)
{
	styles_state st = { 0 };
	int rc = member_parse(x, path, styles_node, &st);
	if (rc == 0 && st.nxf) {
		x->xf_kind = xcalloc(st.nxf, 1);
		x->nxf = st.nxf;
		for (size_t i = 0; i < st.nxf; i++) {
			enum num_kind k = builtin_kind(st.xf_fmt[i]);
			for (size_t j = 0; j < st.ncustom; j++)
				if (st.custom[j].id == st.xf_fmt[i])
					k = st.custom[j].kind;
			x->xf_kind[i] = (unsigned char)k;
		}
	}
	free(st.custom);
	free(st.xf_fmt);
	return rc < 0 ? -1 : 0;
}

/* ---- strings ------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * OOXML string escapes (_x000D_ is a CR, _x005F_ a literal '_'), then line breaks as
 * '\n' only.  Returns a new string (caller frees).
 */
static char *finish_string(const char *s, size_t len)
{
	strbuf b = STRBUF_INIT;
	sb_add(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_' && i + 6 < len && s[i + 1] == 'x' && s[i + 6] == '_') {
			int h[4] = { hexval(s[i + 2]), hexval(s[i + 3]), hexval(s[i + 4]),
				     hexval(s[i + 5]) };
			if (h[0] >= 0 && h[1] >= 0 && h[2] >= 0 && h[3] >= 0) {
				uint32_t cp = (uint32_t)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
				if (cp == '\r' || cp == '\n' || cp == '\t' || cp >= 0x20)
					sb_add_utf8(&b, cp);
				i += 6;
				continue;
			}
		}
		sb_addc(&b, s[i]);
	}
	/* CRLF and lone CR become LF, as in CSV cells */
	size_t w = 0;
	for (size_t i = 0; i < b.len; i++) {
		if (b.s[i] == '\r') {
			b.s[w++] = '\n';
			if (i + 1 < b.len && b.s[i + 1] == '\n')
				i++;
		} else {
			b.s[w++] = b.s[i];
		}
	}
	b.s[w] = '\0';
	b.len = w;
	return sb_steal(&b);
}

typedef struct sst_state {
	strbuf cur;
	bool in_si, in_t;
	int rph; /* depth inside <rPh> (phonetic runs are not part of the text) */
} sst_state;

static int sst_node(xlsx_ctx *x, xmlTextReaderPtr r, void *state)
{
	sst_state *st = state;
	const char *text;
	if (is_start(r, "si")) {
		sb_reset(&st->cur);
		st->in_t = false;
		st->rph = 0;
		st->in_si = !xmlTextReaderIsEmptyElement(r);
		if (!st->in_si)
			goto push;
	} else if (!st->in_si) {
		return 0;
	} else if (is_start(r, "rPh")) {
		st->rph += !xmlTextReaderIsEmptyElement(r);
	} else if (is_end(r, "rPh")) {
		st->rph -= st->rph > 0;
	} else if (is_start(r, "t")) {
		st->in_t = !st->rph && !xmlTextReaderIsEmptyElement(r);
	} else if (is_end(r, "t")) {
		st->in_t = false;
	} else if (is_end(r, "si")) {
		st->in_si = false;
		goto push;
	} else if (st->in_t && (text = text_of(r))) {
		sb_adds(&st->cur, text);
	}
	return 0;
push:
	x->sst = xgrow(x->sst, &x->sst_cap, x->nsst + 1, sizeof *x->sst);
	x->sst[x->nsst++] = finish_string(sb_str(&st->cur), st->cur.len);
	sb_reset(&st->cur);
	return 0;
}

/* ---- values -------------------------------------------------------------- */

/* days since 1970-01-01 to a civil date (H. Hinnant's algorithm) */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

/*
 * An Excel serial as "YYYY-MM-DD", plus " HH:MM" when it has a time of day; a time
 * with no day (below 1: Excel's "1900-01-00") as "HH:MM".  False when it is no date.
 */
static bool format_serial(double v, bool date1904, enum num_kind kind, strbuf *out)
{
	if (!(v >= 0 && v < 2958466.0))
		return false;
	long long days = (long long)v; /* v >= 0: truncation is floor */
	long long secs = (long long)((v - (double)days) * 86400.0 + 0.5);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	bool time_only = days == 0 && (kind == KIND_TIME || !date1904);
	if (time_only && !secs && kind == KIND_DATE)
		return false; /* a date cell holding 0 */
	if (!time_only) {
		if (!date1904 && days == 60) {
			sb_adds(out, "1900-02-29"); /* the day Lotus 1-2-3 invented */
		} else {
			/* 1900 system: serial 1 is 1900-01-01, and every serial after the
			 * fictitious 60 is one day late; 1904 system: serial 0 is 1904-01-01 */
			long long unix_days = date1904 ? days - 24107 : days - (days < 60 ? 25568 : 25569);
			long long y;
			unsigned m, d;
			civil_from_days(unix_days, &y, &m, &d);
			if (y > 9999)
				return false;
			sb_addf(out, "%04lld-%02u-%02u", y, m, d);
		}
	}
	if (secs || time_only)
		sb_addf(out, "%s%02lld:%02lld", out->len ? " " : "", secs / 3600, secs / 60 % 60);
	return true;
}

/* shortest faithful number: %.15g (what Excel shows), integers without ".0" */
static void format_number(double v, strbuf *out)
{
	char buf[64];
	if (v == 0)
		v = 0; /* no "-0" */
	double a = v < 0 ? -v : v;
	if (a >= 1e15 && a < 9007199254740992.0 && v == (double)(long long)v)
		snprintf(buf, sizeof buf, "%.0f", v);
	else
		snprintf(buf, sizeof buf, "%.15g", v);
	sb_adds(out, buf);
}

/* t="d": an ISO 8601 date-time, shown like a serial date */
static void format_iso(const char *s, strbuf *out)
{
	size_t n = strlen(s);
	if (n < 10 || s[4] != '-' || s[7] != '-') {
		sb_adds(out, s);
		return;
	}
	sb_add(out, s, 10);
	if (n >= 16 && s[10] == 'T' && s[13] == ':' && strncmp(s + 11, "00:00", 5) != 0)
		sb_addf(out, " %.5s", s + 11);
}

/* ---- the worksheet ------------------------------------------------------- */

typedef struct sheet_state {
	grid *g;
	bool in_data;	   /* inside <sheetData> */
	size_t row;	   /* 1-based number of the current <row> */
	size_t next_col;   /* 0-based column of a cell without r= */
	size_t cells;	   /* grid cells created, padding included */
	bool in_cell, in_v, in_is, in_t;
	int rph;
	size_t col;
	char *type;
	long style;
	strbuf val;
	strbuf shown;
} sheet_state;

/* "BC12" → column 54 (0-based); false when it has no letters or is past XFD */
static bool ref_col(const char *ref, size_t *col)
{
	size_t c = 0, n = 0;
	for (;; ref++, n++) {
		char ch = *ref;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch < 'A' || ch > 'Z')
			break;
		if (n >= 3)
			return false;
		c = c * 26 + (size_t)(ch - 'A' + 1);
	}
	if (!n || c > XLSX_MAX_COLS)
		return false;
	*col = c - 1;
	return true;
}

static void cell_value(xlsx_ctx *x, sheet_state *s)
{
	const char *t = s->type ? s->type : "n";
	const char *v = sb_str(&s->val);
	strbuf *out = &s->shown;
	sb_reset(out);
	if (!strcmp(t, "s")) {
		size_t i;
		if (parse_size(v, &i) && i < x->nsst)
			sb_adds(out, x->sst[i]);
	} else if (!strcmp(t, "inlineStr") || !strcmp(t, "str") || !strcmp(t, "e")) {
		char *f = finish_string(v, s->val.len);
		sb_adds(out, f);
		free(f);
	} else if (!strcmp(t, "b")) {
		sb_adds(out, !strcmp(v, "1") ? "TRUE" : !strcmp(v, "0") ? "FALSE" : v);
	} else if (!strcmp(t, "d")) {
		format_iso(v, out);
	} else {
		char *end;
		double d = strtod(v, &end);
		while (*end == ' ')
			end++;
		if (!*v || *end || !isfinite(d)) {
			sb_adds(out, v);
			return;
		}
		enum num_kind k = s->style >= 0 && (size_t)s->style < x->nxf
					  ? (enum num_kind)x->xf_kind[s->style]
					  : KIND_NUMBER;
		if (k == KIND_NUMBER || !format_serial(d, x->date1904, k, out)) {
			sb_reset(out);
			format_number(d, out);
		}
	}
}

/* place the finished cell; rows skipped by the sheet become empty grid rows */
static int cell_place(xlsx_ctx *x, sheet_state *s)
{
	cell_value(x, s);
	if (!s->shown.len)
		return 0;
	if (s->row > x->max_rows) {
		x->err = xasprintf("table has more than %zu rows", x->max_rows);
		return -1;
	}
	while (s->g->nrows < s->row)
		grid_add_row(s->g);
	grid_row *gr = &s->g->rows[s->g->nrows - 1];
	size_t grow = s->col >= gr->ncells ? s->col + 1 - gr->ncells : 0;
	if (grow > XLSX_MAX_CELLS - s->cells) {
		x->err = xasprintf("XLSX sheet has more than %d cells", XLSX_MAX_CELLS);
		return -1;
	}
	s->cells += grow;
	grid_set_cell(s->g, s->col, s->shown.s, s->shown.len);
	return 0;
}

static int sheet_start(xlsx_ctx *x, xmlTextReaderPtr r, sheet_state *s, const char *name)
{
	(void)x;
	bool empty = xmlTextReaderIsEmptyElement(r);
	if (!strcmp(name, "row")) {
		char *rs = attr(r, "r");
		size_t n;
		s->row = parse_size(rs, &n) && n > s->row ? n : s->row + 1;
		s->next_col = 0;
		free(rs);
	} else if (!strcmp(name, "c")) {
		char *ref = attr(r, "r");
		if (!s->row)
			s->row = 1; /* a cell outside any <row> */
		if (!ref || !ref_col(ref, &s->col))
			s->col = s->next_col;
		free(ref);
		s->next_col = s->col + 1;
		free(s->type);
		s->type = attr(r, "t");
		s->style = attr_long(r, "s", 0);
		sb_reset(&s->val);
		s->in_v = s->in_is = s->in_t = false;
		s->rph = 0;
		/* <c r="X9"/> (style only) holds nothing; a column past XFD is dropped */
		s->in_cell = !empty && s->col < XLSX_MAX_COLS;
	} else if (!s->in_cell || empty) {
		return 0;
	} else if (!strcmp(name, "v")) {
		s->in_v = true;
	} else if (!strcmp(name, "is")) {
		s->in_is = true;
	} else if (s->in_is && !strcmp(name, "rPh")) {
		s->rph++;
	} else if (s->in_is && !strcmp(name, "t")) {
		s->in_t = !s->rph;
	}
	return 0;
}

static int sheet_node(xlsx_ctx *x, xmlTextReaderPtr r, void *state)
{
	sheet_state *s = state;
	int type = xmlTextReaderNodeType(r);
	const char *text;
	if (type == XML_READER_TYPE_ELEMENT || type == XML_READER_TYPE_END_ELEMENT) {
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		if (!strcmp(name, "sheetData")) {
			s->in_data = type == XML_READER_TYPE_ELEMENT && !xmlTextReaderIsEmptyElement(r);
			return 0;
		}
		if (!s->in_data)
			return 0;
		if (type == XML_READER_TYPE_ELEMENT)
			return sheet_start(x, r, s, name);
		if (!strcmp(name, "c") && s->in_cell) {
			s->in_cell = false;
			return cell_place(x, s);
		}
		if (!strcmp(name, "v"))
			s->in_v = false;
		else if (!strcmp(name, "t"))
			s->in_t = false;
		else if (!strcmp(name, "rPh"))
			s->rph -= s->rph > 0;
		else if (!strcmp(name, "is"))
			s->in_is = false;
	} else if (s->in_cell && (s->in_v || s->in_t) && (text = text_of(r))) {
		sb_adds(&s->val, text);
	}
	return 0;
}

/* ---- putting it together ----------------------------------------------- */

/* the worksheet member to read: first visible worksheet of the workbook */
static char *find_sheet(const workbook_state *wb, const rels *wr, const char *wb_dir)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < wb->n; i++) {
			if (pass == 0 && wb->v[i].hidden)
				continue;
			const char *t = rels_find(wr, wb->v[i].rid, "/worksheet");
			if (t)
				return xstrdup(t);
		}
	return xasprintf("%sworksheets/sheet1.xml", wb_dir);
}

static int read_workbook(xlsx_ctx *x, grid *out)
{
	int rc = -1;
	rels root = { 0 }, wr = { 0 };
	workbook_state wb = { 0 };
	sheet_state ss = { .g = out };
	sst_state sst = { STRBUF_INIT, false, false, 0 };
	char *wb_path = NULL, *wb_dir = NULL, *sheet = NULL, *path = NULL;

	if (rels_read(x, "", &root) < 0) /* _rels/.rels */
		goto out;
	const char *t = rels_find(&root, NULL, "/officeDocument");
	wb_path = xstrdup(t ? t : "xl/workbook.xml");
	const char *slash = strrchr(wb_path, '/');
	wb_dir = xstrndup(wb_path, slash ? (size_t)(slash - wb_path) + 1 : 0);
	if (member_parse(x, wb_path, workbook_node, &wb) < 0 || rels_read(x, wb_path, &wr) < 0)
		goto out;

	t = rels_find(&wr, NULL, "/styles");
	path = t ? xstrdup(t) : xasprintf("%sstyles.xml", wb_dir);
	if (styles_read(x, path) < 0)
		goto out;
	free(path);
	t = rels_find(&wr, NULL, "/sharedStrings");
	path = t ? xstrdup(t) : xasprintf("%ssharedStrings.xml", wb_dir);
	if (member_parse(x, path, sst_node, &sst) < 0)
		goto out;

	sheet = find_sheet(&wb, &wr, wb_dir);
	int r = member_parse(x, sheet, sheet_node, &ss);
	if (r == 1 && strcmp(sheet, "xl/worksheets/sheet1.xml") != 0)
		r = member_parse(x, "xl/worksheets/sheet1.xml", sheet_node, &ss);
	if (r == 1)
		x->err = xstrdup("XLSX has no worksheet");
	if (r != 0)
		goto out;
	rc = 0;
out:
	rels_free(&root);
	rels_free(&wr);
	for (size_t i = 0; i < wb.n; i++)
		free(wb.v[i].rid);
	free(wb.v);
	sb_free(&sst.cur);
	free(ss.type);
	sb_free(&ss.val);
	sb_free(&ss.shown);
	free(wb_path);
	free(wb_dir);
	free(sheet);
	free(path);
	return rc;
}

int xlsx_read(const char *bytes, size_t len, size_t max_rows, size_t max_unzipped, grid *out,
	      char **err)
{
	int rc = -1;
	zip_error_t ze;
	xlsx_ctx x = { .budget = max_unzipped, .max_rows = max_rows };
	locale_t c_num = (locale_t)0, old = (locale_t)0;

	*err = NULL;
	zip_error_init(&ze);
	if (len >= 8 && !memcmp(bytes, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
		x.err = xstrdup("not an XLSX file: password-protected workbook or old .xls format");
		goto out;
	}
	zip_source_t *src = zip_source_buffer_create(len ? bytes : NULL, len, 0, &ze);
	if (!src) {
		x.err = xasprintf("not an XLSX file: %s", zip_error_strerror(&ze));
		goto out;
	}
	x.za = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (!x.za) {
		zip_source_free(src);
		x.err = xasprintf("not an XLSX file: %s", zip_error_strerror(&ze));
		goto out;
	}
	/* numbers in the XML always use '.', whatever the process locale says */
	c_num = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_num)
		old = uselocale(c_num);
	rc = read_workbook(&x, out);
out:
	if (old)
		uselocale(old);
	if (c_num)
		freelocale(c_num);
	if (x.za)
		zip_discard(x.za);
	zip_error_fini(&ze);
	for (size_t i = 0; i < x.nsst; i++)
		free(x.sst[i]);
	free(x.sst);
	free(x.xf_kind);
	if (rc != 0) {
		*err = x.err ? x.err : xstrdup("XLSX could not be read");
		grid_free(out);
	} else {
		free(x.err);
	}
	return rc;
}
