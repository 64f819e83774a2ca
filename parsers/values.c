/*
 * values — one raw field value to the form `defectd parse` prints (SPEC.md §3
 * "Values, by class").  Each class has one reader; a value that is not of its
 * class gives NULL and a reason.  This module never guesses: a two-digit year, a
 * date with words after it or a yes/no word it does not know are refused, not
 * repaired.  Pure functions: no I/O, no clock (the year of a date written without
 * one comes from the caller).
 *
 * Speed: a value is normalised (NFKC) at most once; ASCII values, the common case,
 * skip NFKC entirely (ASCII is NFKC-stable).  Dates are read by a hand-written
 * scanner over the normalised bytes, no regex library.
 */
#include "values.h"
#include "text.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* bytes of a refused value quoted in its warning (mail is hostile input) */
#define ECHO_MAX 120

/* Western years we believe; anything else is a typo we must not print as a date */
#define YEAR_MIN 1900
#define YEAR_MAX 2199

/* ---- small scanner over UTF-8 bytes --------------------------------------- */

typedef struct cur {
	const char *p, *end;
} cur;

static bool at_end(const cur *c)
{
	return c->p >= c->end;
}

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static bool ascii_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static bool ascii_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static unsigned char ascii_lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* consume the exact bytes of w */
static bool lit(cur *c, const char *w)
{
	size_t k = strlen(w);
	if ((size_t)(c->end - c->p) < k || memcmp(c->p, w, k) != 0)
		return false;
	c->p += k;
	return true;
}

/* consume the ASCII word w (any case) when no letter follows it */
static bool word_ci(cur *c, const char *w)
{
	size_t k = strlen(w);
	if ((size_t)(c->end - c->p) < k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (ascii_lower((unsigned char)c->p[i]) != (unsigned char)w[i])
			return false;
	if (c->p + k < c->end && ascii_alpha((unsigned char)c->p[k]))
		return false;
	c->p += k;
	return true;
}

static void skip_ws(cur *c)
{
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch < 0x80) {
			if (!ascii_space(ch))
				return;
			c->p++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(c->p, (size_t)(c->end - c->p), &cp);
		if (!text_is_space(cp))
			return;
		c->p += k;
	}
}

/* 1..maxd ASCII digits (no more may follow); the digit count, or 0 without moving */
static int digits(cur *c, int maxd, int *val)
{
	const char *q = c->p;
	int v = 0, k = 0;
	while (q < c->end && *q >= '0' && *q <= '9') {
		if (k < 9)
			v = v * 10 + (*q - '0');
		k++;
		q++;
	}
	if (k == 0 || k > maxd)
		return 0;
	c->p = q;
	*val = v;
	return k;
}

/* ---- dates ------------------------------------------------------------------ */

static const struct era {
	const char *name;
	int base;	/* Western year of era year 0 */
	int last;	/* last era year that exists */
} eras[] = {
	{ "令和", 2018, 99 }, { "平成", 1988, 31 }, { "昭和", 1925, 64 },
	{ "R", 2018, 99 },   { "H", 1988, 31 },   { "S", 1925, 64 },
	{ "r", 2018, 99 },   { "h", 1988, 31 },   { "s", 1925, 64 },
};

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* 令和8 / 平成元 / R08 …: the Western year */
static bool era_year(cur *c, int *y)
{
	for (size_t i = 0; i < ARRAY_LEN(eras); i++) {
		cur s = *c;
		int ey;
		if (!lit(&s, eras[i].name))
			continue;
		skip_ws(&s);
		if (lit(&s, "元"))
			ey = 1;
		else if (!digits(&s, 2, &ey))
			return false;
		if (ey < 1 || ey > eras[i].last)
			return false;
		*y = eras[i].base + ey;
		*c = s;
		return true;
	}
	return false;
}

/* M 月 D 日 (the 年 already read) */
static bool kanji_month_day(cur *c, int *m, int *d)
{
	skip_ws(c);
	if (!digits(c, 2, m))
		return false;
	skip_ws(c);
	if (!lit(c, "月"))
		return false;
	skip_ws(c);
	if (!digits(c, 2, d))
		return false;
	skip_ws(c);
	return lit(c, "日");
}

/* what follows a year: 年 M 月 D 日, or sep M sep D with one separator of / - . */
static bool month_day(cur *c, int *m, int *d)
{
	cur s = *c;
	skip_ws(&s);
	if (lit(&s, "年")) {
		if (!kanji_month_day(&s, m, d))
			return false;
		*c = s;
		return true;
	}
	char sep = at_end(&s) ? '\0' : *s.p;
	if (sep != '/' && sep != '-' && sep != '.')
		return false;
	s.p++;
	skip_ws(&s);
	if (!digits(&s, 2, m))
		return false;
	skip_ws(&s);
	if (at_end(&s) || *s.p != sep)
		return false;
	s.p++;
	skip_ws(&s);
	if (!digits(&s, 2, d))
		return false;
	*c = s;
	return true;
}

/* the date itself: era, four-digit year, or month and day alone (default_year) */
static bool date_body(cur *c, int default_year, int *y, int *m, int *d)
{
	if (era_year(c, y))
		return month_day(c, m, d);
	int v, k = digits(c, 4, &v);
	if (k == 4) {
		*y = v;
		return month_day(c, m, d);
	}
	if (k == 0 || k > 2 || default_year <= 0)
		return false;
	/* 1月21日 or 1/21; "26/1/21" leaves "/21" behind and fails at the tail */
	*y = default_year;
	*m = v;
	skip_ws(c);
	if (lit(c, "月")) {
		skip_ws(c);
		if (!digits(c, 2, d))
			return false;
		skip_ws(c);
		return lit(c, "日");
	}
	return lit(c, "/") && digits(c, 2, d);
}

static const char *const weekday_kanji[] = { "月", "火", "水", "木", "金", "土", "日" };
static const char *const weekday_en[] = { "monday", "tuesday", "wednesday", "thursday",
					  "friday", "saturday", "sunday" };

/* an English weekday: the full name, its first three letters, tues, thur, thurs */
static bool weekday_english(cur *c)
{
	char w[12];
	size_t k = 0;
	const char *q = c->p;
	while (q < c->end && ascii_alpha((unsigned char)*q)) {
		if (k == sizeof w - 1)
			return false;
		w[k++] = (char)ascii_lower((unsigned char)*q++);
	}
	w[k] = '\0';
	if (k < 3)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(weekday_en); i++) {
		const char *full = weekday_en[i];
		if (strcmp(w, full) == 0 || (k == 3 && strncmp(w, full, 3) == 0) ||
		    (i == 1 && strcmp(w, "tues") == 0) ||
		    (i == 3 && (strcmp(w, "thur") == 0 || strcmp(w, "thurs") == 0))) {
			c->p = q;
			if (!at_end(c) && *c->p == '.')
				c->p++;
			return true;
		}
	}
	return false;
}

/* 水, 水曜, 水曜日 (bare: 曜 required, so a stray 日 is no weekday), or Wed */
static bool weekday_word(cur *c, bool bare)
{
	for (size_t i = 0; i < ARRAY_LEN(weekday_kanji); i++) {
		cur s = *c;
		if (!lit(&s, weekday_kanji[i]))
			continue;
		bool you = lit(&s, "曜");
		if (you)
			lit(&s, "日");
		if (bare && !you)
			return false;
		*c = s;
		return true;
	}
	return weekday_english(c);
}

/* （月・祝） — a holiday mark after the weekday */
static void holiday(cur *c)
{
	cur s = *c;
	skip_ws(&s);
	if (!lit(&s, "・") && !lit(&s, ",") && !lit(&s, "、") && !lit(&s, "/"))
		return;
	skip_ws(&s);
	if (lit(&s, "祝")) {
		lit(&s, "日");
		*c = s;
	}
}

static bool weekday(cur *c)
{
	cur s = *c;
	if (lit(&s, "(")) {
		skip_ws(&s);
		if (!weekday_word(&s, false))
			return false;
		holiday(&s);
		skip_ws(&s);
		if (!lit(&s, ")"))
			return false;
	} else if (!weekday_word(&s, true)) {
		return false;
	}
	*c = s;
	return true;
}

/* 14:30, 14:30:00, 14時, 14時30分, 14時30分00秒, 14時半, 午後2時, 2:30 PM */
static bool time_of_day(cur *c)
{
	cur s = *c;
	int h, mi = 0, se = 0, ampm = 0;
	if (lit(&s, "午前") || word_ci(&s, "am"))
		ampm = 1;
	else if (lit(&s, "午後") || word_ci(&s, "pm"))
		ampm = 2;
	skip_ws(&s);
	if (!digits(&s, 2, &h))
		return false;
	if (lit(&s, ":")) {
		if (digits(&s, 2, &mi) != 2)
			return false;
		if (lit(&s, ":") && digits(&s, 2, &se) != 2)
			return false;
	} else if (lit(&s, "時")) {
		cur t = s;
		skip_ws(&t);
		if (lit(&t, "半")) {
			mi = 30;
			s = t;
		} else if (digits(&t, 2, &mi) && (skip_ws(&t), lit(&t, "分"))) {
			s = t;
			skip_ws(&t);
			if (digits(&t, 2, &se) && (skip_ws(&t), lit(&t, "秒")))
				s = t;
		}
	} else {
		return false;
	}
	if (!ampm) {
		cur t = s;
		skip_ws(&t);
		if (word_ci(&t, "am") || word_ci(&t, "a.m."))
			ampm = 1, s = t;
		else if (word_ci(&t, "pm") || word_ci(&t, "p.m."))
			ampm = 2, s = t;
	}
	if (h > (ampm ? 12 : 24) || mi > 59 || se > 60 || (h == 24 && (mi || se)))
		return false;
	*c = s;
	return true;
}

/* what may follow a date: a weekday and a time, each at most once, and a final 。 */
static bool date_tail(cur *c)
{
	bool wd = false, tm = false;
	for (;;) {
		cur s = *c;
		if (!tm && lit(&s, "T") && time_of_day(&s)) {	/* ISO 8601 2026-01-21T14:30 */
			tm = true;
			*c = s;
			continue;
		}
		s = *c;
		skip_ws(&s);
		if (!wd && weekday(&s)) {
			wd = true;
			*c = s;
			continue;
		}
		if (!tm && time_of_day(&s)) {
			tm = true;
			*c = s;
			continue;
		}
		break;
	}
	skip_ws(c);
	lit(c, "。");
	skip_ws(c);
	return at_end(c);
}

/* a date in n bytes already in NFKC */
static int date_nfkc(const char *s, size_t n, int default_year, int *y, int *m, int *d)
{
	cur c = { s, s + n };
	int yy, mm, dd;
	if (default_year < YEAR_MIN || default_year > YEAR_MAX)
		default_year = 0;
	skip_ws(&c);
	if (!date_body(&c, default_year, &yy, &mm, &dd) || !date_tail(&c))
		return -1;
	if (yy < YEAR_MIN || yy > YEAR_MAX || mm < 1 || mm > 12 || dd < 1 ||
	    dd > days_in_month(yy, mm))
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}

/* ---- values ----------------------------------------------------------------- */

/* n bytes in NFKC, borrowed from the input when it is ASCII */
typedef struct view {
	const char *s;
	size_t n;
	char *owned;
} view;

static void view_open(view *v, const char *raw, size_t n)
{
	if (is_ascii(raw, n)) {
		v->s = raw;
		v->n = strnlen(raw, n);	/* text_nfkc stops at a NUL too */
		v->owned = NULL;
	} else {
		v->owned = text_nfkc(raw, n);
		v->s = v->owned;
		v->n = strlen(v->owned);
	}
}

int value_date(const char *s, size_t n, int default_year, int *y, int *m, int *d)
{
	if (!s)
		return -1;
	view v;
	view_open(&v, s, n);
	int rc = date_nfkc(v.s, v.n, default_year, y, m, d);
	free(v.owned);
	return rc;
}

/* Nothing stated: only white space, or only dashes — "－" and "ー" mean "none" in a form. */
static bool nothing_stated(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (cp != 0 && !text_is_space(cp) && !text_is_dash(cp))
			return false;
		i += k;
	}
	return true;
}

/* "<what>: <value>", the value trimmed, one line, valid UTF-8 and at most ECHO_MAX bytes */
static char *reason(const char *what, const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	sb_adds(&b, what);
	sb_adds(&b, ": ");
	s = text_trim(s, &n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (i + k > ECHO_MAX) {
			sb_adds(&b, "…");
			break;
		}
		sb_add_utf8(&b, cp < 0x20 || cp == 0x7F ? ' ' : cp);
		i += k;
	}
	return sb_steal(&b);
}

/* the reason quoting the NFKC form of raw (readable and valid UTF-8) */
static char *reason_raw(const char *what, const char *raw, size_t n)
{
	view v;
	view_open(&v, raw, n);
	char *r = reason(what, v.s, v.n);
	free(v.owned);
	return r;
}

/* codes: dashes to '-', all white space removed, optionally ASCII upper case */
static char *norm_code(const char *s, size_t n, bool upper)
{
	strbuf b = STRBUF_INIT;
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x80) {
			if (!ascii_space(ch))
				sb_addc(&b, (char)(upper && ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch));
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (text_is_dash(cp))
			sb_addc(&b, '-');
		else if (!text_is_space(cp))
			sb_add(&b, s + i, k);
		i += k;
	}
	if (b.len == 0) {
		sb_free(&b);
		return NULL;
	}
	return sb_steal(&b);
}

/* the end of the line starting at p, and where the next one starts (\n, \r\n or \r) */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *q = p;
	while (q < end && *q != '\n' && *q != '\r')
		q++;
	*next = q;
	if (q < end)
		*next += (*q == '\r' && q + 1 < end && q[1] == '\n') ? 2 : 1;
	return q;
}

/* text: every line trimmed, joined by \n, empty lines kept only between text */
static char *norm_text(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	size_t blank = 0;	/* empty lines since the last line with text */
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *next;
		size_t len = (size_t)(line_end(p, end, &next) - p);
		const char *t = text_trim(p, &len);
		if (len == 0) {
			blank++;
		} else {
			if (b.len)
				for (size_t i = 0; i <= blank; i++)
					sb_addc(&b, '\n');
			sb_add(&b, t, len);
			blank = 0;
		}
		p = next;
	}
	if (b.len == 0) {
		sb_free(&b);
		return NULL;
	}
	return sb_steal(&b);
}

/* phone: trimmed, dashes to '-', otherwise as written; NULL with fewer than 6 digits */
static char *norm_phone(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	size_t ndigits = 0;
	s = text_trim(s, &n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (cp >= '0' && cp <= '9')
			ndigits++;
		if (text_is_dash(cp))
			sb_addc(&b, '-');
		else
			sb_add(&b, s + i, k);
		i += k;
	}
	if (ndigits < 6) {
		sb_free(&b);
		return NULL;
	}
	return sb_steal(&b);
}

/* tracking: the digits; NULL with fewer than 6 */
static char *norm_tracking(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			sb_addc(&b, s[i]);
	if (b.len < 6) {
		sb_free(&b);
		return NULL;
	}
	return sb_steal(&b);
}

/* enum and carrier: the code of the longest synonym contained, else the fallback */
static char *norm_enum(const vocab *v, const field_def *f, const char *raw, size_t n,
		       char **why)
{
	const char *table = f->enum_name ? f->enum_name : f->cls == VC_CARRIER ? "carrier" : f->key;
	char *key = text_match_key(raw, n);
	const char *code = vocab_enum_lookup(v, table, key);
	free(key);
	if (code)
		return xstrdup(code);
	bool warn = false;
	code = vocab_enum_fallback(v, table, &warn);
	if (warn) {
		char *what = xasprintf("no %s synonym for", table);
		*why = reason_raw(what, raw, n);
		free(what);
	}
	return xstrdup(code);
}

static char *norm_bool(const vocab *v, const char *raw, size_t n, char **why)
{
	char *key = text_match_key(raw, n);
	int b = vocab_bool_lookup(v, key);
	free(key);
	if (b < 0) {
		*why = reason_raw("not yes/no", raw, n);
		return NULL;
	}
	return xstrdup(b ? "true" : "false");
}

/* "YYYY-MM-DD" of a date date_nfkc accepted (so the year has four digits); by hand,
 * as printf costs more than reading the date */
static char *format_date(int y, int m, int d)
{
	char *out = xmalloc(11);
	int parts[3] = { y, m, d }, widths[3] = { 4, 2, 2 };
	size_t o = 0;
	for (size_t i = 0; i < 3; i++) {
		if (i)
			out[o++] = '-';
		for (int w = widths[i] - 1, v = parts[i]; w >= 0; w--, v /= 10)
			out[o + (size_t)w] = (char)('0' + v % 10);
		o += (size_t)widths[i];
	}
	out[o] = '\0';
	return out;
}

/* the classes that read the NFKC form of the value */
static char *norm_nfkc(const field_def *f, const char *s, size_t n, int default_year, char **why)
{
	char *out = NULL;
	int y, m, d;
	switch (f->cls) {
	case VC_DATE:
		if (date_nfkc(s, n, default_year, &y, &m, &d) == 0)
			out = format_date(y, m, d);
		else
			*why = reason("not a date", s, n);
		break;
	case VC_CODE:
		out = norm_code(s, n, f->upper);
		break;
	case VC_PHONE:
		if (!(out = norm_phone(s, n)))
			*why = reason("not a phone number", s, n);
		break;
	case VC_TRACKING:
		if (!(out = norm_tracking(s, n)))
			*why = reason("not a tracking number", s, n);
		break;
	case VC_TEXT:
	default:
		out = norm_text(s, n);
		break;
	}
	return out;
}

char *value_normalise(const vocab *v, const field_def *f, const char *raw, size_t n,
		      int default_year, char **why)
{
	char *ignored = NULL;
	char *out = NULL;
	if (!why)
		why = &ignored;
	*why = NULL;
	if (!raw || nothing_stated(raw, n))
		goto out;
	switch (f->cls) {
	case VC_BOOL:
		out = norm_bool(v, raw, n, why);
		break;
	case VC_ENUM:
	case VC_CARRIER:
		/* text_match_key does its own NFKC: do not do it twice */
		out = norm_enum(v, f, raw, n, why);
		break;
	default: {
		view t;
		view_open(&t, raw, n);
		out = norm_nfkc(f, t.s, t.n, default_year, why);
		free(t.owned);
		break;
	}
	}
out:
	free(ignored);
	return out;
}
