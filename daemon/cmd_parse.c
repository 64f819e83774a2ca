/*
 * cmd_parse — `defectd parse`: one JSON line per file, in order.  Files are read
 * here and parsed in the worker process, so a file that crashes the parser gets an
 * error line and the run goes on.  Memory stays flat: at most `window` files are
 * held at once.
 */
#include "cmd_parse.h"
#include "config.h"
#include "fileio.h"
#include "worker.h"

#include <getopt.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
	char **files;
	int failed;
} run;

static void print_line(run *r, size_t idx, const char *json, size_t len)
{
	char *file = json_quote(r->files[idx]);
	/* splice "file" in as the first member */
	fputs("{\"file\":", stdout);
	fputs(file, stdout);
	if (len > 2) {
		fputc(',', stdout);
		fwrite(json + 1, 1, len - 1, stdout);
	} else {
		fputc('}', stdout);
	}
	fputc('\n', stdout);
	free(file);
	/* an error member means the file was not read completely */
	if (memmem(json, len, "\"error\":", 8))
		r->failed = 1;
}

static void done(void *ctx, void *tag, const char *json, size_t len)
{
	print_line(ctx, (size_t)(uintptr_t)tag, json, len);
}

static double cpu_seconds(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void usage(FILE *f)
{
	fputs("usage: defectd parse [-c CONFIG] [--stats] FILE...\n"
	      "Parse each file as one RFC 5322 message and print one JSON object per line.\n"
	      "Touches no database and no network.  Exit 0 when every file was read, 1 otherwise.\n"
	      "--stats: print to stderr the CPU time of the parser process and of this one.\n",
	      f);
}

int cmd_parse(int argc, char **argv)
{
	const char *conf_path = NULL;
	bool stats = false;
	int c;
	static const struct option longopts[] = { { "stats", no_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			stats = true;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	config *conf = config_load_or_report(conf_path, "defectd");
	if (!conf)
		return 2;
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

	worker_opts wo = { conf->v, conf->limits, conf->parser_timeout, conf->parser_window,
			   conf->parser_memory_mb, NULL };
	char *err = NULL;
	worker *w = worker_new(&wo, &err);
	if (!w) {
		fprintf(stderr, "defectd: cannot start the parser: %s\n", err);
		free(err);
		config_free(conf);
		return 2;
	}
	run r = { argv, 0 };
	int rc = 0;
	for (int i = optind; i < argc && rc == 0; i++) {
		size_t len = 0;
		char *bytes = file_read(argv[i], conf->limits.max_message_bytes, &len, &err);
		if (!bytes) {
			/* keep the output in file order: flush what is in flight first */
			char *e2 = NULL;
			if (worker_drain(w, done, &r, &e2) < 0) {
				fprintf(stderr, "defectd: %s\n", e2);
				free(e2);
				rc = 2;
			}
			char *quoted = json_quote(err);
			char *line = xasprintf("{\"records\":[],\"error\":%s}", quoted);
			print_line(&r, (size_t)i, line, strlen(line));
			free(line);
			free(quoted);
			free(err);
			err = NULL;
			continue;
		}
		if (worker_submit(w, bytes, len, (void *)(uintptr_t)i, done, &r, &err) < 0) {
			fprintf(stderr, "defectd: %s\n", err);
			free(err);
			rc = 2;
		}
		free(bytes);
	}
	if (rc == 0 && worker_drain(w, done, &r, &err) < 0) {
		fprintf(stderr, "defectd: %s\n", err);
		free(err);
		rc = 2;
	}
	fflush(stdout);
	worker_free(w);
	if (stats) {
		/* the parser process has been waited for: its time is in RUSAGE_CHILDREN */
		double child = cpu_seconds(RUSAGE_CHILDREN), self = cpu_seconds(RUSAGE_SELF);
		int n = argc - optind;
		fprintf(stderr, "parse stats: %d files; parser process %.3f s CPU (%.0f files per CPU second); "
				"reading and writing %.3f s CPU\n", n, child, child > 0 ? n / child : 0.0, self);
	}
	config_free(conf);
	return rc ? rc : r.failed;
}
