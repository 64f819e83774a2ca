/*
 * log — levelled messages to stderr; under systemd (JOURNAL_STREAM set) each line
 * carries a <N> priority prefix the journal understands.  Never pass personal data
 * (customer name, address, phone) or secrets to these functions: log message ids,
 * defect refs and mailbox names instead.
 */
#ifndef DEFECTD_LOG_H
#define DEFECTD_LOG_H

#include "util.h"

enum log_level { LOG_ERROR = 0, LOG_WARNING = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* "error", "warning", "info", "debug"; unknown names keep the current level */
void log_set_level(const char *name);
void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF(2, 3);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
