/*
 * worker — runs message_parse in a long-lived child process, so that a message that
 * crashes or hangs the parser (libetpan has known crashes) costs that message, not
 * the caller.  Requests are pipelined (a window of messages in flight); answers come
 * back in order as JSON (record.c's format).  A dead or stuck child is replaced and
 * the messages behind the culprit are sent again.
 */
#ifndef DEFECTD_WORKER_H
#define DEFECTD_WORKER_H

#include "message.h"
#include "util.h"
#include "vocab.h"

#include <stddef.h>

typedef struct worker worker;

struct worker_opts;
typedef struct worker_opts {
	const vocab *v;			/* borrowed: must outlive the worker */
	parse_limits limits;
	unsigned timeout_seconds;	/* one message; 0 = 60 */
	size_t window;			/* messages in flight; 0 = 64 */
	size_t max_memory_mb;		/* RLIMIT_AS of the child; 0 = 2048 (not under ASan) */
	/* what the child runs on each message (NULL: message_parse + result_to_json);
	 * returns JSON, caller frees.  Tests use it to crash or hang the child. */
	char *(*parse_fn)(const char *bytes, size_t len, const struct worker_opts *o);
} worker_opts;

/* Called for each answer, in submission order.  `json` is borrowed. */
typedef void (*worker_done_fn)(void *ctx, void *tag, const char *json, size_t len);

worker *worker_new(const worker_opts *o, char **err) WUR;
/*
 * Queue one message (the bytes are copied).  May block while the window is full,
 * delivering earlier answers through `done`.  Returns 0, or -1 when no worker can be
 * started at all (then *err).
 */
int worker_submit(worker *w, const char *bytes, size_t len, void *tag, worker_done_fn done,
		  void *ctx, char **err) WUR;
/* Deliver every outstanding answer. */
int worker_drain(worker *w, worker_done_fn done, void *ctx, char **err) WUR;
/* Parse one message synchronously; returns the JSON (caller frees). */
char *worker_parse(worker *w, const char *bytes, size_t len, char **err);
/* number of child restarts so far (crashes, time-outs; a crash with several
 * messages in flight costs a second restart to find the culprit) */
size_t worker_restarts(const worker *w);
/* number of messages answered with an error because they crashed or hung the parser */
size_t worker_failures(const worker *w);
void worker_free(worker *w);

#endif
