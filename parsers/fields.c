/*
 * fields — reads the field lines of a mail body the way a person would:
 *
 *   label：value   label: value   【label】value   [label] : value   label<TAB>value
 *   label　　　：value   label alone on its line, value on the next line(s)
 *
 * with decorations (■ □ ● ・ * 【】) and numbering (1. (1) ①) before the label.
 * Text values continue on following lines until a blank line, a field line or a
 * separator.  Quoted lines (>) are never read; what follows a reply header is read
 * only for forwards; a signature ends the reading until a reply/forward header.
 * Must never guess: only labels of the vocabulary make fields.
 */
#include "fields.h"
#include "classify.h"
#include "text.h"
#include "values.h"

#include <stdlib.h>
#include <string.h>

/* One line of the body.  Every test looks at the trimmed form, so it is made once. */
typedef struct line {
	const char *s;	/* without its line break */
	size_t n;
	const char *t;	/* s without white space (incl. U+3000, NBSP) at either end */
	size_t tn;
} line;

/* ---- small byte-level helpers --------------------------------------------- */

/* Inlined so that strlen of a literal is folded: these run several times per line. */
#define HOT static inline __attribute__((always_inline))

HOT bool starts(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && memcmp(s, p, k) == 0;
}

HOT bool istarts(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && ascii_casecmp_prefix(s, p);
}

HOT bool ends(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && memcmp(s + n - k, p, k) == 0;
}

/* the full-width colon ： (EF BC 9A) at s[i] */
HOT bool fw_colon_at(const char *s, size_t n, size_t i)
{
	return i + 3 <= n && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBC &&
	       (unsigned char)s[i + 2] == 0x9A;
}

/* the full-width form EF b2 b3 (U+FF01 … U+FF5E) in the n bytes (memchr is the fast
 * scan: most lines hold no 0xEF byte at all) */
static bool has_full_width(const char *s, size_t n, unsigned char b2, unsigned char b3)
{
	const char *p = s, *end = s + n;
	while ((p = memchr(p, 0xEF, (size_t)(end - p))) != NULL) {
		if (end - p >= 3 && (unsigned char)p[1] == b2 && (unsigned char)p[2] == b3)
			return true;
		p++;
	}
	return false;
}

/* a colon, half or full width, anywhere in the n bytes */
static bool has_colon(const char *s, size_t n)
{
	return memchr(s, ':', n) || has_full_width(s, n, 0xBC, 0x9A);
}

/* skip leading white space (ASCII, U+3000, NBSP); returns bytes skipped */
static size_t skip_space(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (!text_is_space(cp))
			break;
		i += k;
	}
	return i;
}

static line make_line(const char *s, size_t n)
{
	line l = { s, n, s, n };
	l.t = text_trim(s, &l.tn);
	return l;
}

/* the trimmed part of a line as a line of its own */
static line trimmed(line l)
{
	return (line){ l.t, l.tn, l.t, l.tn };
}

/* ---- line kinds --------------------------------------------------------------- */

static bool is_quoted(line l)
{
	return starts(l.t, l.tn, ">") || starts(l.t, l.tn, "\xEF\xBC\x9E"); /* ＞ */
}

static bool is_blank(line l)
{
	return l.tn == 0;
}

static bool is_rule_char(uint32_t cp)
{
	switch (cp) {
	case 0x2500: case 0x2501: case '-': case '=': case 0xFF1D: case '*': case 0xFF0A: case '_':
	case 0x2015: case 0xFF0D: case 0x2550: case 0x2014:
		return true;
	default:
		return false;
	}
}

/* the number of characters of a line made only of rule characters; 0 for any other */
static size_t rule_length(line l)
{
	size_t count = 0;
	/* every rule character starts with one of these bytes: most lines end here */
	unsigned char c0 = l.tn ? (unsigned char)l.t[0] : 0;
	if (c0 != '-' && c0 != '=' && c0 != '*' && c0 != '_' && c0 != 0xE2 && c0 != 0xEF)
		return 0;
	for (size_t i = 0; i < l.tn;) {
		uint32_t cp;
		size_t k = utf8_next(l.t + i, l.tn - i, &cp);
		if (!is_rule_char(cp))
			return 0;
		count++;
		i += k;
	}
	return count;
}

/* a line made only of rule characters, at least `min` (>= 1) of them */
static bool is_rule(line l, size_t min)
{
	return rule_length(l) >= min;
}

static bool is_sig_dashes(line l)
{
	/* "-- " is the standard delimiter; many mailers strip its trailing space */
	return (l.n == 3 && memcmp(l.s, "-- ", 3) == 0) || (l.n == 2 && memcmp(l.s, "--", 2) == 0);
}

static bool is_closing(line l)
{
	return starts(l.t, l.tn, "以上");
}

static const char *const header_names[] = {
	"from", "sent", "date", "to", "cc", "subject", "reply-to", "件名", "差出人", "送信日時",
	"宛先", "日付", "送信者", "送信日", "受信者", "cc",
};

/* "Name:" or "Name：" at the start of the (trimmed) line, for mail header names */
static bool is_header_line(line l)
{
	line t = trimmed(l);
	for (size_t i = 0; i < ARRAY_LEN(header_names); i++) {
		size_t k = strlen(header_names[i]);
		if (!istarts(t.s, t.n, header_names[i]))
			continue;
		size_t j = k;
		while (j < t.n && (t.s[j] == ' ' || t.s[j] == '\t'))
			j++;
		if (starts(t.s + j, t.n - j, ":") || starts(t.s + j, t.n - j, "\xEF\xBC\x9A"))
			return true;
	}
	return false;
}

static bool is_from_line(line l)
{
	line t = trimmed(l);
	return (istarts(t.s, t.n, "from") || starts(t.s, t.n, "差出人") || starts(t.s, t.n, "送信者")) &&
	       is_header_line(t);
}

enum header_kind { HDR_NONE, HDR_REPLY, HDR_FORWARD };

static bool icontains(line t, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= t.n; i++)
		if (ascii_casecmp_prefix(t.s + i, needle))
			return true;
	return false;
}

/* Is lines[i] the start of a reply or forward header? */
static enum header_kind reply_header(const line *lines, size_t nlines, size_t i)
{
	line t = trimmed(lines[i]);
	if (!t.n)
		return HDR_NONE;
	/* markers start with a rule, "Begin…" or ">"; header blocks and "… wrote:" need
	 * a colon: every other line is skipped without further work */
	unsigned char c0 = (unsigned char)t.s[0];
	bool marker = c0 == '-' || c0 == '_' || c0 == 'B' || c0 == 'b' || c0 == 0xE2; /* ─ ━ */
	if (!marker && !has_colon(t.s, t.n))
		return HDR_NONE;
	if (!marker)
		goto colon_forms;
	if (icontains(t, "forwarded message") || icontains(t, "転送メッセージ") ||
	    icontains(t, "転送されたメッセージ") || istarts(t.s, t.n, "begin forwarded message"))
		return HDR_FORWARD;
	if (icontains(t, "original message") || icontains(t, "元のメッセージ"))
		return HDR_REPLY;
colon_forms:
	if (is_from_line(t)) {
		/* a From: line followed by other header lines is a quoted header block */
		for (size_t j = i + 1; j < nlines && j <= i + 5; j++)
			if (is_header_line(lines[j]) && !is_from_line(lines[j]))
				return HDR_REPLY;
		return HDR_NONE;
	}
	if ((istarts(t.s, t.n, "on ") && (ends(t.s, t.n, "wrote:") || ends(t.s, t.n, "wrote"))) ||
	    ends(t.s, t.n, " wrote:") || ends(t.s, t.n, "のメッセージ:") ||
	    ends(t.s, t.n, "のメッセージ：") || ends(t.s, t.n, "書きました:") ||
	    ends(t.s, t.n, "書きました："))
		return HDR_REPLY;
	return HDR_NONE;
}

/* skip a header marker line and the header block after it; returns the next index */
static size_t skip_header_block(const line *lines, size_t nlines, size_t i)
{
	bool marker = !is_header_line(lines[i]);
	if (marker)
		i++;
	while (i < nlines && (is_blank(lines[i]) || is_header_line(lines[i]))) {
		if (is_blank(lines[i]) && i > 0 && is_header_line(lines[i - 1]))
			return i + 1; /* blank line after the header block ends it */
		i++;
	}
	return i;
}

/* ---- labels ----------------------------------------------------------------- */

static size_t strip_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	uint32_t cp;
	size_t k;
	/* (1) （１） */
	if (starts(s, n, "(") || starts(s, n, "\xEF\xBC\x88")) {
		i = s[0] == '(' ? 1 : 3;
		while (i < n && (k = utf8_next(s + i, n - i, &cp)) &&
		       ((cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19))) {
			i += k;
			digits++;
		}
		if (digits && (starts(s + i, n - i, ")") || starts(s + i, n - i, "\xEF\xBC\x89")))
			return i + (s[i] == ')' ? 1 : 3);
		return 0;
	}
	/* ① … ⑳, ⑴ … ⒇, ⒈ … ⒛, ❶ … ❿ */
	k = utf8_next(s, n, &cp);
	if ((cp >= 0x2460 && cp <= 0x249B) || (cp >= 0x2776 && cp <= 0x2793) ||
	    (cp >= 0x24EB && cp <= 0x24FF))
		return k;
	/* 1.  1)  1．  1、  １． */
	while (i < n && (k = utf8_next(s + i, n - i, &cp)) &&
	       ((cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19))) {
		i += k;
		digits++;
	}
	if (!digits || digits > 3)
		return 0;
	static const char *const after[] = { ".", ")", "\xEF\xBC\x8E", "\xEF\xBC\x89", "\xE3\x80\x81",
					     "\xE3\x80\x82" };
	for (size_t j = 0; j < ARRAY_LEN(after); j++)
		if (starts(s + i, n - i, after[j]))
			return i + strlen(after[j]);
	return 0;
}

/* ■ □ ● ○ ◆ ◇ ・ ＊ ▼ ▽ ▶ ► ◎ ※ ･ ◯ ★ ☆ 〇 ＃ (all of them 3 bytes in UTF-8) */
static bool is_mark(uint32_t cp)
{
	switch (cp) {
	case 0x25A0: case 0x25A1: case 0x25CF: case 0x25CB: case 0x25C6: case 0x25C7: case 0x30FB:
	case 0xFF0A: case 0x25BC: case 0x25BD: case 0x25B6: case 0x25BA: case 0x25CE: case 0x203B:
	case 0xFF65: case 0x25EF: case 0x2605: case 0x2606: case 0x3007: case 0xFF03:
		return true;
	default:
		return false;
	}
}

/* decorations before a label: bullets, marks, numbering; returns bytes to skip */
static size_t strip_decoration(const char *s, size_t n)
{
	size_t total = 0;
	for (int round = 0; round < 4; round++) {
		size_t i = skip_space(s, n), k = 0;
		unsigned char c = i < n ? (unsigned char)s[i] : 0;
		uint32_t cp;
		if (c == '*' || c == '#')
			k = 1;
		else if (c == '-' && i + 1 < n && s[i + 1] == ' ')
			k = 2;
		else if (c >= 0xE2 && c <= 0xEF && utf8_next(s + i, n - i, &cp) == 3 && is_mark(cp))
			k = 3;
		if (!k && (c == '(' || (c >= '0' && c <= '9') || c >= 0xE2))
			k = strip_number(s + i, n - i);
		if (!k)
			return total + i;
		s += i + k;
		n -= i + k;
		total += i + k;
	}
	return total + skip_space(s, n);
}

static const char *const opening[] = { "【", "[", "［", "〔", "《", "〈", "<", "＜" };
static const char *const closing[] = { "】", "]", "］", "〕", "》", "〉", ">", "＞" };

/* could s start with one of `opening`?  (their first bytes) */
static bool may_open(const char *s, size_t n)
{
	unsigned char c = n ? (unsigned char)s[0] : 0;
	return c == '[' || c == '<' || c == 0xE3 || c == 0xEF;
}

/* drop a trailing "（必須）", "(任意)" or "." from a match key */
static void strip_key_tail(char *key)
{
	size_t n = strlen(key);
	while (n && (key[n - 1] == '.' || key[n - 1] == ':'))
		key[--n] = '\0';
	if (n && key[n - 1] == ')') {
		char *open = strrchr(key, '(');
		if (open && open != key)
			*open = '\0';
	}
}

/* the last code point of s, folded the way match keys are (for the cheap test) */
static uint32_t last_folded(const char *s, size_t n)
{
	size_t start = n - 1;
	while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80 && n - start < 4)
		start--;
	uint32_t cp;
	utf8_next(s + start, n - start, &cp);
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFEE0; /* full-width ASCII */
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	if (text_is_dash(cp))
		cp = '-';
	return cp;
}

/* label text without decorations (see fields_label) */
static int label_lookup(const vocab *v, const char *s, size_t n, bool suffix)
{
	if (!n || n > 3 * vocab_max_label_bytes(v) + 24)
		return -1;
	uint32_t last = last_folded(s, n);
	/* a note or punctuation after the label, or half-width kana: take the slow path */
	bool unsure = last == ')' || last == '.' || last == ':' || (last >= 0xFF61 && last <= 0xFF9F) ||
		      last == 0x3011 || last == 0xFFFD;
	if (!unsure && !vocab_label_may_end_with(v, last))
		return -1;
	/* labels are short: the key goes on the stack unless it needs full NFKC */
	char buf[256], *owned = NULL, *key = buf;
	if (text_match_key_buf(s, n, buf, sizeof buf) == (size_t)-1)
		key = owned = text_match_key(s, n);
	int field = vocab_label_exact(v, key);
	if (field == -1) {
		strip_key_tail(key);
		field = vocab_label_exact(v, key);
	}
	if (field == -1 && suffix) {
		size_t lb;
		field = vocab_label_suffix(v, key, &lb);
		/* only a short qualifier may stand before the label (不具合品の発送日) */
		if (field != -1 && strlen(key) - lb > 18)
			field = -1;
	}
	free(owned);
	return field;
}

int fields_label(const vocab *v, const char *s, size_t n, bool suffix)
{
	size_t skip = strip_decoration(s, n);
	s += skip;
	n -= skip;
	/* 【label】 as a whole cell */
	for (size_t j = 0; may_open(s, n) && j < ARRAY_LEN(opening); j++)
		if (starts(s, n, opening[j]) && ends(s, n, closing[j]) &&
		    n > strlen(opening[j]) + strlen(closing[j])) {
			s += strlen(opening[j]);
			n -= strlen(opening[j]) + strlen(closing[j]);
			break;
		}
	s = text_trim(s, &n);
	return label_lookup(v, s, n, suffix);
}

/* where the label of "label<sep>value" ends: at the first colon (half or full width)
 * or TAB; n when there is none.  memchr scans, as most lines are text, not fields. */
static size_t label_end(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *tab = memchr(s, '\t', n);
	size_t e = colon ? (size_t)(colon - s) : n;
	if (tab && (size_t)(tab - s) < e)
		e = (size_t)(tab - s);
	for (const char *p = s; (p = memchr(p, 0xEF, (size_t)(s + e - p))) != NULL; p++)
		if (fw_colon_at(s, n, (size_t)(p - s)))
			return (size_t)(p - s);
	return e;
}

typedef struct field_line {
	int field;		/* field index, VOCAB_DEFECT_REF or -1 */
	const char *value;	/* value on the line (may be empty) */
	size_t vlen;
} field_line;

/* Is this a field line?  Fills m; returns m->field != -1. */
static bool match_field(const vocab *v, line l, field_line *m)
{
	const char *s = l.s;
	size_t n = l.n, skip = strip_decoration(s, n);
	m->field = -1;
	m->value = NULL;
	m->vlen = 0;
	s += skip;
	n -= skip;
	if (!n)
		return false;
	const char *lab = s, *val = NULL;
	size_t llen = n, vlen = 0;
	bool alone = false;
	for (size_t j = 0; j < ARRAY_LEN(opening) && may_open(s, n); j++) {
		if (!starts(s, n, opening[j]))
			continue;
		size_t o = strlen(opening[j]);
		const char *c = memmem(s + o, n - o, closing[j], strlen(closing[j]));
		if (!c)
			break;
		lab = s + o;
		llen = (size_t)(c - lab);
		val = c + strlen(closing[j]);
		vlen = n - (size_t)(val - s);
		break;
	}
	if (!val) {
		/* the first colon (half or full width) or TAB separates label and value */
		size_t i = label_end(s, n);
		if (i < n) {
			llen = i;
			val = s + i + (s[i] == ':' || s[i] == '\t' ? 1 : 3);
			vlen = n - (size_t)(val - s);
		} else {
			alone = true;
		}
	}
	if (val) {
		/* [label] : value, label<TAB>：value */
		size_t k = skip_space(val, vlen);
		val += k;
		vlen -= k;
		if (starts(val, vlen, ":") || starts(val, vlen, "\xEF\xBC\x9A")) {
			k = val[0] == ':' ? 1 : 3;
			val += k;
			vlen -= k;
		}
		val = text_trim(val, &vlen);
	}
	lab = text_trim(lab, &llen);
	if (!llen)
		return false;
	m->field = label_lookup(v, lab, llen, !alone);
	m->value = val ? val : "";
	m->vlen = vlen;
	return m->field != -1;
}

/* ---- values ------------------------------------------------------------------- */

bool fields_set_raw(const fields_ctx *c, record *rec, int field, const char *raw, size_t n)
{
	const field_def *f = vocab_field_at(c->v, (size_t)field);
	if (!f || record_has(rec, field))
		return false;
	char *why = NULL;
	char *val = value_normalise(c->v, f, raw, n, c->default_year, &why);
	if (why) {
		if (c->warnings)
			sl_pushf(c->warnings, "%s: %s", f->key, why);
		free(why);
	}
	if (!val)
		return false;
	record_set(rec, field, val);
	return true;
}

typedef struct open_value {
	int field;	/* -1 when none is open */
	bool text;	/* continues on following lines */
	bool awaiting;	/* label seen, value not yet (label alone / empty after colon) */
	strbuf buf;
} open_value;

static void close_value(const fields_ctx *c, record *rec, open_value *ov, size_t *count)
{
	if (ov->field >= 0 && ov->buf.len) {
		if (fields_set_raw(c, rec, ov->field, ov->buf.s, ov->buf.len))
			(*count)++;
	}
	ov->field = -1;
	ov->awaiting = false;
	sb_reset(&ov->buf);
}

static bool is_indented(line l)
{
	return l.n && skip_space(l.s, l.n) > 0;
}

/* Does a rule line open a boxed block of fields rather than a signature?  Only when
 * nothing was read before it and at least three field lines follow before the next
 * rule or the end. */
static bool box_follows(const vocab *v, const line *lines, size_t nlines, size_t i)
{
	size_t found = 0;
	field_line m;
	for (size_t j = i + 1; j < nlines && found < 3; j++) {
		if (is_rule(lines[j], 3) || is_sig_dashes(lines[j]))
			break;
		if (match_field(v, lines[j], &m) && m.field >= 0)
			found++;
	}
	return found >= 3;
}

static void find_ref(line l, char **ref)
{
	if (*ref)
		return;
	/* cheap test first: an ASCII M/m or a full-width Ｍ (EF BC AD) must be there */
	if (!memchr(l.s, 'M', l.n) && !memchr(l.s, 'm', l.n) && !has_full_width(l.s, l.n, 0xBC, 0xAD))
		return;
	*ref = classify_find_ref(l.s, l.n);
}

static size_t split_lines(const char *text, size_t len, line **out)
{
	size_t n = 0, cap = 0;
	line *lines = NULL;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t kk = k;
		if (kk && p[kk - 1] == '\r')
			kk--;
		lines = xgrow(lines, &cap, n + 1, sizeof *lines);
		lines[n++] = make_line(p, kk);
		p += k + (nl ? 1 : 0);
	}
	*out = lines;
	return n;
}

size_t fields_read(const fields_ctx *c, const char *text, size_t len, record *rec, char **defect_ref)
{
	line *lines;
	size_t nlines = split_lines(text, len, &lines), count = 0;
	open_value ov = { -1, false, false, STRBUF_INIT };
	bool in_signature = false;
	field_line m;

	*defect_ref = NULL;
	for (size_t i = 0; i < nlines;) {
		line l = lines[i];
		if (is_quoted(l)) {
			close_value(c, rec, &ov, &count);
			i++;
			continue;
		}
		enum header_kind h = reply_header(lines, nlines, i);
		if (h != HDR_NONE) {
			close_value(c, rec, &ov, &count);
			if (h == HDR_FORWARD || c->forward) {
				in_signature = false;
				i = skip_header_block(lines, nlines, i);
				continue;
			}
			break; /* a reply: what follows is the earlier mail */
		}
		if (in_signature) {
			i++;
			continue;
		}
		if (is_sig_dashes(l)) {
			close_value(c, rec, &ov, &count);
			in_signature = true;
			i++;
			continue;
		}
		size_t rule = rule_length(l);
		if (rule >= 10) {
			close_value(c, rec, &ov, &count);
			size_t j = i + 1;
			while (j < nlines && is_blank(lines[j]))
				j++;
			/* Outlook's ____ before a From: block belongs to the reply header */
			if (!(j < nlines && is_from_line(lines[j])) &&
			    !(count == 0 && box_follows(c->v, lines, nlines, i)))
				in_signature = true;
			i++;
			continue;
		}
		if (is_blank(l) || rule >= 3 || is_closing(l)) {
			close_value(c, rec, &ov, &count);
			i++;
			continue;
		}
		find_ref(l, defect_ref);
		/* the value of a label alone: an indented line is always the value */
		if (ov.awaiting && is_indented(l)) {
			sb_add(&ov.buf, l.t, l.tn);
			ov.awaiting = false;
			if (!ov.text)
				close_value(c, rec, &ov, &count);
			i++;
			continue;
		}
		if (match_field(c->v, l, &m)) {
			close_value(c, rec, &ov, &count);
			if (m.field >= 0) {
				const field_def *f = vocab_field_at(c->v, (size_t)m.field);
				ov.field = m.field;
				ov.text = f->cls == VC_TEXT;
				ov.awaiting = m.vlen == 0;
				sb_add(&ov.buf, m.value, m.vlen);
				if (!ov.text && !ov.awaiting)
					close_value(c, rec, &ov, &count);
			}
			i++;
			continue;
		}
		if (ov.field >= 0) {
			if (ov.awaiting) {
				sb_add(&ov.buf, l.t, l.tn);
				ov.awaiting = false;
				if (!ov.text)
					close_value(c, rec, &ov, &count);
			} else if (ov.text) {
				sb_addc(&ov.buf, '\n');
				sb_add(&ov.buf, l.t, l.tn);
			} else {
				close_value(c, rec, &ov, &count);
			}
		}
		i++;
	}
	close_value(c, rec, &ov, &count);
	sb_free(&ov.buf);
	free(lines);
	return count;
}
