/*
 * text — NFKC (libutf8proc), the dash and wave-dash foldings of SPEC.md §3, match
 * keys for labels and synonyms, display widths, trimming.  Pure functions on UTF-8.
 * ASCII input takes a fast path: it is the common case in field values.
 */
#include "text.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * True when NFKC (and case folding) leave the string as it is: ASCII, kana and CJK
 * ideographs, Japanese punctuation — the bulk of mail text.  Such strings skip
 * utf8proc, whose decompose/compose passes dominate a parse otherwise.  Ranges with
 * compatibility mappings (full-width ASCII, half-width kana, U+3000, circled
 * numbers, combining voiced marks U+3099–309C, ゟ, ヿ) are not listed.
 */
static bool nfkc_quick(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == 0)
				return false;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		bool ok = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3041 && cp <= 0x3096) ||
			  (cp >= 0x309D && cp <= 0x309E) || (cp >= 0x30A1 && cp <= 0x30FE) ||
			  (cp >= 0x3001 && cp <= 0x301F);
		if (!ok || (cp == 0xFFFD && k == 1))
			return false;
		i += k;
	}
	return true;
}

/* copy n bytes replacing invalid UTF-8 (and NUL) by U+FFFD so utf8proc never refuses */
static char *sanitize(const char *s, size_t n)
{
	strbuf b = STRBUF_INIT;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (cp == 0)
			cp = 0xFFFD;
		sb_add_utf8(&b, cp);
		i += k;
	}
	return sb_steal(&b);
}

static char *map(const char *s, size_t n, utf8proc_option_t opt)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
					  opt | UTF8PROC_STABLE);
	if (r < 0) {
		char *clean = sanitize(s, n);
		r = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)strlen(clean),
				 &out, opt | UTF8PROC_STABLE);
		free(clean);
		if (r < 0)
			return xstrdup("");
	}
	/* utf8proc allocates with malloc: hand it on as is */
	return (char *)out;
}

char *text_nfkc(const char *s, size_t n)
{
	if (is_ascii(s, n)) {
		char *d = xstrndup(s, n);
		for (size_t i = 0; i < n; i++)
			if (d[i] == '\0')
				d[i] = ' ';
		return d;
	}
	if (nfkc_quick(s, n))
		return xstrndup(s, n);
	return map(s, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
}

bool text_is_dash(uint32_t cp)
{
	switch (cp) {
	case '-':
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015:
	case 0x2212: case 0x30FC: case 0xFF70: case 0xFF0D: case 0xFE63: case 0x2043:
		return true;
	default:
		return false;
	}
}

static bool is_wave(uint32_t cp)
{
	return cp == '~' || cp == 0x301C || cp == 0xFF5E || cp == 0x223C || cp == 0x3030;
}

bool text_is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\f' || cp == '\v' ||
	       cp == 0x3000 || cp == 0x00A0 || cp == 0x2002 || cp == 0x2003 || cp == 0x2009 ||
	       cp == 0x200B || cp == 0xFEFF;
}

char *text_nfkc_dashes(const char *s, size_t n)
{
	char *t = text_nfkc(s, n);
	if (is_ascii(t, strlen(t)))
		return t;
	strbuf b = STRBUF_INIT;
	size_t len = strlen(t);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = utf8_next(t + i, len - i, &cp);
		if (text_is_dash(cp))
			sb_addc(&b, '-');
		else
			sb_add(&b, t + i, k);
		i += k;
	}
	free(t);
	return sb_steal(&b);
}

char *text_match_key(const char *s, size_t n)
{
	char *t;
	if (is_ascii(s, n) || nfkc_quick(s, n))
		t = xstrndup(s, n);
	else
		t = map(s, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	strbuf b = STRBUF_INIT;
	size_t len = strlen(t);
	sb_add(&b, "", 0);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x80) {
			if (c >= 'A' && c <= 'Z')
				sb_addc(&b, (char)(c - 'A' + 'a'));
			else if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'))
				sb_addc(&b, (char)c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_next(t + i, len - i, &cp);
		if (text_is_dash(cp))
			sb_addc(&b, '-');
		else if (is_wave(cp))
			sb_addc(&b, '~');
		else if (!text_is_space(cp))
			sb_add(&b, t + i, k);
		i += k;
	}
	free(t);
	return sb_steal(&b);
}

size_t text_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		int cw = utf8proc_charwidth((utf8proc_int32_t)cp);
		w += cw > 0 ? (size_t)cw : 0;
		i += k ? k : 1;
	}
	return w;
}

/* length of the white space code point at s, or 0 */
static size_t space_at(const char *s, size_t n)
{
	uint32_t cp;
	if (!n)
		return 0;
	size_t k = utf8_next(s, n, &cp);
	return text_is_space(cp) ? k : 0;
}

const char *text_trim(const char *s, size_t *n)
{
	size_t len = *n, k;
	while (len && (k = space_at(s, len)) > 0) {
		s += k;
		len -= k;
	}
	/* trailing: step back over UTF-8 continuation bytes to find the last code point */
	while (len) {
		size_t start = len - 1;
		while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80 && len - start < 4)
			start--;
		if (space_at(s + start, len - start) == len - start)
			len = start;
		else
			break;
	}
	*n = len;
	return s;
}

bool text_is_blank(const char *s, size_t n)
{
	size_t len = n;
	text_trim(s, &len);
	return len == 0;
}

bool text_contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}
