/*
 * charset — every byte sequence a mail can carry, to UTF-8 (SPEC.md §4 "Charsets").
 *
 * ISO-2022-JP is decoded by our own pass that sends JIS X 0208 bytes through CP932
 * (so NEC/IBM extensions such as ①, ㈱, ～ survive) and handles ESC ( I half-width
 * kana; Shift_JIS is read as CP932; EUC-JP as EUC-JP-MS.  Undeclared or wrong
 * charsets are sniffed.  Nothing is ever lost: a byte that cannot be decoded
 * becomes U+FFFD and is counted.  iconv descriptors are cached per process.
 */
#ifndef DEFECTD_CHARSET_H
#define DEFECTD_CHARSET_H

#include <stddef.h>

/*
 * Decode `len` bytes declared as `declared` (NULL or "" when the mail names none)
 * to NUL-terminated UTF-8.  Always succeeds.  Caller frees the result.
 *   *out_len  length of the result (may be NULL)
 *   *used     static name of the decoder that won: "UTF-8", "CP932", "ISO-2022-JP",
 *             "EUC-JP-MS", "ISO-8859-1", ... (may be NULL)
 *   *replaced number of U+FFFD substitutions made (may be NULL)
 * Order when the declared charset fails or is absent: ISO-2022-JP escapes present →
 * ISO-2022-JP; strict UTF-8; CP932; EUC-JP-MS; last resort the declared one with
 * replacement characters.  "us-ascii" carrying 8-bit bytes is treated as undeclared.
 */
char *charset_decode(const char *in, size_t len, const char *declared, size_t *out_len,
		     const char **used, size_t *replaced);

/*
 * Decode an unfolded or folded header value with RFC 2047 encoded words (B and Q)
 * to UTF-8.  Adjacent encoded words in the same charset are joined byte-wise
 * before decoding, so a character split across two words survives.  Raw 8-bit
 * bytes outside encoded words are sniffed like a body.  Caller frees.
 */
char *charset_decode_header(const char *raw, size_t len, size_t *replaced);

/* Route libetpan's charconv through charset_decode (its own is lossy and silent). */
void charset_hook_etpan(void);

/* Release cached iconv descriptors (for leak checkers). */
void charset_cleanup(void);

#endif
