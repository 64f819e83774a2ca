/*
 * values — a raw field value to the form `defectd parse` prints (SPEC.md §3
 * "Values, by class"): dates to YYYY-MM-DD (Western, era 令和/平成/昭和 and R/H/S,
 * weekday and time ignored, full-width digits, no year → the message's year),
 * codes NFKC with dashes folded and spaces removed (vin upper-cased), text NFKC
 * with lines trimmed, phone NFKC with dashes folded, tracking digits only, bool,
 * enum by longest contained synonym (OTHER + warning), carrier.
 * Nothing is guessed: a value that is not of its class gives NULL and a reason.
 */
#ifndef DEFECTD_VALUES_H
#define DEFECTD_VALUES_H

#include "vocab.h"

#include <stddef.h>

/*
 * Normalise `n` bytes of UTF-8 `raw` for field `f`.  `default_year` is the year of
 * the message's Date header (0 when unknown) for dates written without a year.
 * Returns the value (caller frees; bool gives "true"/"false"), or NULL with *why
 * set to the reason without the key, e.g. "not a date: 先週" (caller frees).
 * An enum value with no synonym returns the fallback code AND sets *why
 * ("no defect type for: ...") — a value plus a warning.  An empty value gives NULL
 * with *why NULL (nothing stated, nothing to warn about).
 */
char *value_normalise(const vocab *v, const field_def *f, const char *raw, size_t n,
		      int default_year, char **why);

/* Read a date (see above). 0 and *y,*m,*d on success; -1 when it is not a date. */
int value_date(const char *s, size_t n, int default_year, int *y, int *m, int *d);

#endif
