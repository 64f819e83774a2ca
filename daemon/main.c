/*
 * main — the defectd command: `defectd parse`, the daemon, and the operator
 * commands.  Only dispatch lives here.
 */
#include "cmd_parse.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

#define DEFECTD_VERSION "0.1.0"

static void usage(FILE *f)
{
	fputs("usage: defectd COMMAND [OPTIONS]\n"
	      "\n"
	      "defectd turns a mailing list of market-defect reports (市場不具合) into a\n"
	      "tracked PostgreSQL database.\n"
	      "\n"
	      "commands:\n"
	      "  parse [-c CONFIG] FILE...   parse mail files, print one JSON line per file\n"
	      "                              (offline: no database, no network)\n"
	      "  help                        this text, and the configuration options\n"
	      "  version                     print the version\n"
	      "\n"
	      "configuration options (section.option, default, meaning):\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "parse"))
		return cmd_parse(argc - 1, argv + 1);
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
