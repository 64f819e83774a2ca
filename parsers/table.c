/*
 * table — rows of a grid into records (SPEC.md §4 "Tables").  The header row is the
 * first with two or more known labels; unknown columns are ignored; a defect_ref
 * column (不具合管理番号, 管理番号, MD番号) gives each row its reference.
 */
#include "table.h"
#include "classify.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* header rows are looked for in the first rows only: a title block is short */
#define TABLE_HEADER_SCAN 30

static size_t row_labels(const grid_row *r, const vocab *v, int *map)
{
	size_t known = 0;
	for (size_t j = 0; j < r->ncells; j++) {
		const char *cell = r->cells[j];
		int f = fields_label(v, cell, strlen(cell), true);
		if (map) {
			/* two columns for one field: the first one counts */
			for (size_t k = 0; k < j && f != -1; k++)
				if (map[k] == f)
					f = -1;
			map[j] = f;
		}
		if (f != -1)
			known++;
	}
	return known;
}

long table_header_row(const grid *g, const vocab *v)
{
	for (size_t i = 0; i < g->nrows && i < TABLE_HEADER_SCAN; i++)
		if (row_labels(&g->rows[i], v, NULL) >= 2)
			return (long)i;
	return -1;
}

static bool row_blank(const grid_row *r)
{
	for (size_t j = 0; j < r->ncells; j++)
		if (!text_is_blank(r->cells[j], strlen(r->cells[j])))
			return false;
	return true;
}

size_t table_records(const fields_ctx *c, const grid *g, record_kind subject_kind,
		     const char *subject_ref, const char *body_ref, const char *what,
		     parse_result *out)
{
	long h = table_header_row(g, c->v);
	if (h < 0)
		return 0;
	const grid_row *head = &g->rows[h];
	int *map = xcalloc(head->ncells ? head->ncells : 1, sizeof *map);
	row_labels(head, c->v, map);

	size_t added = 0;
	strlist warnings = STRLIST_INIT;
	fields_ctx rc = *c;
	rc.warnings = &warnings;
	for (size_t i = (size_t)h + 1; i < g->nrows; i++) {
		const grid_row *r = &g->rows[i];
		if (row_blank(r))
			continue;
		record *rec = result_add_record(out);
		char *ref = NULL;
		for (size_t j = 0; j < r->ncells && j < head->ncells; j++) {
			const char *cell = r->cells[j];
			if (map[j] == VOCAB_DEFECT_REF && !ref)
				ref = classify_find_ref(cell, strlen(cell));
			else if (map[j] >= 0)
				fields_set_raw(&rc, rec, map[j], cell, strlen(cell));
		}
		for (size_t w = 0; w < warnings.n; w++)
			sl_pushf(c->warnings, "%s row %zu: %s", what, i + 1, warnings.v[w]);
		sl_free(&warnings);
		if (!rec->nfields) {
			free(ref);
			result_drop_last(out);
			continue;
		}
		rec->defect_ref = ref ? ref : subject_ref ? xstrdup(subject_ref) : body_ref ? xstrdup(body_ref) : NULL;
		rec->kind = subject_kind != KIND_NONE ? subject_kind : classify_by_fields(rec, c->v);
		added++;
	}
	free(map);
	return added;
}
