/*
 * loop — the service: one loop with timers (poll per mailbox, watchdog, backoff),
 * signals as flags (SIGTERM finishes the message in hand, SIGHUP swaps in a new
 * configuration only when it is valid), systemd notifications, and the
 * exactly-once ingestion recipe per mailbox.
 */
#ifndef DEFECTD_LOOP_H
#define DEFECTD_LOOP_H

#include <stdbool.h>

typedef struct loop_opts {
	const char *config_path;
	bool once;		/* one pass over every mailbox, then exit */
	const char *sql_dir;	/* for the start-up schema check */
} loop_opts;

/* Returns the process exit status. */
int loop_run(const loop_opts *o);

#endif
