/*
 * html — HTML mail to the text a mail client shows.
 *
 * libxml2's forgiving HTML parser builds the tree; we walk it without recursion and
 * write lines.  Tables are first collected as grids so table.c can read a data table
 * with three or more columns (the claim callback); any other table becomes
 * "cell<TAB>cell" lines.
 *
 * Must never: recurse over the tree (mail is hostile), trust a <meta charset> (the
 * input is UTF-8 already), call xmlCleanupParser (other modules use libxml2), or lose
 * the text after a too-deep spot (libxml2 stops at 256 levels; we re-read a flattened
 * copy instead of raising the limit, which makes libxml2's end-tag search quadratic).
 */
#include "html.h"
#include "util.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Frames kept for open elements; deeper elements are transparent (their text still counts). */
#define HTML_MAX_FRAMES 1024

enum kind {
	K_INLINE,
	K_SKIP,	 /* <style>, <script>, <head>, <title>: dropped with their content */
	K_RAW,	 /* like K_SKIP, and their content is raw text when flattening */
	K_BR,
	K_BLOCK, /* ends a line */
	K_PARA,	 /* <p>, <div>: ends a line; holding only white space it is a blank line */
	K_PRE,
	K_TABLE,
	K_ROW,
	K_CELL,
};

struct kind_entry {
	const char *name;
	enum kind kind;
};

static const struct kind_entry kinds[] = {
	/* sorted for bsearch */
	{ "address", K_BLOCK },	   { "article", K_BLOCK },  { "aside", K_BLOCK },
	{ "blockquote", K_BLOCK }, { "body", K_BLOCK },	    { "br", K_BR },
	{ "caption", K_BLOCK },	   { "center", K_BLOCK },   { "dd", K_BLOCK },
	{ "details", K_BLOCK },	   { "div", K_PARA },	    { "dl", K_BLOCK },
	{ "dt", K_BLOCK },	   { "fieldset", K_BLOCK }, { "figcaption", K_BLOCK },
	{ "figure", K_BLOCK },	   { "footer", K_BLOCK },   { "form", K_BLOCK },
	{ "h1", K_BLOCK },	   { "h2", K_BLOCK },	    { "h3", K_BLOCK },
	{ "h4", K_BLOCK },	   { "h5", K_BLOCK },	    { "h6", K_BLOCK },
	{ "head", K_SKIP },	   { "header", K_BLOCK },   { "hr", K_BLOCK },
	{ "html", K_BLOCK },	   { "iframe", K_SKIP },    { "li", K_BLOCK },
	{ "listing", K_PRE },	   { "main", K_BLOCK },	    { "nav", K_BLOCK },
	{ "noframes", K_SKIP },	   { "object", K_SKIP },    { "ol", K_BLOCK },
	{ "p", K_PARA },	   { "pre", K_PRE },	    { "script", K_RAW },
	{ "section", K_BLOCK },	   { "style", K_RAW },	    { "summary", K_BLOCK },
	{ "table", K_TABLE },	   { "td", K_CELL },	    { "template", K_SKIP },
	{ "textarea", K_RAW },	   { "th", K_CELL },	    { "title", K_RAW },
	{ "tr", K_ROW },	   { "ul", K_BLOCK },	    { "xml", K_SKIP },
	{ "xmp", K_RAW },
};

static int kind_cmp(const void *key, const void *elem)
{
	const char *name = key;
	return strcmp(name, *(const char *const *)elem);
}

static enum kind kind_of(const char *name)
{
	const void *hit = bsearch(name, kinds, ARRAY_LEN(kinds), sizeof kinds[0], kind_cmp);
	return hit ? ((const struct kind_entry *)hit)->kind : K_INLINE;
}

/* ---- writing lines -------------------------------------------------------------- */

typedef struct writer {
	strbuf b;
	size_t line_off;    /* where the current line starts in b */
	bool pending_space; /* collapsed white space not written yet */
} writer;

typedef struct table_ctx {
	grid g;
	writer cell;
	bool in_cell;
	writer *outer; /* where the table's text goes when it is not claimed */
	struct table_ctx *up;
} table_ctx;

typedef struct frame {
	const xmlNode *node;
	enum kind kind;
	bool owns;	     /* K_ROW started a grid row / K_CELL opened a grid cell */
	unsigned long mark;  /* r->content when the element opened */
	unsigned long wmark; /* r->blank when the element opened */
	writer *saved;	     /* K_CELL: the writer to go back to */
	table_ctx *tbl;	     /* K_TABLE: its context */
} frame;

typedef struct render {
	writer main;
	writer *w; /* current writer: main or the open cell of the innermost table */
	table_ctx *tbl;
	/* bumped by visible text, line ends and opened blocks; a <p> whose count did
	 * not move but which saw white space or &nbsp; is a blank line */
	unsigned long content;
	unsigned long blank;
	int pre;
	bool pre_start; /* just inside <pre>: its first newline is not content */
	frame *frames;
	size_t nframes, frames_cap;
	html_claim_fn claim;
	void *ctx;
	grid **claimed;
	size_t *nclaimed;
	size_t claimed_cap;
} render;

static bool at_line_start(const writer *w)
{
	return w->b.len == w->line_off;
}

static void end_line(render *r, writer *w)
{
	while (w->b.len > w->line_off && (w->b.s[w->b.len - 1] == ' ' || w->b.s[w->b.len - 1] == '\t'))
		w->b.len--;
	sb_addc(&w->b, '\n');
	w->line_off = w->b.len;
	w->pending_space = false;
	r->content++;
}

static void block_edge(render *r, writer *w)
{
	if (!at_line_start(w))
		end_line(r, w);
	w->pending_space = false;
}

static void flush_space(writer *w)
{
	if (w->pending_space && !at_line_start(w))
		sb_addc(&w->b, ' ');
	w->pending_space = false;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_nbsp(const unsigned char *p)
{
	return p[0] == 0xC2 && p[1] == 0xA0;
}

/* Text outside <pre>: white space collapses, &nbsp; stays one space. */
static void put_text(render *r, const unsigned char *p)
{
	writer *w = r->w;
	bool visible = false, blank = false;
	while (*p) {
		if (is_space(*p)) {
			w->pending_space = true;
			blank = true;
			p++;
		} else if (is_nbsp(p)) {
			flush_space(w);
			sb_addc(&w->b, ' ');
			blank = true;
			p += 2;
		} else {
			const unsigned char *q = p;
			while (*q && !is_space(*q) && !is_nbsp(q))
				q++;
			flush_space(w);
			sb_add(&w->b, p, (size_t)(q - p));
			visible = true;
			p = q;
		}
	}
	if (visible)
		r->content++;
	else if (blank)
		r->blank++;
}

static void put_pre_text(render *r, const unsigned char *p)
{
	writer *w = r->w;
	if (r->pre_start) {
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (p[0] == '\n')
			p++;
		r->pre_start = false;
	}
	flush_space(w);
	while (*p) {
		if (*p == '\n' || *p == '\r') {
			end_line(r, w);
			p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
		} else if (is_nbsp(p)) {
			sb_addc(&w->b, ' ');
			p += 2;
		} else {
			const unsigned char *q = p;
			while (*q && *q != '\n' && *q != '\r' && !is_nbsp(q))
				q++;
			sb_add(&w->b, p, (size_t)(q - p));
			r->content++;
			p = q;
		}
	}
}

/* ---- tables ---------------------------------------------------------------------- */

static bool is_trim_space(const unsigned char *p, size_t n, size_t *k)
{
	if (n >= 1 && is_space(p[0])) {
		*k = 1;
		return true;
	}
	if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 */
		*k = 3;
		return true;
	}
	return false;
}

/* the cell writer's text without white space (ASCII, U+3000) at either end */
static void cell_finish(table_ctx *t)
{
	const unsigned char *s = (const unsigned char *)sb_str(&t->cell.b);
	size_t n = t->cell.b.len, k;
	while (n && is_trim_space(s, n, &k)) {
		s += k;
		n -= k;
	}
	for (;;) {
		if (n && is_space(s[n - 1]))
			n--;
		else if (n >= 3 && is_trim_space(s + n - 3, 3, &k))
			n -= 3;
		else
			break;
	}
	grid_add_cell(&t->g, (const char *)s, n);
	t->in_cell = false;
}

static void table_render(render *r, table_ctx *t)
{
	writer *w = t->outer;
	block_edge(r, w);
	for (size_t i = 0; i < t->g.nrows; i++) {
		const grid_row *row = &t->g.rows[i];
		size_t start = w->b.len;
		bool any = false;
		for (size_t j = 0; j < row->ncells; j++) {
			if (j)
				sb_addc(&w->b, '\t');
			sb_adds(&w->b, row->cells[j]);
			any = any || row->cells[j][0];
		}
		if (any) {
			end_line(r, w);
		} else {
			w->b.len = start;
			if (w->b.s)
				w->b.s[start] = '\0';
		}
	}
}

static void table_finish(render *r, table_ctx *t)
{
	size_t widest = 0;
	if (t->in_cell)
		cell_finish(t);
	for (size_t i = 0; i < t->g.nrows; i++)
		if (t->g.rows[i].ncells > widest)
			widest = t->g.rows[i].ncells;
	if (widest >= 3 && r->claim && r->claim(&t->g, r->ctx)) {
		*r->claimed = xgrow(*r->claimed, &r->claimed_cap, *r->nclaimed + 1, sizeof **r->claimed);
		(*r->claimed)[(*r->nclaimed)++] = t->g;
		t->g = (grid)GRID_INIT;
		r->content++;
	} else {
		table_render(r, t);
	}
	grid_free(&t->g);
	sb_free(&t->cell.b);
	free(t);
}

/* ---- the walk ---------------------------------------------------------------------- */

/* Outlook writes a tab as <span style='mso-tab-count:1'>&nbsp; </span> */
static bool is_mso_tab(const xmlNode *n)
{
	if (strcmp((const char *)n->name, "span") != 0)
		return false;
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && strcmp((const char *)a->name, "style") == 0 && a->children &&
		    a->children->content && strstr((const char *)a->children->content, "mso-tab-count"))
			return true;
	return false;
}

/* libxml2 reads Outlook's <o:p> as <p>: a <p> inside a <p> (through a few inline
 * elements such as <span>) is one, and inline */
static bool is_office_p(const xmlNode *n)
{
	if (strcmp((const char *)n->name, "p") != 0)
		return false;
	const xmlNode *a = n->parent;
	for (int i = 0; i < 8 && a && a->type == XML_ELEMENT_NODE && a->name; i++, a = a->parent) {
		if (strcmp((const char *)a->name, "p") == 0)
			return true;
		if (kind_of((const char *)a->name) != K_INLINE)
			return false;
	}
	return false;
}

static enum kind element_kind(const xmlNode *n)
{
	enum kind k = kind_of((const char *)n->name);
	if (k == K_PARA && is_office_p(n))
		k = K_INLINE;
	return k;
}

static void open_element(render *r, const xmlNode *n, enum kind k)
{
	r->frames = xgrow(r->frames, &r->frames_cap, r->nframes + 1, sizeof *r->frames);
	frame *f = &r->frames[r->nframes++];
	*f = (frame){ .node = n, .kind = k };
	switch (k) {
	case K_BLOCK:
	case K_PARA:
	case K_PRE:
		block_edge(r, r->w);
		r->content++; /* a parent holding blocks is not a blank paragraph */
		if (k == K_PRE) {
			r->pre++;
			r->pre_start = true;
		}
		break;
	case K_TABLE: {
		block_edge(r, r->w);
		r->content++;
		table_ctx *t = xcalloc(1, sizeof *t);
		t->outer = r->w;
		t->up = r->tbl;
		r->tbl = t;
		f->tbl = t;
		break;
	}
	case K_ROW:
		if (r->tbl && !r->tbl->in_cell) {
			grid_add_row(&r->tbl->g);
			f->owns = true;
		} else {
			block_edge(r, r->w);
		}
		break;
	case K_CELL:
		if (r->tbl && !r->tbl->in_cell) {
			table_ctx *t = r->tbl;
			sb_reset(&t->cell.b);
			t->cell.line_off = 0;
			t->cell.pending_space = false;
			t->in_cell = true;
			f->saved = r->w;
			f->owns = true;
			r->w = &t->cell;
		} else if (!at_line_start(r->w)) { /* a cell outside a table: still a column */
			r->w->pending_space = false;
			sb_addc(&r->w->b, '\t');
		}
		break;
	default:
		break;
	}
	f->mark = r->content;
	f->wmark = r->blank;
}

static void close_element(render *r, const xmlNode *n)
{
	if (!r->nframes || r->frames[r->nframes - 1].node != n)
		return; /* deeper than HTML_MAX_FRAMES: transparent */
	frame f = r->frames[--r->nframes];
	switch (f.kind) {
	case K_PARA:
		if (!at_line_start(r->w))
			end_line(r, r->w);
		else if (r->content == f.mark && r->blank != f.wmark)
			end_line(r, r->w);
		r->w->pending_space = false;
		break;
	case K_BLOCK:
		block_edge(r, r->w);
		break;
	case K_PRE:
		block_edge(r, r->w);
		r->pre--;
		r->pre_start = false;
		break;
	case K_TABLE:
		r->tbl = f.tbl->up;
		r->w = f.tbl->outer;
		table_finish(r, f.tbl);
		break;
	case K_ROW:
		if (!f.owns)
			block_edge(r, r->w);
		break;
	case K_CELL:
		if (f.owns && r->tbl && r->tbl->in_cell) {
			cell_finish(r->tbl);
			r->w = f.saved;
		}
		break;
	default:
		break;
	}
}

/* Returns true when the node's children are to be visited (and close_element called). */
static bool enter(render *r, const xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content) {
			if (r->pre)
				put_pre_text(r, n->content);
			else
				put_text(r, n->content);
		}
		return false;
	}
	if (n->type != XML_ELEMENT_NODE || !n->name)
		return false;
	enum kind k = element_kind(n);
	if (k == K_SKIP || k == K_RAW)
		return false;
	if (k == K_BR) {
		end_line(r, r->w);
		return false;
	}
	if (k == K_INLINE && is_mso_tab(n)) {
		r->w->pending_space = false;
		sb_addc(&r->w->b, '\t');
		return false;
	}
	if (r->nframes < HTML_MAX_FRAMES)
		open_element(r, n, k);
	return true;
}

static void walk(render *r, xmlDoc *doc)
{
	xmlNode *n = doc->children;
	while (n) {
		if (enter(r, n)) {
			if (n->children) {
				n = n->children;
				continue;
			}
			close_element(r, n);
		}
		while (!n->next) {
			n = n->parent;
			if (!n || n == (xmlNode *)doc)
				return;
			close_element(r, n);
		}
		n = n->next;
	}
}

/* ---- reading ------------------------------------------------------------------------ */

/* A copy with bad UTF-8 and NUL bytes replaced, or NULL when the input is fine as it is
 * (libxml2 would otherwise switch to Latin-1 at the first bad byte). */
static char *clean_utf8(const char *s, size_t n, size_t *outlen)
{
	if (utf8_valid(s, n) && !memchr(s, '\0', n))
		return NULL;
	strbuf b = STRBUF_INIT;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_next(s + i, n - i, &cp);
		sb_add_utf8(&b, cp ? cp : 0xFFFD);
		i += k ? k : 1;
	}
	*outlen = b.len;
	return sb_steal(&b);
}

static xmlDoc *parse(htmlParserCtxtPtr c, const char *s, size_t n, bool *halted)
{
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
		   HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC;
	if (n > INT_MAX)
		n = INT_MAX;
	xmlDoc *doc = htmlCtxtReadMemory(c, s, (int)n, NULL, "UTF-8", opts);
	/* xmlHaltParser (too deep) disables SAX; recovered errors do not */
	*halted = c->disableSAX != 0;
	return doc;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
	       c == '-' || c == '_';
}

static bool prefix_ci(const char *s, size_t n, const char *lower)
{
	size_t i = 0;
	for (; lower[i]; i++) {
		char c = i < n ? s[i] : '\0';
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[i])
			return false;
	}
	return true;
}

/* offset just past the '>' closing the tag whose name ends at s[i] (quotes after '=' respected) */
static size_t tag_end(const char *s, size_t n, size_t i)
{
	char last = 0;
	while (i < n) {
		char c = s[i];
		if (c == '>')
			return i + 1;
		if ((c == '"' || c == '\'') && last == '=') {
			const char *q = memchr(s + i + 1, c, n - i - 1);
			if (!q)
				return n;
			i = (size_t)(q - s) + 1;
			last = c;
			continue;
		}
		if (!is_space((unsigned char)c))
			last = c;
		i++;
	}
	return n;
}

/* Rewrite one markup construct at s[0] == '<'; returns the bytes consumed (>= 1). */
static size_t flatten_tag(const char *s, size_t n, bool keep_tables, strbuf *out)
{
	if (prefix_ci(s, n, "<!--")) {
		const char *e = memmem(s + 4, n - 4, "-->", 3);
		return e ? (size_t)(e - s) + 3 : n;
	}
	if (n > 1 && (s[1] == '!' || s[1] == '?')) {
		const char *e = memchr(s, '>', n);
		return e ? (size_t)(e - s) + 1 : n;
	}
	bool closing = n > 1 && s[1] == '/';
	size_t i = closing ? 2 : 1;
	if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
		sb_adds(out, "&lt;");
		return 1;
	}
	char name[16];
	size_t len = 0;
	for (; i < n && is_name_char(s[i]); i++)
		if (len < sizeof name - 1)
			name[len++] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	name[len] = '\0';
	size_t end = tag_end(s, n, i);
	enum kind k = len < sizeof name - 1 ? kind_of(name) : K_INLINE;
	if (k == K_RAW && !closing) { /* skip to the matching end tag */
		char close[20];
		snprintf(close, sizeof close, "</%s", name);
		for (size_t j = end; j < n; j++)
			if (s[j] == '<' && prefix_ci(s + j, n - j, close))
				return tag_end(s, n, j + strlen(close));
		return n;
	}
	switch (k) {
	case K_BR:
		sb_adds(out, "<br>");
		break;
	case K_TABLE:
	case K_ROW:
	case K_CELL:
		if (keep_tables)
			sb_addf(out, "<%s%s>", closing ? "/" : "", name);
		else
			sb_adds(out, k == K_CELL ? " " : "<p></p>");
		break;
	case K_BLOCK:
	case K_PARA:
	case K_PRE:
		if (strcmp(name, "html") && strcmp(name, "body"))
			sb_adds(out, "<p></p>");
		break;
	default:
		break;
	}
	return end;
}

/* The input with every element that can nest dropped or made a line break. */
static void flatten(const char *s, size_t n, bool keep_tables, strbuf *out)
{
	size_t i = 0;
	sb_reset(out);
	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t k = lt ? (size_t)(lt - s) : n;
		sb_add(out, s + i, k - i);
		i = k;
		if (i < n)
			i += flatten_tag(s + i, n - i, keep_tables, out);
	}
}

/* the main writer's lines, without blank lines at either end */
static char *finish_text(render *r)
{
	writer *w = &r->main;
	block_edge(r, w);
	const char *s = sb_str(&w->b);
	size_t a = 0, z = w->b.len;
	while (a < z && s[a] == '\n')
		a++;
	while (z > a && s[z - 1] == '\n')
		z--;
	return xstrndup(s + a, z - a);
}

char *html_to_text(const char *html, size_t len, html_claim_fn claim, void *ctx, grid **claimed,
		   size_t *nclaimed)
{
	render r = { 0 };
	char *clean = NULL, *text = NULL;
	strbuf flat = STRBUF_INIT;
	xmlDoc *doc = NULL;
	htmlParserCtxtPtr c = NULL;
	size_t clean_len = 0;
	bool halted = false;

	r.w = &r.main;
	if (claim && claimed && nclaimed) {
		r.claim = claim;
		r.ctx = ctx;
		r.claimed = claimed;
		r.nclaimed = nclaimed;
		r.claimed_cap = *nclaimed;
	}
	if (!html || !len)
		goto out;
	xmlInitParser();
	c = htmlNewParserCtxt();
	if (!c)
		goto out;
	clean = clean_utf8(html, len, &clean_len);
	if (clean) {
		html = clean;
		len = clean_len;
	}
	doc = parse(c, html, len, &halted);
	/* too deep for libxml2: read again without the elements that nest, first keeping
	 * tables, then without them too */
	for (int pass = 0; halted && pass < 2; pass++) {
		xmlFreeDoc(doc);
		flatten(html, len, pass == 0, &flat);
		doc = parse(c, sb_str(&flat), flat.len, &halted);
	}
	htmlFreeParserCtxt(c);
	if (doc)
		walk(&r, doc);
out:
	while (r.tbl) { /* only if the walk was cut short; it never is */
		table_ctx *up = r.tbl->up;
		grid_free(&r.tbl->g);
		sb_free(&r.tbl->cell.b);
		free(r.tbl);
		r.tbl = up;
	}
	text = finish_text(&r);
	xmlFreeDoc(doc);
	sb_free(&r.main.b);
	sb_free(&flat);
	free(r.frames);
	free(clean);
	return text;
}
