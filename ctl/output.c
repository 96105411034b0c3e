/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * output - errors, configuration loading, tables and JSON for the
 * relayguardctl commands (see ctl.h).
 */
#include "ctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "json.h"
#include "str.h"
#include "xalloc.h"

/* ctl_status - the exit status for an error, chosen by its code */
int
ctl_status(const struct err *e)
{
	switch (e->code) {
	case ERR_CONFIG:
		return CTL_CONFIG;
	case ERR_USAGE:
		return CTL_USAGE;
	case ERR_UNAVAILABLE:
		return CTL_UNAVAILABLE;
	case ERR_NOT_YET:
		return CTL_NOT_YET;
	case ERR_NONE:
	case ERR_FAILED:
		break;
	}
	return CTL_ERROR;
}

/* ctl_error - "relayguardctl: TEXT" on stderr */
void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("relayguardctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ctl_load_conf - the settings only (no keys); CTL_CONFIG on error */
int
ctl_load_conf(const struct ctl *c, struct conf **out)
{
	struct err e;

	if (conf_load(c->conf_path, out, &e) < 0) {
		ctl_error("%s", e.text);
		return CTL_CONFIG;
	}
	return CTL_OK;
}

/* ctl_table_init - an empty table with these column heads */
void
ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *heads)
{
	t->ncols = ncols;
	t->heads = heads;
	t->cells = NULL;
	t->nrows = 0;
}

/* ctl_clean - a copy of s with control bytes shown as '?' */
static char *
ctl_clean(const char *s)
{
	char *c = xstrdup(s != NULL ? s : "");
	char *p;

	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

/* ctl_table_add - one row of ncols cells */
void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t i;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
				 sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = ctl_clean(cells[i]);
	t->nrows++;
}

/* ctl_width - columns a UTF-8 text takes (one per code point) */
static size_t
ctl_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* ctl_cell - text and padding up to width, then the gap */
static void
ctl_cell(FILE *fp, const char *s, size_t width, bool last)
{
	size_t w = ctl_width(s);

	fputs(s, fp);
	if (last)
		return;
	for (; w < width + 2; w++)
		fputc(' ', fp);
}

/* ctl_table_print - heads, then rows, left-aligned columns */
void
ctl_table_print(const struct ctl_table *t, FILE *fp)
{
	size_t *width = xcalloc(t->ncols, sizeof(*width));
	size_t r;
	size_t i;

	for (i = 0; i < t->ncols; i++)
		width[i] = ctl_width(t->heads[i]);
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			size_t w = ctl_width(t->cells[r * t->ncols + i]);

			if (w > width[i])
				width[i] = w;
		}
	for (i = 0; i < t->ncols; i++)
		ctl_cell(fp, t->heads[i], width[i], i + 1 == t->ncols);
	fputc('\n', fp);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++)
			ctl_cell(fp, t->cells[r * t->ncols + i], width[i],
				 i + 1 == t->ncols);
		fputc('\n', fp);
	}
	free(width);
}

/* ctl_table_free - release the cells */
void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* ctl_json_sep - the comma before a member or element, when needed */
static void
ctl_json_sep(struct strbuf *sb)
{
	if (sb->len > 0 && sb->data[sb->len - 1] != '{' &&
	    sb->data[sb->len - 1] != '[')
		(void)strbuf_append(sb, ",", 1);
}

/* ctl_json_key - the separator and "key": (nothing when key is NULL, for
 * array elements) */
static void
ctl_json_key(struct strbuf *sb, const char *key)
{
	ctl_json_sep(sb);
	if (key != NULL) {
		(void)json_put_cstr(sb, key);
		(void)strbuf_append(sb, ":", 1);
	}
}

/* ctl_json_str - "key":"value" (escaped) */
void
ctl_json_str(struct strbuf *sb, const char *key, const char *value)
{
	ctl_json_key(sb, key);
	(void)json_put_cstr(sb, value != NULL ? value : "");
}

/* ctl_json_num - "key":n */
void
ctl_json_num(struct strbuf *sb, const char *key, unsigned long n)
{
	ctl_json_key(sb, key);
	(void)strbuf_printf(sb, "%lu", n);
}

/* ctl_json_raw - "key": followed by raw JSON text (e.g. "[" or "{") */
void
ctl_json_raw(struct strbuf *sb, const char *key, const char *raw)
{
	ctl_json_key(sb, key);
	(void)strbuf_append_str(sb, raw);
}

/* ctl_json_print - the document and a newline on the output */
void
ctl_json_print(const struct ctl *c, struct strbuf *sb)
{
	fwrite(sb->data != NULL ? sb->data : "", 1, sb->len, c->out);
	fputc('\n', c->out);
}

/* ctl_json_print_str - one JSON string on the output */
void
ctl_json_print_str(const struct ctl *c, const char *s)
{
	struct strbuf sb;

	strbuf_init(&sb, 1 << 16);
	(void)json_put_cstr(&sb, s);
	fwrite(sb.data != NULL ? sb.data : "\"\"", 1,
	       sb.data != NULL ? sb.len : 2, c->out);
	strbuf_free(&sb);
}

/* ctl_parse_duration - "500ms", "90s", "10m", "12h", "7d", "2w" as ms */
int
ctl_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
		     {"d", 86400000}, {"w", 604800000}};
	size_t nd = strspn(s, "0123456789");
	char num[24];
	unsigned long n;
	size_t i;

	if (nd == 0 || nd >= sizeof(num))
		return -1;
	memcpy(num, s, nd);
	num[nd] = '\0';
	if (str_to_ulong(num, 10, 1UL << 40, &n) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + nd, units[i].unit) == 0) {
			*ms = (uint64_t)n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

/* ctl_parse_date - a UTC date or date and time as ms since the epoch */
int
ctl_parse_date(const char *s, uint64_t *ms)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	t = timegm(&tm);
	if (t <= 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* ctl_utc - ms since the epoch as "2026-12-01T08:00:00Z" */
void
ctl_utc(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)str_copy(buf, size, "?");
}
