/*
 * text — Unicode normalisation and measuring (libutf8proc), the foldings SPEC.md
 * §3 asks for, and the small line utilities the field reader needs.
 */
#ifndef DEFECTD_TEXT_H
#define DEFECTD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NFKC of n bytes of UTF-8 (invalid bytes become U+FFFD); caller frees. ASCII is copied fast. */
char *text_nfkc(const char *s, size_t n);
/* NFKC, then dash-like characters (‐ ‑ ‒ – — ― − ー ｰ －) to '-'; caller frees */
char *text_nfkc_dashes(const char *s, size_t n);
/* key used to look labels and synonyms up: NFKC, Latin lower-cased, white space removed,
 * dashes and wave dashes folded ('-' and '~'); caller frees */
char *text_match_key(const char *s, size_t n);
/* The same into buf (cap bytes) without allocating, for the common text NFKC leaves
 * alone; returns the key's length, or (size_t)-1 when the text needs full NFKC or
 * does not fit (then call text_match_key). */
size_t text_match_key_buf(const char *s, size_t n, char *buf, size_t cap);
/* true for a dash-like code point (including U+30FC ー, U+FF70 ｰ, U+2212 −) */
bool text_is_dash(uint32_t cp);
/* true for white space including U+3000 ideographic space and U+00A0 */
bool text_is_space(uint32_t cp);
/* display width in terminal columns (East Asian wide and fullwidth = 2) */
size_t text_width(const char *s, size_t n);
/* trim white space (incl. U+3000, NBSP) at both ends: returns pointer into s and sets *n */
const char *text_trim(const char *s, size_t *n);
/* true when the n bytes hold only white space */
bool text_is_blank(const char *s, size_t n);
/* strstr on NUL-terminated strings; true when needle occurs in hay */
bool text_contains(const char *hay, const char *needle);

#endif
