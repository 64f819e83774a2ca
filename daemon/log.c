/* log — levelled lines on stderr, journal priorities under systemd. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level current = LOG_INFO;
static int journal = -1;

void log_set_level(const char *name)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (name && !strcmp(name, names[i]))
			current = (enum log_level)i;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	/* syslog priorities: err 3, warning 4, info 6, debug 7 */
	static const int prio[] = { 3, 4, 6, 7 };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	if (lvl > current)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (journal) {
		fprintf(stderr, "<%d>%s\n", prio[lvl], msg);
	} else {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		fprintf(stderr, "%s defectd[%s] %s\n", ts, tag[lvl], msg);
	}
	free(msg);
}
