/*
 * config — defectd.yaml into a config object.  Every option is declared once in the
 * tables below with its type, default and range; the same tables print the defaults.
 * Problems are collected (all of them, "file:line: message") rather than stopping at
 * the first.  Never logs or stores a secret.
 */
#include "config.h"
#include "fileio.h"
#include "ytree.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* OT_LIST: a YAML list of words into a strlist; its default is written "a,b,c" */
enum opt_type { OT_STR, OT_BOOL, OT_UINT, OT_SIZE, OT_SECONDS, OT_LEVEL, OT_LIST };

typedef struct opt {
	const char *key;
	enum opt_type type;
	size_t off;
	const char *def;	/* NULL: no default */
	unsigned long long min, max;
	const char *help;
} opt;

#define C(f) offsetof(config, f)
#define M(f) offsetof(mailbox_conf, f)

static const opt top_opts[] = {
	{ "database.conninfo", OT_STR, C(db_conninfo), "dbname=defectd", 0, 0,
	  "libpq connection string (no password here)" },
	{ "database.ctl_conninfo", OT_STR, C(db_ctl_conninfo), NULL, 0, 0,
	  "connection for defectctl: a login granted defectd_maintainer (reparse, quarantine reparse/assign, "
	  "mailbox resume) or defectd_reader (status, list, quarantine list/show); its password from libpq "
	  "(~/.pgpass, PGPASSWORD), not password_file; default: conninfo with password_file/password_env" },
	{ "database.migrate_conninfo", OT_STR, C(db_migrate_conninfo), NULL, 0, 0,
	  "connection for `defectd migrate` (owner/superuser); default: conninfo" },
	{ "database.password_file", OT_STR, C(db_password_file), NULL, 0, 0,
	  "file holding the database password (mode 0600)" },
	{ "database.password_env", OT_STR, C(db_password_env), NULL, 0, 0,
	  "or: environment variable holding it" },
	{ "parser.timeout", OT_SECONDS, C(parser_timeout), "30", 1, 3600,
	  "CPU/wall seconds one message may take before the parser is restarted" },
	{ "parser.window", OT_SIZE, C(parser_window), "64", 1, 4096,
	  "messages in flight to the parser process" },
	{ "parser.max_memory_mb", OT_SIZE, C(parser_memory_mb), "2048", 64, 1 << 20,
	  "address-space limit of the parser process, MiB" },
	{ "limits.max_message_bytes", OT_SIZE, C(limits.max_message_bytes), "25M", 1024, 1ULL << 31,
	  "larger messages are quarantined unread" },
	{ "limits.max_header_bytes", OT_SIZE, C(limits.max_header_bytes), "256K", 1024, 64ULL << 20,
	  "size of one header section" },
	{ "limits.max_parts", OT_SIZE, C(limits.max_parts), "100", 1, 10000, "MIME parts per message" },
	{ "limits.max_depth", OT_SIZE, C(limits.max_depth), "10", 1, 100, "multipart nesting depth" },
	{ "limits.max_table_rows", OT_SIZE, C(limits.max_table_rows), "10000", 1, 10000000,
	  "rows of one CSV/XLSX/HTML table" },
	{ "limits.max_xlsx_bytes", OT_SIZE, C(limits.max_xlsx_bytes), "50M", 1024, 1ULL << 32,
	  "uncompressed bytes read from one XLSX" },
	{ "log.level", OT_LEVEL, C(log_level), "info", 0, 0, "error, warning, info or debug" },
	{ "daemon.backoff_max", OT_SECONDS, C(backoff_max), "300", 1, 86400,
	  "longest wait between reconnect attempts" },
	{ "tracking.required_fields", OT_LIST, C(required_fields),
	  "dealer_code,product_model,serial_no,occurred_date,defect_type,symptom", 0, 0,
	  "fields a defect's data track needs to be complete (vocabulary field keys; [] for none); "
	  "after a change, defectctl recompute" },
	{ "daemon.watchdog_ping", OT_SECONDS, C(watchdog_ping), "0", 0, 3600,
	  "seconds between watchdog pings; 0 = half of systemd's WatchdogSec" },
};

static const opt mailbox_opts[] = {
	{ "name", OT_STR, M(name), NULL, 0, 0, "unique name; keys its state in the database" },
	{ "url", OT_STR, M(url), NULL, 0, 0, "imaps://host/INBOX, imap://…, maildir:/path or mbox:/path" },
	{ "username", OT_STR, M(username), NULL, 0, 0, "IMAP login" },
	{ "password_file", OT_STR, M(password_file), NULL, 0, 0, "file holding the IMAP password (mode 0600)" },
	{ "password_env", OT_STR, M(password_env), NULL, 0, 0, "or: environment variable holding it" },
	{ "ca_file", OT_STR, M(ca_file), NULL, 0, 0, "CA certificate(s) to verify the server with" },
	{ "allow_plaintext", OT_BOOL, M(allow_plaintext), "false", 0, 0,
	  "permit imap:// without TLS (never for real credentials)" },
	{ "insecure_skip_verify", OT_BOOL, M(insecure_skip_verify), "false", 0, 0,
	  "do not verify the server certificate (tests only)" },
	{ "processed_keyword", OT_STR, M(processed_keyword), "$Imported", 0, 0,
	  "IMAP keyword set once a message is committed" },
	{ "move_to", OT_STR, M(move_to), NULL, 0, 0, "move committed mail to this folder" },
	{ "quarantine_folder", OT_STR, M(quarantine_folder), NULL, 0, 0,
	  "move quarantined mail to this folder" },
	{ "poll_interval", OT_SECONDS, M(poll_interval), "60", 1, 86400, "seconds between polls" },
	{ "max_attempts", OT_UINT, M(max_attempts), "3", 1, 100,
	  "attempts before a message is quarantined as poison" },
	{ "batch", OT_UINT, M(batch), "500", 1, 100000, "messages per poll at most" },
};

static int parse_number(const char *s, enum opt_type t, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	unsigned long long mul = 1;
	if (t == OT_SIZE) {
		if (*end == 'K' || *end == 'k')
			mul = 1024, end++;
		else if (*end == 'M' || *end == 'm')
			mul = 1024 * 1024, end++;
		else if (*end == 'G' || *end == 'g')
			mul = 1024ULL * 1024 * 1024, end++;
	} else if (t == OT_SECONDS) {
		if (*end == 's')
			end++;
		else if (*end == 'm')
			mul = 60, end++;
		else if (*end == 'h')
			mul = 3600, end++;
		else if (*end == 'd')
			mul = 86400, end++;
	}
	if (*end)
		return -1;
	if (v && mul > ~0ULL / v)
		return -1;
	*out = v * mul;
	return 0;
}

static int set_opt(void *base, const opt *o, const char *val, const char *file, int line, strlist *errs)
{
	char *dst = (char *)base + o->off;
	unsigned long long n;
	switch (o->type) {
	case OT_STR:
	case OT_LEVEL:
		if (o->type == OT_LEVEL && strcmp(val, "error") && strcmp(val, "warning") && strcmp(val, "info") &&
		    strcmp(val, "debug")) {
			sl_pushf(errs, "%s:%d: %s: '%s' is not error, warning, info or debug", file, line, o->key, val);
			return -1;
		}
		free(*(char **)dst);
		*(char **)dst = xstrdup(val);
		return 0;
	case OT_LIST:	/* only the default comes here as text; the file gives a list (set_list) */
		sl_free((strlist *)dst);
		for (const char *p = val; *p;) {
			size_t len = strcspn(p, ",");
			sl_push((strlist *)dst, xstrndup(p, len));
			p += len + (p[len] == ',');
		}
		return 0;
	case OT_BOOL:
		if (!strcmp(val, "true") || !strcmp(val, "yes") || !strcmp(val, "on"))
			*(bool *)dst = true;
		else if (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "off"))
			*(bool *)dst = false;
		else {
			sl_pushf(errs, "%s:%d: %s: expected true or false, not '%s'", file, line, o->key, val);
			return -1;
		}
		return 0;
	case OT_UINT:
	case OT_SIZE:
	case OT_SECONDS:
		if (parse_number(val, o->type, &n) < 0) {
			sl_pushf(errs, "%s:%d: %s: '%s' is not a %s", file, line, o->key, val,
				 o->type == OT_SIZE ? "size (e.g. 10M)" : o->type == OT_SECONDS ? "duration (e.g. 60s, 5m)" : "number");
			return -1;
		}
		if (n < o->min || n > o->max) {
			sl_pushf(errs, "%s:%d: %s: %llu is outside %llu..%llu", file, line, o->key, n, o->min, o->max);
			return -1;
		}
		if (o->type == OT_SIZE)
			*(size_t *)dst = (size_t)n;
		else
			*(unsigned *)dst = (unsigned)n;
		return 0;
	}
	return -1;
}

static void set_defaults(void *base, const opt *opts, size_t n)
{
	strlist ignored = STRLIST_INIT;
	for (size_t i = 0; i < n; i++)
		if (opts[i].def)
			set_opt(base, &opts[i], opts[i].def, "default", 0, &ignored);
	sl_free(&ignored);
}

static const opt *find_opt(const opt *opts, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(opts[i].key, key))
			return &opts[i];
	return NULL;
}

static bool is_secret_key(const char *k)
{
	return !strcmp(k, "password") || !strcmp(k, "pass") || !strcmp(k, "secret");
}

/* a list of words: [a, b] or one item per line; an empty list is allowed */
static void set_list(void *base, const opt *o, const ynode *val, const char *file, strlist *errs)
{
	strlist *dst = (strlist *)((char *)base + o->off);
	if (val->type != YN_SEQ && !(val->type == YN_SCALAR && !strcmp(val->value, "[]"))) {
		sl_pushf(errs, "%s:%d: %s: expected a list, e.g. [dealer_code, serial_no]", file, val->line, o->key);
		return;
	}
	sl_free(dst);
	if (dst == &((config *)base)->required_fields)
		((config *)base)->required_fields_line = val->line;
	for (size_t i = 0; val->type == YN_SEQ && i < val->n; i++) {
		const ynode *it = val->items[i];
		if (it->type != YN_SCALAR || !*it->value) {
			sl_pushf(errs, "%s:%d: %s: each item is a word", file, it->line, o->key);
			continue;
		}
		for (size_t j = 0; j < dst->n; j++)
			if (!strcmp(dst->v[j], it->value))
				sl_pushf(errs, "%s:%d: %s: '%s' is listed twice", file, it->line, o->key, it->value);
		sl_push(dst, xstrdup(it->value));
	}
}

/* apply a mapping of options; `prefix` is "section." or "" */
static void apply_map(void *base, const opt *opts, size_t nopts, const ynode *map, const char *prefix,
		      const char *file, strlist *errs)
{
	for (size_t i = 0; i < map->n; i++) {
		char *key = xasprintf("%s%s", prefix, map->keys[i]);
		const ynode *val = map->items[i];
		const opt *o = find_opt(opts, nopts, key);
		if (is_secret_key(map->keys[i]))
			sl_pushf(errs, "%s:%d: %s: secrets do not belong in the configuration; use password_file "
				 "or password_env", file, map->key_lines[i], key);
		else if (!o)
			sl_pushf(errs, "%s:%d: unknown option '%s'", file, map->key_lines[i], key);
		else if (o->type == OT_LIST)
			set_list(base, o, val, file, errs);
		else if (val->type != YN_SCALAR)
			sl_pushf(errs, "%s:%d: %s: expected a single value", file, val->line, key);
		else
			set_opt(base, o, val->value, file, val->line, errs);
		free(key);
	}
}

static void load_mailboxes(config *c, const ynode *seq, const char *file, strlist *errs)
{
	if (seq->type != YN_SEQ) {
		sl_pushf(errs, "%s:%d: mailboxes: expected a list", file, seq->line);
		return;
	}
	c->mailboxes = xcalloc(seq->n ? seq->n : 1, sizeof *c->mailboxes);
	for (size_t i = 0; i < seq->n; i++) {
		const ynode *m = seq->items[i];
		mailbox_conf *mb = &c->mailboxes[c->nmailboxes++];
		set_defaults(mb, mailbox_opts, ARRAY_LEN(mailbox_opts));
		if (m->type != YN_MAP) {
			sl_pushf(errs, "%s:%d: mailboxes: each mailbox is a mapping", file, m->line);
			continue;
		}
		apply_map(mb, mailbox_opts, ARRAY_LEN(mailbox_opts), m, "", file, errs);
		if (!mb->url) {
			sl_pushf(errs, "%s:%d: mailbox needs a url", file, m->line);
			continue;
		}
		if (!mb->name)
			mb->name = xstrdup(mb->url);
		bool imap = !strncmp(mb->url, "imap://", 7), imaps = !strncmp(mb->url, "imaps://", 8);
		if (!imap && !imaps && strncmp(mb->url, "maildir:", 8) && strncmp(mb->url, "mbox:", 5))
			sl_pushf(errs, "%s:%d: mailbox %s: url must start with imaps://, imap://, maildir: or mbox:",
				 file, m->line, mb->name);
		if (imap && !mb->allow_plaintext)
			sl_pushf(errs, "%s:%d: mailbox %s: imap:// sends the password in clear; use imaps:// or set "
				 "allow_plaintext: true", file, m->line, mb->name);
		if ((imap || imaps) && !mb->username)
			sl_pushf(errs, "%s:%d: mailbox %s: username is required for IMAP", file, m->line, mb->name);
		for (size_t j = 0; j + 1 < c->nmailboxes; j++)
			if (!strcmp(c->mailboxes[j].name, mb->name))
				sl_pushf(errs, "%s:%d: mailbox name '%s' is used twice", file, m->line, mb->name);
	}
}

static void load_tree(config *c, const ynode *root, const char *file, strlist *errs)
{
	if (root->type != YN_MAP) {
		sl_pushf(errs, "%s:%d: expected a mapping of sections", file, root->line);
		return;
	}
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->keys[i];
		const ynode *n = root->items[i];
		char *err = NULL;
		if (!strcmp(k, "vocabulary")) {
			if (vocab_merge_tree(c->v, n, file, &err) < 0)
				sl_push(errs, err);
		} else if (!strcmp(k, "vocabulary_files")) {
			for (size_t j = 0; j < (n->type == YN_SEQ ? n->n : 0); j++) {
				const ynode *f = n->items[j];
				size_t len;
				char *text = f->type == YN_SCALAR ? file_read(f->value, 4u << 20, &len, &err) : NULL;
				if (!text) {
					sl_pushf(errs, "%s:%d: vocabulary_files: %s", file, f->line, err ? err : "expected a path");
					free(err);
					continue;
				}
				if (vocab_merge_yaml(c->v, text, len, f->value, &err) < 0)
					sl_push(errs, err);
				free(text);
			}
		} else if (!strcmp(k, "mailboxes")) {
			load_mailboxes(c, n, file, errs);
		} else if (n->type == YN_MAP) {
			char *prefix = xasprintf("%s.", k);
			bool known = false;
			for (size_t j = 0; j < ARRAY_LEN(top_opts); j++)
				known |= !strncmp(top_opts[j].key, prefix, strlen(prefix));
			if (known)
				apply_map(c, top_opts, ARRAY_LEN(top_opts), n, prefix, file, errs);
			else
				sl_pushf(errs, "%s:%d: unknown section '%s'", file, root->key_lines[i], k);
			free(prefix);
		} else {
			sl_pushf(errs, "%s:%d: unknown section '%s'", file, root->key_lines[i], k);
		}
	}
}

/* after the vocabulary is complete (a file may add fields): every required field is one */
static void check_required_fields(const config *c, const char *file, strlist *errs)
{
	for (size_t i = 0; i < c->required_fields.n; i++)
		if (vocab_field_index(c->v, c->required_fields.v[i]) < 0)
			sl_pushf(errs, "%s:%d: tracking.required_fields: '%s' is not a field of the vocabulary",
				 file, c->required_fields_line, c->required_fields.v[i]);
}

config *config_load(const char *path, strlist *errs)
{
	config *c = xcalloc(1, sizeof *c);
	char *err = NULL;
	size_t before = errs->n;
	c->v = vocab_default(&err);
	if (!c->v) {
		sl_push(errs, err);
		config_free(c);
		return NULL;
	}
	set_defaults(c, top_opts, ARRAY_LEN(top_opts));
	if (path) {
		c->path = xstrdup(path);
		size_t len;
		char *text = file_read(path, 4u << 20, &len, &err);
		if (!text) {
			sl_push(errs, err);
		} else {
			ynode *root = ytree_parse(text, len, path, &err);
			if (!root)
				sl_push(errs, err);
			else
				load_tree(c, root, path, errs);
			check_required_fields(c, path, errs);
			ytree_free(root);
			free(text);
		}
	}
	if (errs->n > before) {
		config_free(c);
		return NULL;
	}
	return c;
}

config *config_load_or_report(const char *path, const char *prog)
{
	strlist errs = STRLIST_INIT;
	config *c = config_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s%s%s\n", prog ? prog : "", prog ? ": " : "", errs.v[i]);
	sl_free(&errs);
	return c;
}

static void free_strings(void *base, const opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].type == OT_STR || opts[i].type == OT_LEVEL)
			free(*(char **)((char *)base + opts[i].off));
		else if (opts[i].type == OT_LIST)
			sl_free((strlist *)((char *)base + opts[i].off));
}

void config_free(config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmailboxes; i++)
		free_strings(&c->mailboxes[i], mailbox_opts, ARRAY_LEN(mailbox_opts));
	free(c->mailboxes);
	free_strings(c, top_opts, ARRAY_LEN(top_opts));
	vocab_free(c->v);
	free(c->path);
	free(c);
}

void config_mailbox_warnings(const mailbox_conf *mb, strlist *out)
{
	bool imap = !strncmp(mb->url, "imap://", 7), imaps = !strncmp(mb->url, "imaps://", 8);
	if (mb->allow_plaintext)
		sl_pushf(out, "mailbox %s: allow_plaintext: true — %s", mb->name,
			 imap ? "the IMAP password travels in clear"
			      : "would let the IMAP password travel in clear (not used while the url is not imap://)");
	if (mb->insecure_skip_verify)
		sl_pushf(out, "mailbox %s: insecure_skip_verify: true — %s", mb->name,
			 imaps ? "the server's certificate is not checked: anyone on the way can pose as the server "
				 "and read the password"
			       : "would not check the server's certificate (not used while the url is not imaps://)");
}

static void print_table(const opt *opts, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%-28s %-10s %s\n", indent, opts[i].key, opts[i].def ? opts[i].def : "-", opts[i].help);
}

void config_print_defaults(void)
{
	print_table(top_opts, ARRAY_LEN(top_opts), "  ");
	printf("  mailboxes[]:\n");
	print_table(mailbox_opts, ARRAY_LEN(mailbox_opts), "    ");
}

char *config_secret(const char *file, const char *env, char **err)
{
	*err = NULL;
	if (file) {
		struct stat st;
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			*err = xasprintf("secret file %s: %s", file, strerror(errno));
			return NULL;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			*err = xasprintf("secret file %s: not a regular file", file);
			return NULL;
		}
		if (st.st_mode & (S_IRWXG | S_IRWXO)) {
			close(fd);
			*err = xasprintf("secret file %s: mode %03o lets others read it; chmod 600", file,
					 (unsigned)(st.st_mode & 0777));
			return NULL;
		}
		close(fd);
		size_t len;
		char *s = file_read(file, 4096, &len, err);
		if (!s)
			return NULL;
		while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		return s;
	}
	if (env) {
		const char *v = getenv(env);
		if (!v) {
			*err = xasprintf("environment variable %s is not set", env);
			return NULL;
		}
		return xstrdup(v);
	}
	return NULL;
}
