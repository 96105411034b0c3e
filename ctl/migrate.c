/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * migrate - "relayguardctl migrate opendkim [-o FILE] [--force] [CONF]":
 * an OpenDKIM configuration (default /etc/opendkim.conf) as a
 * relayguard.conf (core/odkmigrate.h says what is carried over and how).
 *
 * The text goes to stdout, or with -o to FILE (written beside it and
 * renamed into place; an existing FILE only with --force).  Every setting
 * not simply carried over is listed on stderr as "FILE:LINE: Name value:
 * KIND: what became of it", and as comments at the end of the text; with
 * --json both come as one object.  Files the configuration names (Include,
 * data sets, the KeyTable) are read here, host names resolved with the
 * system resolver.
 *
 * Exit: 0 written (notes or not), 2 usage, 5 the output cannot be
 * written, 78 the OpenDKIM configuration cannot be read.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "odkmigrate.h"
#include "str.h"

#define MIGRATE_DEFAULT "/etc/opendkim.conf"

/* migrate_read - a whole file, for odkconf */
static int
migrate_read(void *ctx, const char *path, struct strbuf *out, struct err *e)
{
	char buf[65536];
	ssize_t n;
	int fd;

	(void)ctx;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || strbuf_append(out, buf, (size_t)n) < 0) {
			err_set(e, "%s: %s", path, n < 0 ? strerror(errno)
							 : "file too large");
			(void)close(fd);
			return -1;
		}
	}
	(void)close(fd);
	return 0;
}

/* migrate_resolve - a host name's addresses, space-separated */
static int
migrate_resolve(void *ctx, const char *name, char *out, size_t size)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	size_t len = 0;
	int count = 0;

	(void)ctx;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	out[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)(void *)
					  ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)(void *)
					  ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    inet_ntop(ai->ai_family, p, a, sizeof(a)) == NULL ||
		    strstr(out, a) != NULL ||
		    len + strlen(a) + 2 > size)
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					len ? " " : "", a);
		count++;
	}
	freeaddrinfo(res);
	return count > 0 ? count : -1;
}

/* migrate_write - text into path: a new file beside it, renamed into
 * place; an existing path only with force */
static int
migrate_write(const char *path, const struct strbuf *text, bool force)
{
	char tmp[PATH_MAX];
	int fd;

	if (!force && access(path, F_OK) == 0) {
		ctl_error("migrate: %s exists; not overwritten (--force "
			  "replaces it)", path);
		return CTL_ERROR;
	}
	if (str_format(tmp, sizeof(tmp), "%s.migrate.%ld", path,
		       (long)getpid()) < 0) {
		ctl_error("migrate: %s: path too long", path);
		return CTL_USAGE;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0 ||
	    write(fd, text->data, text->len) != (ssize_t)text->len ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		ctl_error("migrate: %s: %s", path, strerror(errno));
		if (fd >= 0)
			(void)unlink(tmp);
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* migrate_print_notes - the notes on stderr, one line each */
static void
migrate_print_notes(const struct odk_migration *m)
{
	size_t i;
	size_t lost = 0;

	for (i = 0; i < m->nnotes; i++) {
		const struct odk_note *n = &m->notes[i];

		lost += n->kind == ODK_NOTE_LOST;
		fprintf(stderr, "relayguardctl: migrate: %s%s%s%s%s: %s\n",
			n->where, n->where[0] ? ": " : "", n->setting,
			n->setting[0] ? ": " : "", odk_note_kind_name(n->kind),
			n->text);
	}
	fprintf(stderr, "relayguardctl: migrate: %zu note%s, %zu setting%s "
		"not carried over%s\n", m->nnotes, m->nnotes == 1 ? "" : "s",
		lost, lost == 1 ? "" : "s",
		m->signs ? "" : "; nothing to sign with: no KeyTable and "
				"SigningTable carried over");
}

/* migrate_json - {"conf": ..., "signs": ..., "notes": [...]} */
static void
migrate_json(struct ctl *c, const struct odk_migration *m)
{
	struct strbuf sb;
	size_t i;

	strbuf_init(&sb, 4 * ODK_CONF_MAX);
	(void)strbuf_append(&sb, "{", 1);
	ctl_json_str(&sb, "conf", m->conf.data != NULL ? m->conf.data : "");
	ctl_json_raw(&sb, "signs", m->signs ? "true" : "false");
	ctl_json_raw(&sb, "notes", "[");
	for (i = 0; i < m->nnotes; i++) {
		ctl_json_raw(&sb, NULL, "{");
		ctl_json_str(&sb, "where", m->notes[i].where);
		ctl_json_str(&sb, "setting", m->notes[i].setting);
		ctl_json_str(&sb, "kind", odk_note_kind_name(m->notes[i].kind));
		ctl_json_str(&sb, "text", m->notes[i].text);
		(void)strbuf_append(&sb, "}", 1);
	}
	(void)strbuf_append_str(&sb, "]}");
	ctl_json_print(c, &sb);
	strbuf_free(&sb);
}

/* migrate_opendkim - the opendkim subcommand */
static int
migrate_opendkim(struct ctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const struct odk_env env = {migrate_read, migrate_resolve, NULL};
	const char *out = NULL;
	const char *src = MIGRATE_DEFAULT;
	struct odk_migration m;
	struct strbuf text;
	bool force = false;
	struct err e;
	int rc = CTL_OK;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:f", lo, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind > 1) {
		ctl_error("migrate opendkim: one OpenDKIM configuration file "
			  "(default %s)", MIGRATE_DEFAULT);
		return CTL_USAGE;
	}
	if (optind < argc)
		src = argv[optind];
	strbuf_init(&text, ODK_FILE_MAX);
	if (migrate_read(NULL, src, &text, &e) < 0) {
		ctl_error("migrate: %s", e.text);
		strbuf_free(&text);
		return CTL_CONFIG;
	}
	(void)odk_migrate(text.data != NULL ? text.data : "", text.len, src,
			  &env, &m);
	strbuf_free(&text);
	if (c->json)
		migrate_json(c, &m);
	else
		migrate_print_notes(&m);
	if (out != NULL)
		rc = migrate_write(out, &m.conf, force);
	else if (!c->json)
		(void)fwrite(m.conf.data, 1, m.conf.len, c->out);
	if (rc == CTL_OK && out != NULL && !c->json)
		fprintf(stderr, "relayguardctl: migrate: wrote %s; check it "
			"with: relayguard -n -c %s\n", out, out);
	odk_migration_free(&m);
	return rc;
}

/* ctl_migrate - "migrate opendkim ..." */
int
ctl_migrate(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "opendkim") == 0) {
		optind = 0;
		return migrate_opendkim(c, argc - 1, argv + 1);
	}
	ctl_error("migrate: from what? (relayguardctl migrate opendkim "
		  "[/etc/opendkim.conf])");
	return CTL_USAGE;
}
