/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_file - the JSON-lines file sink (see audit_sink.h, audit.h).
 */
#include "audit_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "xalloc.h"

/* Lines per writev(2); Linux allows IOV_MAX (1024). */
#define AUDIT_FILE_IOV 64

struct audit_file {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
};

/* audit_file_close - forget the open file */
static void
audit_file_close(struct audit_file *f)
{
	if (f->fd >= 0)
		(void)close(f->fd);	/* O_APPEND data is already written */
	f->fd = -1;
}

/* audit_file_open - open (create) the file by name for appending */
static int
audit_file_open(struct audit_file *f, struct err *e)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				      O_NOCTTY, 0640);
	if (f->fd < 0) {
		err_set(e, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "not a regular file");
		audit_file_close(f);
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

/* audit_file_rotated - has the name been given to another file (or to
 * none) since we opened it?  logrotate's default renames the file and
 * creates a new one; copytruncate keeps the inode (O_APPEND copes). */
static int
audit_file_rotated(const struct audit_file *f)
{
	struct stat st;

	if (stat(f->path, &st) < 0)
		return 1;
	return st.st_dev != f->dev || st.st_ino != f->ino;
}

/* audit_file_write - append a batch of lines */
static int
audit_file_write(void *state, const struct audit_line *lines, size_t n,
		 struct err *e)
{
	struct audit_file *f = state;
	struct iovec iov[AUDIT_FILE_IOV];
	size_t done = 0;

	if (f->fd >= 0 && audit_file_rotated(f))
		audit_file_close(f);
	if (f->fd < 0 && audit_file_open(f, e) < 0)
		return -1;
	while (done < n) {
		size_t k = n - done < AUDIT_FILE_IOV ? n - done
						     : AUDIT_FILE_IOV;
		size_t i;
		ssize_t w;

		for (i = 0; i < k; i++) {
			iov[i].iov_base = lines[done + i].text;
			iov[i].iov_len = lines[done + i].len;
		}
		/* A short write (disk full) can leave a partial line; the
		 * rest of the batch is lost and the reader of the file
		 * skips a line that does not parse. */
		i = 0;
		while (i < k) {
			w = writev(f->fd, iov + i, (int)(k - i));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				err_set(e, "write failed: %s",
					w < 0 ? strerror(errno) : "no progress");
				audit_file_close(f);
				return -1;
			}
			while (i < k && (size_t)w >= iov[i].iov_len) {
				w -= (ssize_t)iov[i].iov_len;
				i++;
			}
			if (i < k) {
				iov[i].iov_base = (char *)iov[i].iov_base + w;
				iov[i].iov_len -= (size_t)w;
			}
		}
		done += k;
	}
	return 0;
}

/* audit_file_reopen - open by name again at the next write */
static void
audit_file_reopen(void *state)
{
	audit_file_close(state);
}

/* audit_file_free - close and release */
static void
audit_file_free(void *state)
{
	struct audit_file *f = state;

	audit_file_close(f);
	free(f->path);
	free(f);
}

/* audit_file_new - a file sink for path; nothing is opened yet */
struct audit_sink *
audit_file_new(const char *path)
{
	struct audit_sink *s = xcalloc(1, sizeof(*s));
	struct audit_file *f = xcalloc(1, sizeof(*f));

	f->path = xstrdup(path);
	f->fd = -1;
	s->kind = "file";
	s->where = xstrdup(path);
	s->state = f;
	s->write = audit_file_write;
	s->reopen = audit_file_reopen;
	s->free = audit_file_free;
	return s;
}

/* audit_sink_free - release any sink; NULL is fine */
void
audit_sink_free(struct audit_sink *s)
{
	if (s == NULL)
		return;
	s->free(s->state);
	free(s->where);
	free(s);
}
