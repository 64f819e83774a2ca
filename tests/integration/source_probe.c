/*
 * source_probe — drives one source (source.h) from the command line for
 * tests/integration/test_source_imap.sh.  Options set up the mailbox, then the
 * commands run in order on the same source object, so connection reuse and
 * reconnects are exercised the way the daemon does it:
 *
 *   source_probe --url URL [--user U] [--password-file F] [--ca-file F] [--plain]
 *       [--insecure] [--keyword K] [--move-to F] [--quarantine F] [--uidvalidity V]
 *       [--last-uid N] [--max N] [--max-bytes N] COMMAND...
 *
 *   scan               prints "scan OK uidvalidity=V n=N" and "item KEY uid=U size=S"
 *   fetch UID OUT      writes the bytes to OUT; "fetch OK len=N" (size from the last scan)
 *   fetch0 UID OUT     the same with the size unknown (the write callback's limit)
 *   mark UID | quarantine UID | disconnect
 *   waitfile PATH      wait (up to 60 s) until PATH exists
 *
 * A failure prints "CMD RC: message" (RC = TEMP, FATAL, UIDVALIDITY, TOO_BIG, GONE);
 * after TEMP the probe calls source_disconnect, as the daemon does.  Exit status 0
 * unless the usage is wrong.
 */
#include "source.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *rc_name(source_rc rc)
{
	switch (rc) {
	case SRC_OK:
		return "OK";
	case SRC_TEMP:
		return "TEMP";
	case SRC_FATAL:
		return "FATAL";
	case SRC_UIDVALIDITY:
		return "UIDVALIDITY";
	case SRC_TOO_BIG:
		return "TOO_BIG";
	case SRC_GONE:
		return "GONE";
	}
	return "?";
}

static void usage(void)
{
	fprintf(stderr, "usage: source_probe --url URL [options] COMMAND... (see the source)\n");
	exit(2);
}

static void report(source *s, const char *cmd, source_rc rc, char *err)
{
	if (rc != SRC_OK)
		printf("%s %s: %s\n", cmd, rc_name(rc), err ? err : "(no message)");
	if (rc == SRC_TEMP)
		source_disconnect(s);
	free(err);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	mailbox_conf mb = { 0 };
	source_state st = { 0, 0 };
	size_t max = 1000, max_bytes = 50u << 20;
	int i = 1;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--plain")) {
			mb.allow_plaintext = true;
			continue;
		}
		if (!strcmp(o, "--insecure")) {
			mb.insecure_skip_verify = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--url"))
			mb.url = (char *)v;
		else if (!strcmp(o, "--user"))
			mb.username = (char *)v;
		else if (!strcmp(o, "--password-file"))
			mb.password_file = (char *)v;
		else if (!strcmp(o, "--ca-file"))
			mb.ca_file = (char *)v;
		else if (!strcmp(o, "--keyword"))
			mb.processed_keyword = (char *)v;
		else if (!strcmp(o, "--move-to"))
			mb.move_to = (char *)v;
		else if (!strcmp(o, "--quarantine"))
			mb.quarantine_folder = (char *)v;
		else if (!strcmp(o, "--uidvalidity"))
			st.uidvalidity = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--last-uid"))
			st.last_uid = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--max"))
			max = strtoull(v, NULL, 10);
		else if (!strcmp(o, "--max-bytes"))
			max_bytes = strtoull(v, NULL, 10);
		else
			usage();
	}
	if (!mb.url || i >= argc)
		usage();

	char *err = NULL;
	source *s = source_open(&mb, &err);
	if (!s) {
		printf("open FATAL: %s\n", err);
		free(err);
		return 0;
	}
	source_item *items = NULL;
	size_t n = 0;
	uint64_t uidvalidity = st.uidvalidity;

	for (; i < argc; i++) {
		const char *cmd = argv[i];
		source_rc rc;
		err = NULL;
		if (!strcmp(cmd, "scan")) {
			source_items_free(items, n);
			items = NULL;
			n = 0;
			uint64_t uv = 0;
			rc = source_scan(s, &st, max, &items, &n, &uv, &err);
			if (rc == SRC_OK) {
				printf("scan OK uidvalidity=%" PRIu64 " n=%zu\n", uv, n);
				for (size_t k = 0; k < n; k++)
					printf("item %s uid=%" PRIu64 " size=%zu\n", items[k].key, items[k].uid,
					       items[k].size);
				if (!uidvalidity)
					uidvalidity = uv;
			}
			report(s, cmd, rc, err);
		} else if (!strcmp(cmd, "fetch") || !strcmp(cmd, "fetch0") || !strcmp(cmd, "mark") ||
			   !strcmp(cmd, "quarantine")) {
			if (i + 1 >= argc)
				usage();
			uint64_t uid = strtoull(argv[++i], NULL, 10);
			char *key = xasprintf("%" PRIu64 "/%" PRIu64, uidvalidity, uid);
			source_item it = { .key = key, .uid = uid };
			for (size_t k = 0; k < n && !strcmp(cmd, "fetch"); k++)
				if (items[k].uid == uid)
					it.size = items[k].size;
			if (cmd[0] == 'f') {
				if (i + 1 >= argc)
					usage();
				const char *out = argv[++i];
				char *bytes = NULL;
				size_t len = 0;
				rc = source_fetch(s, &it, uidvalidity, max_bytes, &bytes, &len, &err);
				if (rc == SRC_OK) {
					FILE *f = fopen(out, "wb");
					if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
						perror(out);
						return 1;
					}
					printf("%s OK len=%zu\n", cmd, len);
				}
				free(bytes);
			} else if (cmd[0] == 'm') {
				rc = source_mark_done(s, &it, uidvalidity, &err);
				if (rc == SRC_OK)
					printf("mark OK\n");
			} else {
				rc = source_quarantine(s, &it, uidvalidity, &err);
				if (rc == SRC_OK)
					printf("quarantine OK\n");
			}
			report(s, cmd, rc, err);
			free(key);
		} else if (!strcmp(cmd, "prefetch")) {
			source_prefetch(s, items, n, uidvalidity, max_bytes);
			printf("prefetch OK\n");
		} else if (!strcmp(cmd, "disconnect")) {
			source_disconnect(s);
			printf("disconnect OK\n");
		} else if (!strcmp(cmd, "waitfile")) {
			if (i + 1 >= argc)
				usage();
			const char *p = argv[++i];
			for (int t = 0; t < 600 && access(p, F_OK) != 0; t++)
				nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			printf("waitfile %s\n", access(p, F_OK) == 0 ? "OK" : "TIMEOUT");
		} else {
			usage();
		}
		fflush(stdout);
	}
	source_items_free(items, n);
	source_close(s);
	return 0;
}
