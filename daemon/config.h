/*
 * config — defectd.yaml: every option declared once in a table (type, default,
 * range); all errors reported as "file:line: message"; a new object per load so a
 * reload (SIGHUP) swaps only a configuration that is valid as a whole.
 * Secrets never live here: passwords come from files (permissions checked) or the
 * environment.
 */
#ifndef DEFECTD_CONFIG_H
#define DEFECTD_CONFIG_H

#include "message.h"
#include "util.h"
#include "vocab.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct mailbox_conf {
	char *name;		/* unique; the key of its state in the database */
	char *url;		/* imap://host[:port]/MAILBOX, imaps://…, maildir:/path, mbox:/path */
	char *username;
	char *password_file;	/* secret file, mode 0600 or stricter */
	char *password_env;	/* or the name of an environment variable */
	char *ca_file;		/* private CA for TLS verification */
	bool allow_plaintext;	/* imap:// without TLS: only when explicitly allowed */
	bool insecure_skip_verify;
	char *processed_keyword;	/* IMAP keyword set on committed mail */
	char *move_to;		/* folder for processed mail, or NULL */
	char *quarantine_folder;	/* folder for quarantined mail, or NULL */
	unsigned poll_interval;	/* seconds */
	unsigned max_attempts;	/* then the message is quarantined (poison) */
	unsigned batch;		/* messages per poll, at most */
} mailbox_conf;

typedef struct config {
	char *path;		/* NULL: built-in defaults */
	vocab *v;
	parse_limits limits;
	unsigned parser_timeout;
	size_t parser_window;
	size_t parser_memory_mb;
	char *db_conninfo;
	char *db_ctl_conninfo;		/* for defectctl (a login granted defectd_maintainer or
					 * defectd_reader); NULL = db_conninfo with the password */
	char *db_migrate_conninfo;	/* for `defectd migrate` (a role that may create roles); NULL = db_conninfo */
	char *db_password_file;
	char *db_password_env;
	char *log_level;	/* error, warning, info, debug */
	unsigned backoff_max;	/* seconds between reconnect attempts, at most */
	unsigned watchdog_ping;	/* seconds; 0 = as systemd asks */
	strlist required_fields;	/* field keys the data track requires (SPEC §6), checked
					 * against the vocabulary; may be empty */
	int required_fields_line;	/* where the file set it (0: the default) */
	mailbox_conf *mailboxes;
	size_t nmailboxes;
} config;

/* Load `path` (NULL = defaults only).  NULL on error, with one line per problem in
 * `errors` ("file:line: message"). */
config *config_load(const char *path, strlist *errors);
void config_free(config *c);
/* config_load, with every problem printed to stderr as "prog: problem" (prog may be NULL) */
config *config_load_or_report(const char *path, const char *prog);

/* The options that weaken a mailbox's transport security, one line each appended to `out`
 * ("mailbox NAME: allow_plaintext: true — …"): the daemon logs them at start and on reload,
 * `defectctl status` shows them. */
void config_mailbox_warnings(const mailbox_conf *mb, strlist *out);

/* print every option with its default (for --help and the example file check) */
void config_print_defaults(void);

/* Read a secret from a file (must not be readable by group/others) or the
 * environment variable.  Returns the secret (caller wipes and frees) or NULL with
 * *err. Trailing newline removed. */
char *config_secret(const char *file, const char *env, char **err);

#endif
