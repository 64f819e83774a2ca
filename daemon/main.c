/*
 * main — the defectd command: the daemon (`run`), `parse`, `migrate`, the
 * configuration check (-n) and the operator commands (`defectctl …`, also reachable
 * as `defectd ctl …`).  Only dispatch lives here.
 */
#include "cmd_parse.h"
#include "config.h"
#include "ctl.h"
#include "db.h"
#include "log.h"
#include "loop.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFECTD_VERSION "0.2.0"
#ifndef DEFECTD_SQL_DIR
#define DEFECTD_SQL_DIR "/usr/local/share/defectd/sql"
#endif
#define DEFAULT_CONFIG "/etc/defectd/defectd.yaml"

static void usage(FILE *f)
{
	fputs("usage: defectd COMMAND [OPTIONS]\n"
	      "\n"
	      "defectd turns a mailing list of market-defect reports (市場不具合) into a\n"
	      "tracked PostgreSQL database.\n"
	      "\n"
	      "commands:\n"
	      "  run [-c CONFIG] [--once]    the service: poll every mailbox, ingest exactly once\n"
	      "                              (--once: one pass, then exit)\n"
	      "  -n [-c CONFIG]              check the configuration and print \"configuration OK\"\n"
	      "  migrate [-c CONFIG] [--sql-dir DIR]\n"
	      "                              apply the schema files under sql/ not applied yet\n"
	      "  parse [-c CONFIG] FILE...   parse mail files, print one JSON line per file\n"
	      "                              (offline: no database, no network)\n"
	      "  ctl [-c CONFIG] COMMAND     operator commands (also installed as defectctl)\n"
	      "  help | version\n"
	      "\n"
	      "CONFIG defaults to $DEFECTD_CONFIG, else " DEFAULT_CONFIG ".\n"
	      "\n"
	      "configuration options (section.option, default, meaning):\n",
	      f);
}

static const char *default_config(void)
{
	const char *e = getenv("DEFECTD_CONFIG");
	return e && *e ? e : DEFAULT_CONFIG;
}

/* -c FILE anywhere among the options; removes it from argv */
static const char *take_config(int *argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < *argc) {
			path = argv[i + 1];
			memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
			*argc -= 2;
			i--;
		}
	}
	return path ? path : default_config();
}

static bool take_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++)
		if (!strcmp(argv[i], flag)) {
			memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
			(*argc)--;
			return true;
		}
	return false;
}

static const char *take_value(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i + 1 < *argc; i++)
		if (!strcmp(argv[i], flag)) {
			const char *v = argv[i + 1];
			memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
			*argc -= 2;
			return v;
		}
	return NULL;
}

static int check_config(const char *path)
{
	config *c = config_load_or_report(path, NULL);
	if (!c)
		return 1;
	config_free(c);
	printf("configuration OK\n");
	return 0;
}

static const char *sql_dir(const char *given)
{
	struct stat st;
	if (given)
		return given;
	if (stat(DEFECTD_SQL_DIR, &st) == 0)
		return DEFECTD_SQL_DIR;
	return "sql";
}

static int cmd_migrate(const char *path, const char *dir)
{
	strlist applied = STRLIST_INIT;
	config *c = config_load_or_report(path, "defectd migrate");
	int rc = 1;
	char *err = NULL;
	if (!c)
		return 2;
	PGconn *db = db_connect_config(c, c->db_migrate_conninfo, &err);
	if (db && db_migrate(db, sql_dir(dir), &applied, &err) == 0) {
		for (size_t i = 0; i < applied.n; i++)
			printf("applied %s\n", applied.v[i]);
		printf("schema up to date (%zu file%s applied now)\n", applied.n, applied.n == 1 ? "" : "s");
		rc = 0;
		/* an old default that lets any role shadow built-ins for sessions with public on
		 * their path (ours never have it; other tools' may) */
		int rv = db_revoke_public_create(db, &err);
		if (rv > 0)
			printf("revoked CREATE on schema public from PUBLIC\n");
		else if (rv < 0)
			fprintf(stderr, "defectd migrate: warning: %s\n", err);
		xfree(&err);
	}
	if (db)
		PQfinish(db);
	if (rc)
		fprintf(stderr, "defectd migrate: %s\n", err ? err : "failed");
	free(err);
	sl_free(&applied);
	config_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	char *me = basename(argv[0]);
	if (!strcmp(me, "defectctl")) {
		const char *path = take_config(&argc, argv);
		return ctl_main(path, argc - 1, argv + 1);
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "parse"))
		return cmd_parse(argc - 1, argv + 1);
	if (!strcmp(cmd, "-n") || !strcmp(cmd, "check")) {
		argc--;
		argv++;
		return check_config(take_config(&argc, argv));
	}
	if (!strcmp(cmd, "run")) {
		argc--;
		argv++;
		bool once = take_flag(&argc, argv, "--once");
		loop_opts o = { take_config(&argc, argv), once, NULL };
		if (argc > 1) {
			fprintf(stderr, "defectd run: unexpected argument '%s'\n", argv[1]);
			return 2;
		}
		return loop_run(&o);
	}
	if (!strcmp(cmd, "migrate")) {
		argc--;
		argv++;
		const char *dir = take_value(&argc, argv, "--sql-dir");
		return cmd_migrate(take_config(&argc, argv), dir);
	}
	if (!strcmp(cmd, "ctl")) {
		argc--;
		argv++;
		const char *path = take_config(&argc, argv);
		return ctl_main(path, argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		config_print_defaults();
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("defectd %s\n", DEFECTD_VERSION);
		return 0;
	}
	fprintf(stderr, "defectd: unknown command '%s' (try defectd --help)\n", cmd);
	return 2;
}
