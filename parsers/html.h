/*
 * html — HTML mail to the text a mail client shows (libxml2's forgiving HTML parser).
 *
 * Source line breaks are white space; <br> and the end of <p>, <div>, <tr>, <li>,
 * <h1-6>, <table> end a line; a <p>/<div> holding only white space or &nbsp; is a
 * blank line; the cells of a row are separated by one TAB so a two-column row reads
 * "label<TAB>value"; a cell containing <br> continues on the next line(s); entities
 * decoded; <style>, <script>, <head>, comments dropped.  Input must already be UTF-8.
 */
#ifndef DEFECTD_HTML_H
#define DEFECTD_HTML_H

#include "grid.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Called for every <table> with three or more columns, with its cells as a grid
 * (cell text with <br> as '\n').  Return true to claim it: it is then appended to
 * `claimed` and left out of the text.  Otherwise it is rendered as text rows.
 */
typedef bool (*html_claim_fn)(const grid *table, void *ctx);

/*
 * Render `len` bytes of UTF-8 HTML as text lines separated by '\n'.  Never fails
 * (broken HTML is read as browsers read it).  `claim` may be NULL.  Tables claimed
 * are moved into `claimed` (array grown with xgrow; caller frees each with grid_free
 * and the array with free).  Caller frees the returned text.
 */
char *html_to_text(const char *html, size_t len, html_claim_fn claim, void *ctx, grid **claimed,
		   size_t *nclaimed);

#endif
