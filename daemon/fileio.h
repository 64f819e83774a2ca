/* fileio — reading a whole file with a size limit (configuration, secrets, mail files). */
#ifndef DEFECTD_FILEIO_H
#define DEFECTD_FILEIO_H

#include "util.h"

#include <stddef.h>

/* The file's bytes, NUL-terminated (caller frees), or NULL with *err ("PATH: reason",
 * caller frees): unreadable, a directory, or more than `max` bytes. */
char *file_read(const char *path, size_t max, size_t *len, char **err) WUR;

#endif
