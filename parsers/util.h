/*
 * util — allocation that cannot fail, growable strings and string lists.
 *
 * Every allocation in defectd goes through the x* family: running out of memory
 * is reported once, here, and ends the process (the parse worker is restarted by
 * its parent; the daemon is restarted by systemd).  Nothing here does I/O.
 */
#ifndef DEFECTD_UTIL_H
#define DEFECTD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WUR __attribute__((warn_unused_result))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* grow an array to hold at least `need` elements of `size` bytes; updates *cap */
void *xgrow(void *p, size_t *cap, size_t need, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...) PRINTF(1, 2) __attribute__((malloc, returns_nonnull));
char *xvasprintf(const char *fmt, va_list ap) PRINTF(1, 0) __attribute__((malloc, returns_nonnull));
/* free(*p) and set *p = NULL */
void xfree(void *pp);

/* A growable byte string, always NUL-terminated once anything was added. */
typedef struct strbuf {
	char *s;
	size_t len;
	size_t cap;
} strbuf;
#define STRBUF_INIT { NULL, 0, 0 }

/* room for n more bytes and the NUL: the slow path of sb_add and sb_addc, and a way
 * to size a buffer up front */
void sb_grow(strbuf *b, size_t n);

/* Inline: a parse appends a few bytes at a time, tens of thousands of times. */
static inline void sb_add(strbuf *b, const void *p, size_t n)
{
	if (!b->s || b->cap - b->len <= n)
		sb_grow(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void sb_addc(strbuf *b, char c)
{
	if (!b->s || b->cap - b->len < 2)
		sb_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

void sb_adds(strbuf *b, const char *s);
void sb_addf(strbuf *b, const char *fmt, ...) PRINTF(2, 3);
/* append one Unicode code point as UTF-8 (invalid ones as U+FFFD) */
void sb_add_utf8(strbuf *b, uint32_t cp);
/* forget the contents, keep the memory */
void sb_reset(strbuf *b);
/* the contents as a C string (never NULL; "" when empty); borrowed */
const char *sb_str(strbuf *b);
/* hand the contents to the caller (caller frees; never NULL) and reset */
char *sb_steal(strbuf *b);
void sb_free(strbuf *b);

/* A growable list of owned strings. */
typedef struct strlist {
	char **v;
	size_t n;
	size_t cap;
} strlist;
#define STRLIST_INIT { NULL, 0, 0 }

/* takes ownership of s */
void sl_push(strlist *l, char *s);
void sl_pushf(strlist *l, const char *fmt, ...) PRINTF(2, 3);
void sl_free(strlist *l);

/* UTF-8 helpers */
/* decode one code point at s (n bytes available); returns bytes used (>=1), *cp = 0xFFFD on bad input */
size_t utf8_next_slow(const char *s, size_t n, uint32_t *cp);
static inline size_t utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n && u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	/* three bytes (kana, kanji, full-width forms) are the rest of Japanese text */
	if (n >= 3 && (u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80) {
		uint32_t c = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
		if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
			*cp = c;
			return 3;
		}
	}
	return utf8_next_slow(s, n, cp);
}
/* true when the n bytes are valid UTF-8 (no overlongs, no surrogates) */
bool utf8_valid(const char *s, size_t n);

/* ASCII helpers that ignore the locale */
bool ascii_casecmp_prefix(const char *s, const char *prefix);
int ascii_strcasecmp(const char *a, const char *b);
char *ascii_lower_dup(const char *s);

#endif
