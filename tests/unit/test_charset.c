/*
 * Unit tests for parsers/charset.c: bodies (declared, mislabelled, undeclared),
 * RFC 2047 headers, and the libetpan hook.  Tables first; each row is one test.
 * Then the decoders that stand in for iconv and libetpan on the hot path, each
 * checked against the library it replaces: the CP932 table (iconv) and the
 * slimmed header (libetpan's field list).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "header_slim.h"
#include "util.h"

#include <iconv.h>

/* a byte string literal with its length (it may hold NULs) */
#define B(s) s, sizeof(s) - 1

struct decode_case {
	const char *name;
	const char *in;
	size_t len;
	const char *declared;
	const char *want;
	const char *used;
	size_t replaced;
};

static const struct decode_case decode_cases[] = {
	{ "jis_plain", B("\x1b$BF|K\\8l\x1b(B"), "ISO-2022-JP", "日本語", "ISO-2022-JP", 0 },
	{ "jis_cp932_extensions", B("\x1b$B\x2d\x21\x2d\x6a\x21\x41\x1b(B"), "iso-2022-jp", "①㈱～",
	  "ISO-2022-JP", 0 },
	{ "jis_esc_paren_I_kana", B("\x1b(I\x36\x40\x36\x45\x1b(B!"), "ISO-2022-JP", "ｶﾀｶﾅ!",
	  "ISO-2022-JP", 0 },
	{ "jis_so_si_kana", B("a\x0e\x36\x40\x0f" "b"), "ISO-2022-JP", "aｶﾀb", "ISO-2022-JP", 0 },
	{ "jis_line_ends_in_kanji_mode", B("\x1b$BF|\r\nK\\"), "ISO-2022-JP", "日\r\nK\\",
	  "ISO-2022-JP", 0 },
	{ "jis_esc_paren_J_is_ascii", B("\x1b$BF|\x1b(Ja\\b"), "ISO-2022-JP", "日a\\b", "ISO-2022-JP",
	  0 },
	{ "jis_raw_sjis_kana", B("\x1b$BF|\x1b(B \xb6\xc0"), "ISO-2022-JP", "日 ｶﾀ", "ISO-2022-JP",
	  0 },
	{ "jis_unassigned_pair_one_fffd", B("\x1b$B\x2f\x21" "F|\x1b(B"), "ISO-2022-JP", "\uFFFD日",
	  "ISO-2022-JP", 1 },
	{ "jis_odd_byte_rest_kept", B("\x1b$BF|K\x1b(Bxyz"), "ISO-2022-JP", "日\uFFFDxyz",
	  "ISO-2022-JP", 1 },
	{ "jis_only_shifts_empty_output", B("\x0e\x0f"), "ISO-2022-JP", "", "ISO-2022-JP", 0 },
	{ "jis_x0212", B("\x1b$(D0!\x1b(B"), "ISO-2022-JP-1", "丂", "ISO-2022-JP", 0 },
	{ "jis2_gb2312_via_glibc", B("\x1b$A\x43\x47\x1b(B"), "ISO-2022-JP-2", "们", "ISO-2022-JP-2",
	  0 },
	/* raw Shift_JIS inside ISO-2022-JP is one CP932 stream with the JIS text: a raw
	 * lead byte pairs with the first byte JIS X 0208 turns into */
	{ "jis_raw_lead_pairs_with_jis", B("\x1b$B\x21\x21\x1b(B\x81\x1b$B\x21\x21\x1b(B"),
	  "ISO-2022-JP", "\u3000\uFF1D@", "ISO-2022-JP", 0 },
	{ "jis_raw_lead_unassigned_pair", B("a\x88\x1b$BF|\x1b(B"), "ISO-2022-JP",
	  "a\uFFFD\uFFFD", "ISO-2022-JP", 2 },
	{ "jis_raw_lead_before_ascii", B("\x88\x1b(Bxy"), "ISO-2022-JP", "\uFFFDy", "ISO-2022-JP",
	  1 },
	{ "jis_with_utf8_footer", B("\x1b$BF|\x1b(B\n-- 日本"), "utf-8", "日\n-- 日本",
	  "ISO-2022-JP", 0 },
	{ "sjis_declared_ext_and_backslash", B("\x87\x40\\~\x93\xfa"), "Shift_JIS", "①\\~日", "CP932",
	  0 },
	{ "sjis_unassigned_double_one_fffd", B("\x93\xfa\x85\x40\x96\x7b"), "shift-jis",
	  "日\uFFFD本", "CP932", 1 },
	{ "sjis_invalid_byte_rest_kept", B("\x93\xfa\xff\x96\x7b" "abc"), "sjis", "日\uFFFD本abc",
	  "CP932", 1 },
	{ "eucjp_declared", B("\xc6\xfc\xcb\xdc\xb8\xec\xad\xa1"), "EUC-JP", "日本語①", "EUC-JP-MS",
	  0 },
	{ "utf8_declared", B("日本語 ok"), "UTF-8", "日本語 ok", "UTF-8", 0 },
	{ "utf8_bom_dropped", B("\xef\xbb\xbf日本"), NULL, "日本", "UTF-8", 0 },
	{ "utf8_lang_suffix", B("日本"), "utf-8*ja", "日本", "UTF-8", 0 },
	{ "undeclared_cp932", B("\x8c\x8f\x96\xbc\x83\x65\x83\x58\x83\x67"), NULL, "件名テスト",
	  "CP932", 0 },
	{ "undeclared_halfwidth_cp932", B("\xb6\xc0\xb6\xc5"), NULL, "ｶﾀｶﾅ", "CP932", 0 },
	{ "undeclared_eucjp_hiragana", B("\xa4\xa2\xa4\xa4\xa4\xa6"), NULL, "あいう", "EUC-JP-MS",
	  0 },
	{ "undeclared_utf8", B("日本語"), "", "日本語", "UTF-8", 0 },
	{ "utf8_label_jis_content", B("\x1b$BF|K\\8l\x1b(B"), "UTF-8", "日本語", "ISO-2022-JP", 0 },
	{ "us_ascii_label_cp932_content", B("\x93\xfa\x96\x7b"), "us-ascii", "日本", "CP932", 0 },
	{ "jis_label_raw_utf8", B("日本"), "ISO-2022-JP", "日本", "UTF-8", 0 },
	{ "utf8_label_cp932_content", B("\x8c\x8f\x96\xbc"), "utf-8", "件名", "CP932", 0 },
	{ "latin1_label_utf8_content", B("日本語"), "iso-8859-1", "日本語", "UTF-8", 0 },
	{ "latin1_declared", B("caf\xe9"), "ISO-8859-1", "café", "ISO-8859-1", 0 },
	{ "unknown_label_utf8", B("日本語"), "x-bogus-charset", "日本語", "UTF-8", 0 },
	{ "unknown_label_cp932", B("\x93\xfa\x96\x7b"), "x-bogus-charset", "日本", "CP932", 0 },
	{ "translit_in_label_ignored", B("\x93\xfa"), "UTF-8//TRANSLIT", "日", "CP932", 0 },
	{ "invalid_utf8_counted", B("abc\xff" "def"), "UTF-8", "abc\uFFFDdef", "UTF-8", 1 },
	{ "nul_byte_replaced", B("a\0b"), NULL, "a\uFFFDb", "US-ASCII", 1 },
	{ "nul_from_utf16", B("A\0\0\0B\0"), "UTF-16LE", "A\uFFFDB", "UTF-16LE", 1 },
	{ "utf16_declared", B("\xe5\x65\x2c\x67"), "utf-16le", "日本", "UTF-16LE", 0 },
	{ "pure_ascii", B("hello\tworld\n"), "Shift_JIS", "hello\tworld\n", "US-ASCII", 0 },
	{ "empty", B(""), NULL, "", "US-ASCII", 0 },
};

static void check_decoded(const char *got, size_t got_len, const char *want)
{
	assert_string_equal(got, want);
	assert_int_equal(got_len, strlen(want));
	assert_int_equal(strlen(got), got_len); /* no NUL inside */
	assert_true(utf8_valid(got, got_len));
}

static void run_decode_case(void **state)
{
	const struct decode_case *c = *state;
	size_t len = 99, rep = 99;
	const char *used = NULL;
	char *out = charset_decode(c->in, c->len, c->declared, &len, &used, &rep);
	check_decoded(out, len, c->want);
	assert_non_null(used);
	assert_string_equal(used, c->used);
	assert_int_equal(rep, c->replaced);
	free(out);
}

struct header_case {
	const char *name;
	const char *in;
	const char *want;
	size_t replaced;
};

static const struct header_case header_cases[] = {
	{ "b_utf8", "=?UTF-8?B?5pel5pys6Kqe?=", "日本語", 0 },
	{ "q_latin1_underscore", "=?iso-8859-1?q?caf=E9_au_lait?=", "café au lait", 0 },
	{ "b_iso2022jp_cp932_ext", "=?ISO-2022-JP?B?GyRCLSEtaiFBGyhC?=", "①㈱～", 0 },
	{ "folded_two_words_joined", "=?UTF-8?B?5pel?=\r\n =?UTF-8?B?5pys?=", "日本", 0 },
	{ "utf8_char_split_across_words", "=?UTF-8?B?5pc=?= =?utf-8?b?peacrA==?=", "日本", 0 },
	{ "jis_words_joined", "=?ISO-2022-JP?B?GyRCRnwbKEI=?=\n\t=?iso-2022-jp?B?GyRCS1wbKEI=?=",
	  "日本", 0 },
	{ "mixed_text_and_words", "Re: =?UTF-8?B?5pel5pys?= [MD-2024-00001] =?UTF-8?Q?=E8=AA=9E?= end",
	  "Re: 日本 [MD-2024-00001] 語 end", 0 },
	{ "word_then_text_no_space", "=?UTF-8?Q?a?=b", "ab", 0 },
	{ "different_charsets_adjacent", "=?UTF-8?B?5pel?= =?ISO-8859-1?Q?caf=E9?=", "日café", 0 },
	{ "unknown_charset_sniffed", "=?x-unknown?B?5pel5pys?=", "日本", 0 },
	{ "unknown_charset_cp932_bytes", "=?x-unknown?B?jI+WvA==?=", "件名", 0 },
	{ "shift_jis_word", "=?shift_jis?B?h0Bc?=", "①\\", 0 },
	{ "lang_suffix", "=?UTF-8*ja?Q?=E6=97=A5?=", "日", 0 },
	{ "malformed_encoding_literal", "=?UTF-8?X?abc?= ok", "=?UTF-8?X?abc?= ok", 0 },
	{ "unterminated_word_literal", "x =?UTF-8?B?5pel", "x =?UTF-8?B?5pel", 0 },
	{ "broken_word_does_not_swallow_next", "=?UTF-8?Q?a b =?UTF-8?Q?c?=",
	  "=?UTF-8?Q?a b c", 0 },
	{ "invalid_byte_in_word", "=?UTF-8?B?/w==?= tail", "\uFFFD tail", 1 },
	{ "raw_sjis_subject", "\x8c\x8f\x96\xbc: test", "件名: test", 0 },
	{ "raw_jis_subject", "\x1b$BF|\x1b(B!", "日!", 0 },
	{ "plain_folded", "hello\r\n world", "hello world", 0 },
	{ "empty", "", "", 0 },
};

static void run_header_case(void **state)
{
	const struct header_case *c = *state;
	size_t rep = 99;
	char *out = charset_decode_header(c->in, strlen(c->in), &rep);
	check_decoded(out, strlen(out), c->want);
	assert_int_equal(rep, c->replaced);
	free(out);
}

static void test_null_input(void **state)
{
	(void)state;
	size_t len = 1, rep = 1;
	const char *used = NULL;
	char *out = charset_decode(NULL, 5, NULL, &len, &used, &rep);
	check_decoded(out, len, "");
	assert_int_equal(rep, 0);
	free(out);
	out = charset_decode_header(NULL, 3, NULL);
	assert_string_equal(out, "");
	free(out);
	out = charset_decode(B("x"), NULL, NULL, NULL, NULL); /* all outputs optional */
	assert_string_equal(out, "x");
	free(out);
}

/* a long CP932 body: the cached path must decode it whole, every time */
static void test_long_body_repeated(void **state)
{
	(void)state;
	strbuf in = STRBUF_INIT, want = STRBUF_INIT;
	for (int i = 0; i < 2000; i++) {
		sb_add(&in, B("\x87\x40\x8c\x8f\x96\xbc\\\r\n"));
		sb_adds(&want, "①件名\\\r\n");
	}
	for (int round = 0; round < 3; round++) {
		size_t len, rep;
		const char *used;
		char *out = charset_decode(in.s, in.len, "windows-31j", &len, &used, &rep);
		check_decoded(out, len, want.s);
		assert_string_equal(used, "CP932");
		assert_int_equal(rep, 0);
		free(out);
	}
	sb_free(&in);
	sb_free(&want);
}

/* many different labels evict cache slots without leaking or breaking decoding */
static void test_many_labels(void **state)
{
	(void)state;
	static const char *labels[] = { "iso-8859-1", "iso-8859-2", "iso-8859-5", "iso-8859-7",
					"iso-8859-9", "iso-8859-15", "windows-1250", "windows-1251",
					"windows-1252", "koi8-r", "koi8-u", "cp437", "cp850",
					"tis-620", "euc-kr", "big5", "gbk", "gb18030", "x-nope-1",
					"x-nope-2" };
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
			size_t len, rep;
			const char *used;
			char *out = charset_decode(B("A\xe9\x93\xfa"), labels[i], &len, &used, &rep);
			assert_true(utf8_valid(out, len));
			assert_int_equal(strlen(out), len);
			assert_non_null(used);
			free(out);
		}
	}
	char *out = charset_decode(B("\x93\xfa"), "Shift_JIS", NULL, NULL, NULL);
	assert_string_equal(out, "日");
	free(out);
}

static char *etpan_phrase(const char *s)
{
	size_t idx = 0;
	char *res = NULL;
	int r = mailmime_encoded_phrase_parse("utf-8", s, strlen(s), &idx, "utf-8", &res);
	assert_int_equal(r, MAILIMF_NO_ERROR);
	assert_non_null(res);
	return res;
}

static void test_etpan_hook(void **state)
{
	(void)state;
	charset_hook_etpan();
	char *res = etpan_phrase("=?ISO-2022-JP?B?GyRCLSEtaiFBGyhC?= =?ISO-2022-JP?B?GyRCRnwbKEI=?=");
	assert_string_equal(res, "①㈱～日");
	free(res);
	res = etpan_phrase("=?Shift_JIS?B?h0Bc?=");
	assert_string_equal(res, "①\\");
	free(res);
	res = etpan_phrase("=?x-unknown?B?5pel5pys?=");
	assert_string_equal(res, "日本");
	free(res);
}

/* ---- the stand-ins, against what they stand in for ---------------------------- */

/* iconv's own CP932 reading of n bytes into want (NUL-terminated); false when it
 * refuses them */
static bool iconv_cp932(iconv_t cd, const unsigned char *in, size_t n, char want[16])
{
	char *ip = (char *)in, *op = want;
	size_t il = n, ol = 15;
	iconv(cd, NULL, NULL, NULL, NULL);
	bool ok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && il == 0;
	*op = '\0';
	return ok;
}

/* Every JIS X 0208 cell, NEC and IBM extensions included, decodes to what iconv's
 * CP932 makes of its Shift_JIS bytes, and an unassigned one to one U+FFFD. */
static void test_jis_x0208_every_cell(void **state)
{
	(void)state;
	iconv_t cd = iconv_open("UTF-8", "CP932");
	assert_true(cd != (iconv_t)-1);
	for (unsigned j1 = 0x21; j1 <= 0x7E; j1++)
		for (unsigned j2 = 0x21; j2 <= 0x7E; j2++) {
			unsigned char sjis[2] = { (unsigned char)(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0)),
						  (unsigned char)(j1 & 1 ? j2 + (j2 <= 0x5F ? 0x1F : 0x20)
									 : j2 + 0x7E) };
			char want[16], in[] = { 0x1b, '$', 'B', (char)j1, (char)j2, 0x1b, '(', 'B' };
			bool ok = iconv_cp932(cd, sjis, 2, want);
			size_t len, rep;
			char *got = charset_decode(in, sizeof in, "ISO-2022-JP", &len, NULL, &rep);
			assert_string_equal(got, ok ? want : "\uFFFD");
			assert_int_equal(rep, ok ? 0 : 1);
			free(got);
		}
	iconv_close(cd);
}

/* Every byte and every lead+trail pair iconv's CP932 reads decodes the same here. */
static void test_cp932_every_pair(void **state)
{
	(void)state;
	iconv_t cd = iconv_open("UTF-8", "CP932");
	assert_true(cd != (iconv_t)-1);
	for (unsigned b = 0x80; b <= 0xFF; b++)
		for (unsigned t = 0x3F; t <= 0xFF; t++) {
			/* t == 0x3F: the byte alone */
			unsigned char in[2] = { (unsigned char)b, (unsigned char)t };
			size_t n = t == 0x3F ? 1 : 2, len, rep;
			char want[16];
			if (!iconv_cp932(cd, in, n, want))
				continue;
			const char *used = NULL;
			char *got = charset_decode((const char *)in, n, "Shift_JIS", &len, &used, &rep);
			assert_string_equal(got, want);
			assert_string_equal(used, "CP932");
			assert_int_equal(rep, 0);
			free(got);
		}
	iconv_close(cd);
}

/* the header fields libetpan reads from msg, as "type:name=value|..." less the ones
 * header_slim may leave out; *rest: the bytes after the header */
static char *etpan_fields(const char *msg, size_t len, size_t *rest)
{
	static const char *const unread[] = { "Received", "Return-Path", "X-Mailer", "List-Id",
					      "DKIM-Signature" };
	/* structured fields nothing reads */
	static const int unread_types[] = { MAILIMF_FIELD_TO, MAILIMF_FIELD_CC, MAILIMF_FIELD_BCC,
					    MAILIMF_FIELD_SENDER, MAILIMF_FIELD_REPLY_TO };
	size_t idx = 0;
	struct mailimf_fields *f = NULL;
	assert_int_equal(mailimf_envelope_and_optional_fields_parse(msg, len, &idx, &f), MAILIMF_NO_ERROR);
	strbuf b = STRBUF_INIT;
	sb_adds(&b, "");
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *x = clist_content(it);
		bool skip = false;
		for (size_t i = 0; i < ARRAY_LEN(unread_types); i++)
			skip |= x->fld_type == unread_types[i];
		if (x->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD) {
			for (size_t i = 0; i < ARRAY_LEN(unread); i++)
				skip |= !ascii_strcasecmp(x->fld_data.fld_optional_field->fld_name, unread[i]);
			if (!skip)
				sb_addf(&b, "%s=%s", x->fld_data.fld_optional_field->fld_name,
					x->fld_data.fld_optional_field->fld_value);
		}
		if (!skip)
			sb_addf(&b, "%d|", x->fld_type);
	}
	mailimf_fields_free(f);
	*rest = len - idx;
	return sb_steal(&b);
}

static const char *const slim_cases[] = {
	/* the usual: relay fields first, left out */
	"Return-Path: <a@b.jp>\r\nReceived: from x (x [10.0.0.1])\r\n\tby y; Fri, 1 Jan 2027 00:00:00 +0900\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256;\r\n b=abc\r\nSubject: test\r\nFrom: a@b.jp\r\n"
	"X-Mailer: x\r\nList-Id: <l>\r\n\r\nbody\r\n",
	/* unread fields after the structured ones go too, To and Cc among them */
	"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <a@b.jp>\r\nTo: ml@c.jp,\r\n \"Q\" <q@d.jp>\r\n"
	"Subject: s\r\nDate: Sat, 24 Oct 2026 10:17:00 +0900\r\nCc: e@f.jp\r\nMessage-ID: <1@b.jp>\r\n"
	"X-Mailer: m\r\nList-Id: <l>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nbody\r\n",
	/* libetpan ends a field's text before a continuation line of white space only */
	"Received: from a\r\n\t\n \n\nby b\r\nSubject: s\r\n\r\nbody",
	/* a bare CR, a field without a colon, no body: kept as they are */
	"Received: a\rb\r\nX-Mailer: y\r\n\r\nbody",
	"Received: a\r\nnot a field\r\nX-Mailer: y\r\n\r\nbody",
	"Received: a\r\nX-Mailer: y",
	"X-Autoreply: yes\r\nReceived: a\r\n\r\n",
};

/* header_slim leaves out only what libetpan would have read as those fields */
static void test_header_slim_like_libetpan(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(slim_cases); i++) {
		const char *msg = slim_cases[i];
		size_t len = strlen(msg), slim_len = 0, rest_full, rest_slim;
		char *slim = header_slim(msg, len, &slim_len);
		char *full = etpan_fields(msg, len, &rest_full);
		char *mine = slim ? etpan_fields(slim, slim_len, &rest_slim) : xstrdup(full);
		if (!slim)
			rest_slim = rest_full;
		assert_string_equal(mine, full);
		assert_int_equal(rest_slim, rest_full);
		if (slim)
			assert_int_equal(slim[slim_len], '\0');
		free(full);
		free(mine);
		free(slim);
	}
	/* the first case loses its relay fields; the X-Autoreply one keeps it */
	size_t n;
	char *slim = header_slim(slim_cases[0], strlen(slim_cases[0]), &n);
	assert_non_null(slim);
	assert_null(strstr(slim, "Received:"));
	assert_null(strstr(slim, "X-Mailer:"));
	assert_non_null(strstr(slim, "From: a@b.jp\r\n"));
	free(slim);
	slim = header_slim(slim_cases[1], strlen(slim_cases[1]), &n);
	assert_non_null(slim);
	assert_null(strstr(slim, "To:"));
	assert_null(strstr(slim, "Cc:"));
	assert_null(strstr(slim, "List-Id:"));
	assert_non_null(strstr(slim, "\r\nMessage-ID: <1@b.jp>\r\nMIME-Version: 1.0\r\n"));
	free(slim);
	/* a From with an encoded word not closed on its line: libetpan would read it on
	 * into X-Mailer; by RFC 5322 X-Mailer is a field of its own, and it goes */
	const char *broken = "Received: x\nFrom: =?ISO-2022-JP?B?GyRC>bJEI3\nX-Mailer:chsoQg==?= <t@h.jp>\r\n"
			     "To: x\r\nSubject: s\r\n\r\nbody";
	slim = header_slim(broken, strlen(broken), &n);
	assert_non_null(slim);
	assert_string_equal(slim, "From: =?ISO-2022-JP?B?GyRC>bJEI3\nSubject: s\r\n\r\nbody");
	free(slim);
	slim = header_slim(slim_cases[6], strlen(slim_cases[6]), &n);
	assert_non_null(slim);
	assert_non_null(strstr(slim, "X-Autoreply: yes"));
	free(slim);
}

static int teardown_all(void **state)
{
	(void)state;
	charset_cleanup();
	return 0;
}

int main(void)
{
	enum { N_DEC = ARRAY_LEN(decode_cases), N_HDR = ARRAY_LEN(header_cases) };
	struct CMUnitTest tests[N_DEC + N_HDR + 8];
	char names[N_DEC + N_HDR][80];
	size_t n = 0;
	memset(tests, 0, sizeof tests);
	for (size_t i = 0; i < N_DEC; i++, n++) {
		snprintf(names[n], sizeof names[n], "decode/%s", decode_cases[i].name);
		tests[n].name = names[n];
		tests[n].test_func = run_decode_case;
		tests[n].initial_state = (void *)&decode_cases[i];
	}
	for (size_t i = 0; i < N_HDR; i++, n++) {
		snprintf(names[n], sizeof names[n], "header/%s", header_cases[i].name);
		tests[n].name = names[n];
		tests[n].test_func = run_header_case;
		tests[n].initial_state = (void *)&header_cases[i];
	}
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_null_input),
		cmocka_unit_test(test_long_body_repeated),
		cmocka_unit_test(test_many_labels),
		cmocka_unit_test(test_etpan_hook),
		cmocka_unit_test(test_jis_x0208_every_cell),
		cmocka_unit_test(test_cp932_every_pair),
		cmocka_unit_test(test_header_slim_like_libetpan),
	};
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("charset", tests, n, NULL, teardown_all);
}
