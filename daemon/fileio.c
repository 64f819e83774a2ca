/* fileio — whole files with a limit; the size is checked before and while reading. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read(const char *path, size_t max, size_t *len, char **err)
{
	strbuf b = STRBUF_INIT;
	struct stat st;
	char *out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*err = NULL;
	if (fd < 0) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		*err = xasprintf("cannot read %s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		*err = xasprintf("%s: %lld bytes exceeds the limit of %zu bytes", path, (long long)st.st_size, max);
		goto out;
	}
	char tmp[65536];
	ssize_t r;
	while ((r = read(fd, tmp, sizeof tmp)) > 0) {
		sb_add(&b, tmp, (size_t)r);
		if (b.len > max) {
			*err = xasprintf("%s: exceeds the limit of %zu bytes", path, max);
			goto out;
		}
	}
	if (r < 0) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	*len = b.len;
	out = sb_steal(&b);
out:
	sb_free(&b);
	close(fd);
	return out;
}
