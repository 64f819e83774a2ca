/* grid — a table of UTF-8 cells; no parsing here, only storage. */
#include "grid.h"
#include "util.h"

#include <stdlib.h>

void grid_add_row(grid *g)
{
	g->rows = xgrow(g->rows, &g->cap, g->nrows + 1, sizeof *g->rows);
	g->rows[g->nrows++] = (grid_row){ NULL, 0, 0 };
}

void grid_add_cell(grid *g, const char *s, size_t len)
{
	if (!g->nrows)
		grid_add_row(g);
	grid_row *r = &g->rows[g->nrows - 1];
	r->cells = xgrow(r->cells, &r->cap, r->ncells + 1, sizeof *r->cells);
	r->cells[r->ncells++] = xstrndup(s, len);
}

void grid_set_cell(grid *g, size_t col, const char *s, size_t len)
{
	if (!g->nrows)
		grid_add_row(g);
	grid_row *r = &g->rows[g->nrows - 1];
	while (r->ncells < col)
		grid_add_cell(g, "", 0);
	if (col < r->ncells) {
		free(r->cells[col]);
		r->cells[col] = xstrndup(s, len);
	} else {
		grid_add_cell(g, s, len);
	}
}

void grid_free(grid *g)
{
	for (size_t i = 0; i < g->nrows; i++) {
		for (size_t j = 0; j < g->rows[i].ncells; j++)
			free(g->rows[i].cells[j]);
		free(g->rows[i].cells);
	}
	free(g->rows);
	g->rows = NULL;
	g->nrows = g->cap = 0;
}
