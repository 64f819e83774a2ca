/*
 * message — one raw message into a parse_result.
 *
 * 1. guard: size limits and a pre-scan of Content-Type headers (libetpan 1.9.4
 *    writes out of bounds on a quote-only boundary and has no depth limit), so
 *    hostile structure is refused before libetpan sees it;
 * 2. MIME walk (libetpan): identity headers, the body part (text/plain preferred,
 *    else text/html), CSV and XLSX attachments, an attached message/rfc822;
 * 3. noise (auto-replies, bounces) yields no records;
 * 4. the body's field lines make at most one record; HTML header tables and
 *    attachments add one record per row, in MIME order.
 * Pure: no I/O, no clock.  The caller isolates it in a worker process as well.
 */
#include "message.h"
#include "charset.h"
#include "classify.h"
#include "csv.h"
#include "fields.h"
#include "header_slim.h"
#include "html.h"
#include "table.h"
#include "text.h"
#include "xlsx.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>

void parse_limits_default(parse_limits *lim)
{
	lim->max_message_bytes = 25u << 20;
	lim->max_header_bytes = 256u << 10;
	lim->max_parts = 100;
	lim->max_depth = 10;
	lim->max_table_rows = 10000;
	lim->max_xlsx_bytes = 50u << 20;
}

/* ---- guard ------------------------------------------------------------------------- */

static bool line_starts_ci(const char *p, const char *end, const char *word)
{
	size_t k = strlen(word);
	return (size_t)(end - p) >= k && ascii_casecmp_prefix(p, word);
}

/* the value of boundary= in one (unfolded or folded) header; NULL when none */
static const char *find_boundary(const char *h, const char *end, size_t *len)
{
	for (const char *p = h; p + 9 <= end; p++) {
		if (!ascii_casecmp_prefix(p, "boundary"))
			continue;
		const char *q = p + 8;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || *q != '=')
			continue;
		q++;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		const char *s = q;
		if (q < end && *q == '"') {
			s = ++q;
			while (q < end && *q != '"' && *q != '\r' && *q != '\n')
				q++;
		} else {
			while (q < end && *q != ';' && *q != '\r' && *q != '\n' && *q != ' ' && *q != '\t')
				q++;
		}
		*len = (size_t)(q - s);
		return s;
	}
	return NULL;
}

static char *guard(const char *msg, size_t len, const parse_limits *lim)
{
	if (len > lim->max_message_bytes)
		return xasprintf("message of %zu bytes exceeds the limit of %zu bytes", len,
				 lim->max_message_bytes);
	/* only a message longer than the limit can have a header section longer than it */
	if (len > lim->max_header_bytes) {
		size_t scan = len < lim->max_header_bytes + 4 ? len : lim->max_header_bytes + 4;
		if (!memmem(msg, scan, "\n\n", 2) && !memmem(msg, scan, "\n\r\n", 3))
			return xasprintf("header section exceeds the limit of %zu bytes",
					 lim->max_header_bytes);
	}

	size_t parts = 0;
	const char *end = msg + len;
	for (const char *p = msg; p < end;) {
		if ((*p == 'C' || *p == 'c') && line_starts_ci(p, end, "content-type:")) {
			if (++parts > lim->max_parts)
				return xasprintf("more than %zu MIME parts", lim->max_parts);
			/* the header with its continuation lines */
			const char *h = p, *e = p;
			for (;;) {
				const char *nl = memchr(e, '\n', (size_t)(end - e));
				e = nl ? nl + 1 : end;
				if (e >= end || (*e != ' ' && *e != '\t'))
					break;
			}
			size_t blen;
			const char *b = find_boundary(h, e, &blen);
			if (b) {
				if (blen == 0 || blen > 200)
					return xstrdup("invalid MIME boundary (empty or too long)");
				for (size_t i = 0; i < blen; i++)
					if (b[i] == '"' || b[i] == '\\')
						return xstrdup("invalid MIME boundary (quote or backslash)");
			}
			p = e;
			continue;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* ---- headers ------------------------------------------------------------------------ */

typedef struct headers {
	const char *auto_submitted, *x_autoreply, *x_autorespond, *precedence;
	int year;
} headers;

/* v as printf's "%0<width>d" would write it */
static void put_number(strbuf *b, int v, int width)
{
	char digits[12];
	int n = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	do
		digits[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		sb_addc(b, '-');
	for (int i = n + (v < 0); i < width; i++)
		sb_addc(b, '0');
	while (n)
		sb_addc(b, digits[--n]);
}

/* "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d" by hand: printf cost as much as the
 * whole header */
static char *format_date(const struct mailimf_date_time *d)
{
	int z = d->dt_zone, sign = z < 0 ? '-' : '+';
	if (z < 0)
		z = -z;
	strbuf b = STRBUF_INIT;
	put_number(&b, d->dt_year, 4);
	sb_addc(&b, '-');
	put_number(&b, d->dt_month, 2);
	sb_addc(&b, '-');
	put_number(&b, d->dt_day, 2);
	sb_addc(&b, 'T');
	put_number(&b, d->dt_hour, 2);
	sb_addc(&b, ':');
	put_number(&b, d->dt_min, 2);
	sb_addc(&b, ':');
	put_number(&b, d->dt_sec, 2);
	sb_addc(&b, (char)sign);
	put_number(&b, z / 100, 2);
	sb_addc(&b, ':');
	put_number(&b, z % 100, 2);
	return sb_steal(&b);
}

static char *angle(const char *id)
{
	size_t n = strlen(id);
	char *s = xmalloc(n + 3);
	s[0] = '<';
	memcpy(s + 1, id, n);
	s[n + 1] = '>';
	s[n + 2] = '\0';
	return s;
}

static void read_headers(struct mailimf_fields *fields, parse_result *out, headers *h)
{
	if (!fields)
		return;
	for (clistiter *it = clist_begin(fields->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);
		switch (f->fld_type) {
		case MAILIMF_FIELD_SUBJECT:
			if (!out->subject && f->fld_data.fld_subject->sbj_value) {
				const char *s = f->fld_data.fld_subject->sbj_value;
				out->subject = charset_decode_header(s, strlen(s), NULL);
			}
			break;
		case MAILIMF_FIELD_FROM: {
			struct mailimf_mailbox_list *l = f->fld_data.fld_from->frm_mb_list;
			if (!out->from && l && clist_begin(l->mb_list)) {
				struct mailimf_mailbox *mb = clist_content(clist_begin(l->mb_list));
				if (mb->mb_addr_spec)
					out->from = xstrdup(mb->mb_addr_spec);
			}
			break;
		}
		case MAILIMF_FIELD_ORIG_DATE:
			if (!out->date && f->fld_data.fld_orig_date->dt_date_time) {
				out->date = format_date(f->fld_data.fld_orig_date->dt_date_time);
				h->year = f->fld_data.fld_orig_date->dt_date_time->dt_year;
			}
			break;
		case MAILIMF_FIELD_MESSAGE_ID:
			if (!out->message_id && f->fld_data.fld_message_id->mid_value)
				out->message_id = angle(f->fld_data.fld_message_id->mid_value);
			break;
		case MAILIMF_FIELD_IN_REPLY_TO: {
			clist *l = f->fld_data.fld_in_reply_to->mid_list;
			if (!out->in_reply_to && l && clist_begin(l))
				out->in_reply_to = angle(clist_content(clist_begin(l)));
			break;
		}
		case MAILIMF_FIELD_REFERENCES: {
			clist *l = f->fld_data.fld_references->mid_list;
			for (clistiter *r = l ? clist_begin(l) : NULL; r && out->references.n < 100; r = clist_next(r))
				sl_push(&out->references, angle(clist_content(r)));
			break;
		}
		case MAILIMF_FIELD_OPTIONAL_FIELD: {
			struct mailimf_optional_field *o = f->fld_data.fld_optional_field;
			if (!o->fld_name || !o->fld_value)
				break;
			if (!ascii_strcasecmp(o->fld_name, "Auto-Submitted"))
				h->auto_submitted = o->fld_value;
			else if (!ascii_strcasecmp(o->fld_name, "X-Autoreply"))
				h->x_autoreply = o->fld_value;
			else if (!ascii_strcasecmp(o->fld_name, "X-Autorespond"))
				h->x_autorespond = o->fld_value;
			else if (!ascii_strcasecmp(o->fld_name, "Precedence"))
				h->precedence = o->fld_value;
			break;
		}
		default:
			break;
		}
	}
}

/* ---- the MIME walk ------------------------------------------------------------------ */

enum part_role { PART_OTHER, PART_PLAIN, PART_HTML, PART_CSV, PART_XLSX };

typedef struct part {
	struct mailmime *mime;
	enum part_role role;
	char *charset;		/* declared, or NULL */
	char *filename;		/* or NULL */
	int encoding;
} part;

typedef struct walk {
	const parse_limits *lim;
	part *parts;
	size_t nparts, cap;
	size_t seen;
	char *error;
	struct mailmime *embedded;	/* first attached message/rfc822 */
} walk;

static bool has_suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && ascii_strcasecmp(s + n - k, suffix) == 0;
}

static enum part_role role_of(struct mailmime_content *ct, const char *filename, bool attachment)
{
	const char *sub = ct && ct->ct_subtype ? ct->ct_subtype : "";
	int top = -1;
	if (ct && ct->ct_type && ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE)
		top = ct->ct_type->tp_data.tp_discrete_type->dt_type;
	if (filename && has_suffix_ci(filename, ".csv"))
		return PART_CSV;
	if (filename && (has_suffix_ci(filename, ".xlsx") || has_suffix_ci(filename, ".xlsm")))
		return PART_XLSX;
	if (top == MAILMIME_DISCRETE_TYPE_TEXT) {
		if (!ascii_strcasecmp(sub, "csv") || !ascii_strcasecmp(sub, "comma-separated-values") ||
		    !ascii_strcasecmp(sub, "x-csv"))
			return PART_CSV;
		if (attachment)
			return PART_OTHER;
		if (!ascii_strcasecmp(sub, "plain"))
			return PART_PLAIN;
		if (!ascii_strcasecmp(sub, "html"))
			return PART_HTML;
	}
	if (top == MAILMIME_DISCRETE_TYPE_APPLICATION) {
		if (!ascii_strcasecmp(sub, "vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
			return PART_XLSX;
		if (!ascii_strcasecmp(sub, "csv") || !ascii_strcasecmp(sub, "x-csv"))
			return PART_CSV;
	}
	return PART_OTHER;
}

static void add_single(walk *w, struct mailmime *m)
{
	struct mailmime_single_fields sf;
	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	const char *fname = sf.fld_disposition_filename ? sf.fld_disposition_filename : sf.fld_content_name;
	char *filename = fname ? charset_decode_header(fname, strlen(fname), NULL) : NULL;
	bool attachment = sf.fld_disposition && sf.fld_disposition->dsp_type &&
			  sf.fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	enum part_role role = role_of(m->mm_content_type, filename, attachment || filename);
	if (role == PART_OTHER) {
		free(filename);
		return;
	}
	const char *cs = m->mm_content_type ? mailmime_content_param_get(m->mm_content_type, "charset") : NULL;
	w->parts = xgrow(w->parts, &w->cap, w->nparts + 1, sizeof *w->parts);
	w->parts[w->nparts++] = (part){ m, role, cs ? xstrdup(cs) : NULL, filename,
					sf.fld_encoding ? sf.fld_encoding->enc_type : MAILMIME_MECHANISM_8BIT };
}

static void walk_mime(walk *w, struct mailmime *m, size_t depth)
{
	if (w->error || !m)
		return;
	if (++w->seen > w->lim->max_parts) {
		w->error = xasprintf("more than %zu MIME parts", w->lim->max_parts);
		return;
	}
	if (depth > w->lim->max_depth) {
		w->error = xasprintf("MIME nesting deeper than %zu", w->lim->max_depth);
		return;
	}
	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		add_single(w, m);
		break;
	case MAILMIME_MULTIPLE:
		for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			walk_mime(w, clist_content(it), depth + 1);
		break;
	case MAILMIME_MESSAGE:
		/* an attached message (forward as attachment) is read only as a fallback */
		if (depth > 0) {
			if (!w->embedded)
				w->embedded = m;
			break;
		}
		walk_mime(w, m->mm_data.mm_message.mm_msg_mime, depth + 1);
		break;
	default:
		break;
	}
}

static void walk_free(walk *w)
{
	for (size_t i = 0; i < w->nparts; i++) {
		free(w->parts[i].charset);
		free(w->parts[i].filename);
	}
	free(w->parts);
	free(w->error);
}

/* transfer-decoded bytes of a single part, NUL-terminated; caller frees */
static char *part_bytes(const part *p, size_t *len)
{
	struct mailmime_data *d = p->mime->mm_data.mm_single;
	char *out, *etpan = NULL;
	size_t idx = 0;
	*len = 0;
	if (!d || d->dt_type != MAILMIME_DATA_TEXT)
		return NULL;
	int enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	const char *data = d->dt_data.dt_text.dt_data;
	size_t dlen = d->dt_data.dt_text.dt_length;
	if (enc == MAILMIME_MECHANISM_7BIT || enc == MAILMIME_MECHANISM_8BIT ||
	    enc == MAILMIME_MECHANISM_BINARY) {
		/* nothing to decode: the bytes less one final line break, as libetpan's
		 * mailmime_binary_body_parse gives them, without its copy into a
		 * reference-counted string (a global hash insert and delete) */
		if (dlen && data[dlen - 1] == '\n' && --dlen && data[dlen - 1] == '\r')
			dlen--;
		*len = dlen;
		out = xmalloc(dlen + 1);
		memcpy(out, data, dlen);
		out[dlen] = '\0';
		return out;
	}
	if (mailmime_part_parse(data, dlen, &idx, enc, &etpan, len) != MAILIMF_NO_ERROR)
		return NULL;
	out = xmalloc(*len + 1);
	memcpy(out, etpan, *len);
	out[*len] = '\0';
	mmap_string_unref(etpan);
	return out;
}

/* decoded UTF-8 text of a text part (caller frees), with a warning on bad bytes */
static char *part_text(const part *p, const char *what, size_t *len, strlist *warnings)
{
	size_t blen;
	char *bytes = part_bytes(p, &blen);
	if (!bytes) {
		sl_pushf(warnings, "%s: cannot decode the transfer encoding", what);
		return NULL;
	}
	const char *used = NULL;
	size_t bad = 0;
	char *text = charset_decode(bytes, blen, p->charset, len, &used, &bad);
	if (bad)
		sl_pushf(warnings, "%s: %zu bytes could not be decoded (read as %s)", what, bad,
			 used ? used : "?");
	free(bytes);
	return text;
}

/* ---- records ------------------------------------------------------------------------ */

typedef struct ctx {
	fields_ctx fc;
	parse_result *out;
	record_kind subject_kind;
	char *subject_ref;
	char *body_ref;
} ctx;

static bool claim_table(const grid *g, void *arg)
{
	const vocab *v = arg;
	return table_header_row(g, v) >= 0;
}

/* the body record (at most one) plus claimed HTML tables; returns fields read */
static size_t read_body(ctx *c, const char *text, size_t len, bool html, size_t *ntables_out)
{
	grid *tables = NULL;
	size_t ntables = 0;
	char *plain = NULL;
	if (html) {
		plain = html_to_text(text, len, claim_table, (void *)c->fc.v, &tables, &ntables);
		text = plain;
		len = strlen(plain);
	}
	record *rec = result_add_record(c->out);
	char *ref = NULL;
	size_t n = fields_read(&c->fc, text, len, rec, &ref);
	if (!c->body_ref)
		c->body_ref = ref;
	else
		free(ref);
	if (n == 0) {
		result_drop_last(c->out);
	} else {
		rec->defect_ref = c->subject_ref ? xstrdup(c->subject_ref) : c->body_ref ? xstrdup(c->body_ref) : NULL;
		rec->kind = c->subject_kind != KIND_NONE ? c->subject_kind : classify_by_fields(rec, c->fc.v);
	}
	for (size_t i = 0; i < ntables; i++) {
		char *what = xasprintf("HTML table %zu", i + 1);
		table_records(&c->fc, &tables[i], c->subject_kind, c->subject_ref, c->body_ref, what, c->out);
		free(what);
		grid_free(&tables[i]);
	}
	free(tables);
	free(plain);
	*ntables_out = ntables;
	return n;
}

static void read_attachment(ctx *c, const part *p, size_t index, const parse_limits *lim)
{
	char *what = xasprintf("attachment %zu (%s)", index, p->filename ? p->filename : "unnamed");
	grid g = GRID_INIT;
	char *err = NULL;
	int rc;
	if (p->role == PART_CSV) {
		size_t blen;
		char *bytes = part_bytes(p, &blen);
		rc = bytes ? csv_read(bytes, blen, lim->max_table_rows, &g, &err, &c->out->warnings) : -1;
		free(bytes);
	} else {
		size_t blen;
		char *bytes = part_bytes(p, &blen);
		rc = bytes ? xlsx_read(bytes, blen, lim->max_table_rows, lim->max_xlsx_bytes, &g, &err) : -1;
		free(bytes);
	}
	if (rc < 0)
		sl_pushf(&c->out->warnings, "%s: %s", what, err ? err : "cannot decode the attachment");
	else
		table_records(&c->fc, &g, c->subject_kind, c->subject_ref, c->body_ref, what, c->out);
	free(err);
	grid_free(&g);
	free(what);
}

static const part *first_part(const walk *w, enum part_role role)
{
	for (size_t i = 0; i < w->nparts; i++)
		if (w->parts[i].role == role)
			return &w->parts[i];
	return NULL;
}

/* read one body part; true when it gave fields or tables */
static bool try_body(ctx *c, const part *p, const char *what)
{
	size_t len, ntables = 0;
	char *text = part_text(p, what, &len, &c->out->warnings);
	if (!text)
		return false;
	size_t n = read_body(c, text, len, p->role == PART_HTML, &ntables);
	free(text);
	return n > 0 || c->out->nrecords > 0;
}

static void read_parts(ctx *c, const walk *w, const parse_limits *lim)
{
	const part *plain = first_part(w, PART_PLAIN), *html = first_part(w, PART_HTML);
	bool got = false;
	if (plain)
		got = try_body(c, plain, "body");
	/* no plain part, or a plain part without fields next to an HTML one */
	if (!got && html)
		got = try_body(c, html, "HTML body");
	size_t index = 0;
	for (size_t i = 0; i < w->nparts; i++)
		if (w->parts[i].role == PART_CSV || w->parts[i].role == PART_XLSX)
			read_attachment(c, &w->parts[i], ++index, lim);
	(void)got;
}

int message_parse(const char *bytes, size_t len, const vocab *v, const parse_limits *lim,
		  parse_result *out)
{
	struct mailmime *mime = NULL;
	walk w = { lim, NULL, 0, 0, 0, NULL, NULL };
	headers h = { 0 };
	ctx c = { 0 };
	char *subject_key = NULL;
	char *slim = NULL;	/* what libetpan parses when fields could be left out */
	size_t idx = 0, slim_len;
	int rc = -1;

	if ((out->error = guard(bytes, len, lim)))
		goto out;
	if ((slim = header_slim(bytes, len, &slim_len)) != NULL) {
		bytes = slim; /* the parts point into it: freed last */
		len = slim_len;
	}
	if (mailmime_parse(bytes, len, &idx, &mime) != MAILIMF_NO_ERROR || !mime) {
		out->error = xstrdup("not a MIME message");
		goto out;
	}
	if (mime->mm_type == MAILMIME_MESSAGE)
		read_headers(mime->mm_data.mm_message.mm_fields, out, &h);
	walk_mime(&w, mime, 0);
	if (w.error) {
		out->error = w.error;
		w.error = NULL;
		goto out;
	}

	bool reply, forward;
	subject_key = classify_subject(out->subject, &reply, &forward);
	char *whole_key = out->subject ? text_match_key(out->subject, strlen(out->subject)) : NULL;
	struct mailmime *body = mime->mm_type == MAILMIME_MESSAGE ? mime->mm_data.mm_message.mm_msg_mime : mime;
	struct mailmime_content *ct = body ? body->mm_content_type : NULL;
	noise_facts nf = {
		h.auto_submitted, h.x_autoreply, h.x_autorespond, h.precedence, out->from, whole_key,
		ct && ct->ct_type && ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
			ct->ct_subtype && !ascii_strcasecmp(ct->ct_subtype, "report"),
	};
	const char *noise = classify_noise(&nf, v);
	free(whole_key);
	if (noise) {
		out->noise = xstrdup(noise);
		rc = 0;
		goto out;
	}

	c.fc = (fields_ctx){ v, reply, forward, h.year, &out->warnings };
	c.out = out;
	c.subject_kind = vocab_kind_for_subject(v, subject_key);
	c.subject_ref = out->subject ? classify_find_ref(out->subject, strlen(out->subject)) : NULL;
	read_parts(&c, &w, lim);

	/* a message forwarded as an attachment: read it when the mail itself said nothing */
	if (out->nrecords == 0 && w.embedded && w.embedded->mm_data.mm_message.mm_msg_mime) {
		walk inner = { lim, NULL, 0, 0, w.seen, NULL, NULL };
		walk_mime(&inner, w.embedded->mm_data.mm_message.mm_msg_mime, 1);
		if (!inner.error) {
			c.fc.reply = false;
			c.fc.forward = true;
			read_parts(&c, &inner, lim);
		}
		walk_free(&inner);
	}
	rc = 0;
out:
	free(c.subject_ref);
	free(c.body_ref);
	free(subject_key);
	walk_free(&w);
	if (mime)
		mailmime_free(mime);
	free(slim);
	return rc;
}
