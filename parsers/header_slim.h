/*
 * header_slim — the top-level header without the fields nobody reads (Received:,
 * Return-Path:, DKIM-Signature:, ARC-*:, List-*:, X-* ...), so that libetpan does not
 * parse them into structures: the relay fields at the top of a real message are
 * often the bulk of its header, and libetpan's header parse was the largest single
 * cost of a plain report.
 */
#ifndef DEFECTD_HEADER_SLIM_H
#define DEFECTD_HEADER_SLIM_H

#include <stddef.h>

/*
 * A copy of the len bytes of msg without the unread fields of its header, to be
 * parsed instead of msg (caller frees; NUL-terminated), or NULL when nothing could
 * be left out.
 * libetpan parses the copy exactly as it parses msg, less those fields: a field is
 * left out only when libetpan would read it to the same end, and at the first field
 * that is not plain enough to be sure of that the rest is kept as it is.
 */
char *header_slim(const char *msg, size_t len, size_t *out_len);

#endif
