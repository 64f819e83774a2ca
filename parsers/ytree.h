/*
 * ytree — a YAML document as a small tree with line numbers (libyaml), so that the
 * vocabulary and the configuration can report "file:line: message".  Anchors and
 * aliases are refused (hostile YAML must not expand).
 */
#ifndef DEFECTD_YTREE_H
#define DEFECTD_YTREE_H

#include <stddef.h>

typedef enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP } ynode_type;

typedef struct ynode {
	ynode_type type;
	int line;		/* 1-based line of the node's start */
	char *value;		/* YN_SCALAR: the text (never NULL) */
	struct ynode **items;	/* YN_SEQ: the items; YN_MAP: the values */
	char **keys;		/* YN_MAP: the keys, parallel to items */
	int *key_lines;		/* YN_MAP: line of each key */
	size_t n;
	size_t cap;
} ynode;

/* Parse; NULL with *err ("name:line: message", caller frees) on a syntax error.
 * An empty document gives an empty map. Caller frees with ytree_free. */
ynode *ytree_parse(const char *text, size_t len, const char *name, char **err);
void ytree_free(ynode *n);
/* value of `key` in a map, or NULL */
const ynode *ytree_get(const ynode *map, const char *key);

#endif
