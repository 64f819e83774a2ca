/*
 * ytree — YAML into a small tree with line numbers (libyaml event API).
 * Refuses anchors and aliases and deep nesting: configuration is hostile input too.
 */
#include "ytree.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YTREE_MAX_DEPTH 64

static ynode *node_new(ynode_type t, int line)
{
	ynode *n = xcalloc(1, sizeof *n);
	n->type = t;
	n->line = line;
	return n;
}

void ytree_free(ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		ytree_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->key_lines);
	free(n->value);
	free(n);
}

static void node_push(ynode *parent, char *key, int key_line, ynode *child)
{
	size_t cap = parent->cap;
	parent->items = xgrow(parent->items, &cap, parent->n + 1, sizeof *parent->items);
	if (parent->type == YN_MAP) {
		size_t c2 = parent->cap, c3 = parent->cap;
		parent->keys = xgrow(parent->keys, &c2, parent->n + 1, sizeof *parent->keys);
		parent->key_lines = xgrow(parent->key_lines, &c3, parent->n + 1, sizeof *parent->key_lines);
		parent->keys[parent->n] = key;
		parent->key_lines[parent->n] = key_line;
	}
	parent->cap = cap;
	parent->items[parent->n++] = child;
}

typedef struct frame {
	ynode *node;
	char *pending_key;	/* map: key read, value not yet */
	int pending_line;
} frame;

ynode *ytree_parse(const char *text, size_t len, const char *name, char **err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	frame stack[YTREE_MAX_DEPTH];
	int depth = 0;
	ynode *root = NULL;
	bool done = false;

	*err = NULL;
	if (!yaml_parser_initialize(&p)) {
		*err = xasprintf("%s: cannot initialise the YAML parser", name);
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			*err = xasprintf("%s:%zu: %s%s%s", name, p.problem_mark.line + 1,
					 p.problem ? p.problem : "syntax error", p.context ? " " : "",
					 p.context ? p.context : "");
			goto fail;
		}
		int line = (int)ev.start_mark.line + 1;
		ynode *child = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_ALIAS_EVENT:
			*err = xasprintf("%s:%d: aliases are not allowed", name, line);
			yaml_event_delete(&ev);
			goto fail;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor) {
				*err = xasprintf("%s:%d: anchors are not allowed", name, line);
				yaml_event_delete(&ev);
				goto fail;
			}
			child = node_new(YN_SCALAR, line);
			child->value = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= YTREE_MAX_DEPTH) {
				*err = xasprintf("%s:%d: nesting too deep", name, line);
				yaml_event_delete(&ev);
				goto fail;
			}
			child = node_new(ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP, line);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			child = stack[depth].node;
			free(stack[depth].pending_key);
			stack[depth].pending_key = NULL;
			break;
		default:
			break;
		}
		bool is_start = ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
		yaml_event_delete(&ev);
		if (!child)
			continue;
		if (is_start) {
			stack[depth].node = child;
			stack[depth].pending_key = NULL;
			depth++;
			continue;
		}
		/* a complete node: attach to the parent */
		if (depth == 0) {
			if (root) {
				ytree_free(child);
				*err = xasprintf("%s:%d: only one YAML document is allowed", name, line);
				goto fail;
			}
			root = child;
			continue;
		}
		frame *f = &stack[depth - 1];
		if (f->node->type == YN_SEQ) {
			node_push(f->node, NULL, 0, child);
		} else if (!f->pending_key) {
			if (child->type != YN_SCALAR) {
				int l = child->line;
				ytree_free(child);
				*err = xasprintf("%s:%d: a mapping key must be a plain value", name, l);
				goto fail;
			}
			f->pending_key = child->value;
			f->pending_line = child->line;
			child->value = NULL;
			ytree_free(child);
		} else {
			for (size_t i = 0; i < f->node->n; i++)
				if (strcmp(f->node->keys[i], f->pending_key) == 0) {
					*err = xasprintf("%s:%d: duplicate key '%s'", name, f->pending_line,
							 f->pending_key);
					ytree_free(child);
					goto fail;
				}
			node_push(f->node, f->pending_key, f->pending_line, child);
			f->pending_key = NULL;
		}
	}
	yaml_parser_delete(&p);
	if (!root)
		root = node_new(YN_MAP, 1);
	else if (root->type == YN_SCALAR && root->value[0] == '\0') {
		ytree_free(root);
		root = node_new(YN_MAP, 1);
	}
	return root;
fail:
	yaml_parser_delete(&p);
	/* free the partial tree: everything is reachable from the stack bottom or root */
	/* nodes still open are not attached to their parents yet: free each one */
	while (depth > 0) {
		depth--;
		free(stack[depth].pending_key);
		ytree_free(stack[depth].node);
	}
	ytree_free(root);
	return NULL;
}

const ynode *ytree_get(const ynode *map, const char *key)
{
	if (!map || map->type != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}
