/*
 * grid — a table of UTF-8 cells: what CSV, XLSX and HTML tables are read into
 * before the header row is found and rows become records (table.c).
 */
#ifndef DEFECTD_GRID_H
#define DEFECTD_GRID_H

#include <stddef.h>

typedef struct grid_row {
	char **cells; /* owned, NUL-terminated UTF-8; never NULL entries */
	size_t ncells;
	size_t cap;
} grid_row;

typedef struct grid {
	grid_row *rows;
	size_t nrows;
	size_t cap;
} grid;
#define GRID_INIT { NULL, 0, 0 }

/* start a new (empty) row */
void grid_add_row(grid *g);
/* append a cell (copied) to the last row; starts a row when there is none */
void grid_add_cell(grid *g, const char *s, size_t len);
/* put a cell at column `col` of the last row, padding with empty cells (XLSX skips empty cells) */
void grid_set_cell(grid *g, size_t col, const char *s, size_t len);
void grid_free(grid *g);

#endif
