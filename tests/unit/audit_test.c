/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_test - audit records as JSON (golden lines), the bounded queue
 * (overflow drops and counts, one warning per episode), and the file
 * sink (rotation by rename and by copytruncate, a removed directory, a
 * failing disk), driven through the real writer thread.
 *
 * writev(2) is wrapped (-Wl,--wrap=writev, see the Makefile): by default
 * it passes through; a case can make it block (to hold the writer while
 * the queue fills) or fail with ENOSPC (a full disk), deterministically.
 * Log lines go to stderr, which the cases capture in a file to count the
 * warnings.  Waiting for the writer uses audit_flush() with a generous
 * bound; nothing asserts on time.
 */
#include "audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "rg_test.h"
#include "strbuf.h"

/* --- the writev wrapper -------------------------------------------------- */

enum wv_mode { WV_PASS, WV_BLOCK, WV_FAIL };

static pthread_mutex_t wv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wv_cond = PTHREAD_COND_INITIALIZER;
static enum wv_mode wv_mode = WV_PASS;
static int wv_blocked;		/* the writer is waiting inside writev */
static int wv_failed;		/* writes failed on purpose */

ssize_t __real_writev(int fd, const struct iovec *iov, int n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int n);

/* __wrap_writev - writev as the case wants it */
ssize_t
__wrap_writev(int fd, const struct iovec *iov, int n)
{
	pthread_mutex_lock(&wv_lock);
	while (wv_mode == WV_BLOCK) {
		wv_blocked = 1;
		pthread_cond_broadcast(&wv_cond);
		pthread_cond_wait(&wv_cond, &wv_lock);
	}
	wv_blocked = 0;
	if (wv_mode == WV_FAIL) {
		wv_failed++;
		pthread_mutex_unlock(&wv_lock);
		errno = ENOSPC;
		return -1;
	}
	pthread_mutex_unlock(&wv_lock);
	return __real_writev(fd, iov, n);
}

/* wv_set - change the mode and wake a blocked writer */
static void
wv_set(enum wv_mode m)
{
	pthread_mutex_lock(&wv_lock);
	wv_mode = m;
	pthread_cond_broadcast(&wv_cond);
	pthread_mutex_unlock(&wv_lock);
}

/* wv_failures - writes failed on purpose so far */
static int
wv_failures(void)
{
	int n;

	pthread_mutex_lock(&wv_lock);
	n = wv_failed;
	pthread_mutex_unlock(&wv_lock);
	return n;
}

/* wv_wait_blocked - until the writer sits in a blocked writev */
static void
wv_wait_blocked(void)
{
	pthread_mutex_lock(&wv_lock);
	while (!wv_blocked)
		pthread_cond_wait(&wv_cond, &wv_lock);
	pthread_mutex_unlock(&wv_lock);
}

/* --- helpers ------------------------------------------------------------- */

struct fixture {
	char dir[PATH_MAX];
	char file[PATH_MAX];
	char log[PATH_MAX];
	int saved_stderr;
};

/* setup - a temp directory, stderr captured in DIR/log */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	if (f == NULL || rg_tmpdir_make("audit", f->dir, sizeof(f->dir)) < 0)
		return -1;
	rg_pathf(f->file, sizeof(f->file), "%s/audit.log", f->dir);
	rg_pathf(f->log, sizeof(f->log), "%s/stderr", f->dir);
	fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f->saved_stderr = dup(2);
	if (fd < 0 || f->saved_stderr < 0 || dup2(fd, 2) < 0)
		return -1;
	close(fd);
	wv_set(WV_PASS);
	*state = f;
	return 0;
}

/* teardown - stop the writer, restore stderr, remove the directory */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	wv_set(WV_PASS);
	audit_stop(10000);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	rg_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* count_in_file - lines of path containing needle */
static int
count_in_file(const char *path, const char *needle)
{
	char line[4096];
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(fp);
	return n;
}

/* count_lines - complete lines in path that parse as JSON objects; -1 if
 * the file is missing or any line does not parse */
static int
count_lines(const char *path)
{
	static char line[AUDIT_LINE_MAX + 2];
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct json_doc doc;
		struct err e;
		size_t len = strlen(line);

		if (len == 0 || line[len - 1] != '\n' ||
		    json_parse(line, len - 1, &doc, &e) < 0) {
			fclose(fp);
			return -1;
		}
		assert_int_equal(json_root(&doc)->type, JSON_OBJECT);
		json_doc_free(&doc);
		n++;
	}
	fclose(fp);
	return n;
}

/* start_file - the writer with a file sink and a queue of qsize */
static void
start_file(const struct fixture *f, unsigned long qsize)
{
	struct audit_opts o = {.file = f->file, .queue_size = qsize};
	struct err e;

	assert_int_equal(audit_start(&o, &e), 0);
	assert_true(audit_enabled());
}

/* submit - n small records */
static void
submit(int n)
{
	struct audit_rec r;
	int i;

	for (i = 0; i < n; i++) {
		audit_rec_init(&r);
		snprintf(r.queue_id, sizeof(r.queue_id), "Q%d", i);
		memcpy(r.action, "accept", 7);
		audit_submit(&r);
	}
}

/* --- records ------------------------------------------------------------- */

/* sample - a record using every field, with hostile wire text */
static void
sample(struct audit_rec *r)
{
	struct txn t;
	struct verdict v;

	memset(&t, 0, sizeof(t));
	memcpy(t.client_name, "mx.example.net", 15);
	memcpy(t.client_addr, "192.0.2.7", 10);
	memcpy(t.helo, "evil\"\r\nhelo\xff", 13);
	memcpy(t.id, "rg1-18-2", 9);
	memcpy(t.qid, "4A7B11C0E2", 11);
	memcpy(t.login, "ann", 4);
	memcpy(t.sender, "ann@example.com", 16);
	t.nrcpt = 3;
	t.size = 2048;
	verdict_init(&v);
	verdict_set(&v, VERDICT_TEMPFAIL, "451", "4.7.1", "quota",
		    "hourly quota reached for %s", "login:ann");
	audit_rec_init(r);
	r->time.tv_sec = 1796000523;	/* 2026-11-30T01:02:03Z */
	r->time.tv_nsec = 45678901;
	audit_rec_from_txn(r, "rcpt", &t, &v);
	memcpy(r->spf, "pass", 5);
	assert_int_equal(audit_rec_add_sig(r, "example.com", "rsa2026",
					   "rsa-sha256"), 0);
	assert_int_equal(audit_rec_add_limit(r, "hour", "login:ann", 1001,
					     1000, true), 0);
	assert_int_equal(audit_rec_add_signal(r, "penalty_box", "login:ann",
					      "tempfail", false), 0);
}

/* test_record_json_golden - every field, in order, escaped */
static void
test_record_json_golden(void **state)
{
	struct audit_rec r;
	struct strbuf sb;

	(void)state;
	sample(&r);
	strbuf_init(&sb, AUDIT_LINE_MAX);
	assert_int_equal(audit_rec_json(&r, &sb), 0);
	assert_string_equal(sb.data,
		"{\"time\":\"2026-11-30T01:02:03.045Z\",\"type\":\"decision\","
		"\"event\":\"\",\"stage\":\"rcpt\",\"queue_id\":\"4A7B11C0E2\","
		"\"txn_id\":\"rg1-18-2\",\"client_name\":\"mx.example.net\","
		"\"client_addr\":\"192.0.2.7\","
		"\"helo\":\"evil\\\"\\r\\nhelo\\ufffd\",\"login\":\"ann\","
		"\"sender\":\"ann@example.com\",\"recipients\":3,\"size\":2048,"
		"\"spf\":\"pass\",\"signatures\":[{\"domain\":\"example.com\","
		"\"selector\":\"rsa2026\",\"algorithm\":\"rsa-sha256\"}],"
		"\"limits\":[{\"name\":\"hour\",\"subject\":\"login:ann\","
		"\"used\":1001,\"limit\":1000,\"over\":true}],"
		"\"signals\":[{\"name\":\"penalty_box\",\"subject\":"
		"\"login:ann\",\"action\":\"tempfail\",\"dry_run\":false}],"
		"\"action\":\"tempfail\",\"reason\":\"quota\","
		"\"reply\":\"451 4.7.1 hourly quota reached for login:ann\"}");
	strbuf_free(&sb);
}

/* test_empty_record_has_every_key - a stable schema: all keys present */
static void
test_empty_record_has_every_key(void **state)
{
	struct audit_rec r;
	struct strbuf sb;

	(void)state;
	audit_rec_init(&r);
	r.time.tv_sec = 0;
	r.time.tv_nsec = 0;
	memcpy(r.event, "quota_warning", 14);
	strbuf_init(&sb, AUDIT_LINE_MAX);
	assert_int_equal(audit_rec_json(&r, &sb), 0);
	assert_string_equal(sb.data,
		"{\"time\":\"1970-01-01T00:00:00.000Z\",\"type\":\"event\","
		"\"event\":\"quota_warning\",\"stage\":\"\",\"queue_id\":\"\","
		"\"txn_id\":\"\",\"client_name\":\"\",\"client_addr\":\"\","
		"\"helo\":\"\",\"login\":\"\",\"sender\":\"\",\"recipients\":0,"
		"\"size\":0,\"spf\":\"\",\"signatures\":[],\"limits\":[],"
		"\"signals\":[],\"action\":\"\",\"reason\":\"\",\"reply\":\"\"}");
	strbuf_free(&sb);
}

/* test_continue_is_recorded_as_accept - nothing stopped the message */
static void
test_continue_is_recorded_as_accept(void **state)
{
	struct audit_rec r;
	struct txn t;
	struct verdict v;

	(void)state;
	memset(&t, 0, sizeof(t));
	verdict_init(&v);
	audit_rec_init(&r);
	audit_rec_from_txn(&r, "eom", &t, &v);
	assert_string_equal(r.action, "accept");
	assert_string_equal(r.reply, "");
	verdict_set(&v, VERDICT_REJECT, "550", "5.7.1", "sender-not-owned",
		    "not yours");
	audit_rec_from_txn(&r, "mail", &t, &v);
	assert_string_equal(r.action, "reject");
	assert_string_equal(r.reply, "550 5.7.1 not yours");
}

/* fill - a string field full of control bytes (the worst expansion) */
#define FILL(field) memset((field), 0x01, sizeof(field) - 1)

/* test_largest_record_fits_a_line - every field full of bytes that take
 * six bytes each in JSON still fits AUDIT_LINE_MAX and parses */
static void
test_largest_record_fits_a_line(void **state)
{
	struct audit_rec r;
	struct strbuf sb;
	struct json_doc doc;
	struct err e;
	size_t i;

	(void)state;
	audit_rec_init(&r);
	FILL(r.event);
	FILL(r.stage);
	FILL(r.queue_id);
	FILL(r.txn_id);
	FILL(r.client_name);
	FILL(r.client_addr);
	FILL(r.helo);
	FILL(r.login);
	FILL(r.sender);
	FILL(r.spf);
	FILL(r.action);
	FILL(r.reason);
	FILL(r.reply);
	r.recipients = (unsigned long)-1;
	r.size = (unsigned long)-1;
	r.nsigs = AUDIT_SIGS_MAX;
	for (i = 0; i < AUDIT_SIGS_MAX; i++) {
		FILL(r.sigs[i].domain);
		FILL(r.sigs[i].selector);
		FILL(r.sigs[i].algorithm);
	}
	r.nlimits = AUDIT_LIMITS_MAX;
	for (i = 0; i < AUDIT_LIMITS_MAX; i++) {
		FILL(r.limits[i].name);
		FILL(r.limits[i].subject);
		r.limits[i].used = (unsigned long)-1;
		r.limits[i].limit = (unsigned long)-1;
	}
	r.nsignals = AUDIT_SIGNALS_MAX;
	for (i = 0; i < AUDIT_SIGNALS_MAX; i++) {
		FILL(r.signals[i].name);
		FILL(r.signals[i].subject);
		FILL(r.signals[i].action);
	}
	strbuf_init(&sb, AUDIT_LINE_MAX - 2);	/* room for '\n' */
	assert_int_equal(audit_rec_json(&r, &sb), 0);
	assert_int_equal(json_parse(sb.data, sb.len, &doc, &e), 0);
	json_doc_free(&doc);
	strbuf_free(&sb);
}

/* test_lists_refuse_when_full - add_* say -1 once the arrays are full */
static void
test_lists_refuse_when_full(void **state)
{
	struct audit_rec r;
	size_t i;

	(void)state;
	audit_rec_init(&r);
	for (i = 0; i < AUDIT_SIGS_MAX; i++)
		assert_int_equal(audit_rec_add_sig(&r, "d", "s", "a"), 0);
	assert_int_equal(audit_rec_add_sig(&r, "d", "s", "a"), -1);
	for (i = 0; i < AUDIT_LIMITS_MAX; i++)
		assert_int_equal(audit_rec_add_limit(&r, "n", "s", 1, 2,
						     false), 0);
	assert_int_equal(audit_rec_add_limit(&r, "n", "s", 1, 2, false), -1);
	for (i = 0; i < AUDIT_SIGNALS_MAX; i++)
		assert_int_equal(audit_rec_add_signal(&r, "n", "s", "log",
						      true), 0);
	assert_int_equal(audit_rec_add_signal(&r, "n", "s", "log", true), -1);
	assert_int_equal(r.nsigs, AUDIT_SIGS_MAX);
}

/* test_long_fields_are_cut_not_dropped - an audit record keeps the
 * beginning of a field that does not fit */
static void
test_long_fields_are_cut_not_dropped(void **state)
{
	char longname[600];
	struct audit_rec r;

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	audit_rec_init(&r);
	assert_int_equal(audit_rec_add_limit(&r, longname, longname, 1, 1,
					     false), 0);
	assert_int_equal(strlen(r.limits[0].name), sizeof(r.limits[0].name) - 1);
	assert_int_equal(strlen(r.limits[0].subject), AUDIT_SUBJECT_MAX - 1);
}

/* --- the writer ---------------------------------------------------------- */

/* test_disabled_audit_takes_nothing - without sinks, submit is a no-op */
static void
test_disabled_audit_takes_nothing(void **state)
{
	struct audit_opts o = {.queue_size = 10};
	struct audit_stats before;
	struct audit_stats st;
	struct err e;

	(void)state;
	audit_get_stats(&before);
	assert_int_equal(audit_start(&o, &e), 0);
	assert_false(audit_enabled());
	submit(3);
	audit_get_stats(&st);
	assert_int_equal(st.submitted, before.submitted);
}

/* test_records_reach_the_file - n records, n parseable lines */
static void
test_records_reach_the_file(void **state)
{
	struct fixture *f = *state;
	struct audit_stats st;
	struct stat sb;

	start_file(f, 100);
	submit(250);	/* more than the queue: the writer keeps up or not,
			 * but written + dropped must account for all */
	assert_int_equal(audit_flush(10000), 0);
	audit_get_stats(&st);
	assert_int_equal(st.submitted, 250);
	assert_int_equal(st.file_written + st.dropped_queue, 250);
	assert_int_equal(count_lines(f->file), (int)st.file_written);
	assert_int_equal(stat(f->file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
}

/* test_queue_overflow_drops_and_warns_once - the writer is held inside
 * writev; the queue fills; further records are dropped and counted with
 * one warning; when the writer moves again, one "accepts again" line */
static void
test_queue_overflow_drops_and_warns_once(void **state)
{
	struct fixture *f = *state;
	struct audit_stats st;

	start_file(f, 4);
	wv_set(WV_BLOCK);
	submit(1);		/* the writer takes it and blocks */
	wv_wait_blocked();
	submit(4);		/* fills the queue */
	audit_get_stats(&st);
	assert_int_equal(st.queued, 4);
	assert_int_equal(st.dropped_queue, 0);
	submit(7);		/* all dropped */
	audit_get_stats(&st);
	assert_int_equal(st.submitted, 12);
	assert_int_equal(st.dropped_queue, 7);
	assert_int_equal(st.queued, 4);
	assert_int_equal(count_in_file(f->log, "audit: queue full (4 "
						"records)"), 1);
	wv_set(WV_PASS);
	assert_int_equal(audit_flush(10000), 0);
	submit(1);		/* accepted again */
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(count_in_file(f->log, "queue full"), 1);
	assert_int_equal(count_in_file(f->log, "audit: queue accepts records "
						"again; 7 were dropped"), 1);
	assert_int_equal(count_lines(f->file), 6);
}

/* wait_recovered - submit one record at a time until the file sink
 * writes again (it retries after its backoff); bounded */
static int
wait_recovered(void)
{
	struct audit_stats st;
	int i;

	for (i = 0; i < 400; i++) {
		submit(1);
		if (audit_flush(10000) < 0)
			return -1;
		audit_get_stats(&st);
		if (!st.file_failing)
			return 0;
		usleep(50000);
	}
	return -1;
}

/* test_failing_disk_warns_once_and_recovers - ENOSPC on every write:
 * one warning however many records, then one "writing again" line with
 * the count lost */
static void
test_failing_disk_warns_once_and_recovers(void **state)
{
	struct fixture *f = *state;
	struct audit_stats st;
	int i;

	start_file(f, 100);
	submit(2);
	assert_int_equal(audit_flush(10000), 0);
	wv_set(WV_FAIL);
	for (i = 0; i < 20; i++) {
		submit(3);
		assert_int_equal(audit_flush(10000), 0);
	}
	audit_get_stats(&st);
	assert_true(st.file_failing);
	assert_int_equal(st.file_dropped, 60);
	/* until the sink has been retried (after its 1 s backoff) and
	 * failed again: still one warning */
	for (i = 0; i < 400 && wv_failures() < 2; i++) {
		submit(1);
		assert_int_equal(audit_flush(10000), 0);
		usleep(20000);
	}
	assert_true(wv_failures() >= 2);
	assert_int_equal(count_in_file(f->log, "warning: audit: "), 1);
	assert_int_equal(count_in_file(f->log, "write failed: No space left "
						"on device; dropping audit "
						"records"), 1);
	wv_set(WV_PASS);
	assert_int_equal(wait_recovered(), 0);
	assert_int_equal(count_in_file(f->log, "records were dropped while "
						"it failed"), 1);
	audit_get_stats(&st);
	assert_int_equal(st.file_written + st.file_dropped, st.submitted);
	assert_int_equal(count_lines(f->file), (int)st.file_written);
}

/* test_rename_rotation_reopens_by_name - logrotate "create": the writer
 * notices the new inode and writes to a new file */
static void
test_rename_rotation_reopens_by_name(void **state)
{
	struct fixture *f = *state;
	char old[PATH_MAX];

	rg_pathf(old, sizeof(old), "%s.1", f->file);
	start_file(f, 100);
	submit(2);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(rename(f->file, old), 0);
	submit(3);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(count_lines(old), 2);
	assert_int_equal(count_lines(f->file), 3);
	assert_int_equal(count_in_file(f->log, "warning"), 0);
}

/* test_copytruncate_keeps_appending - the file cut to 0 bytes gets the
 * next record at offset 0, not after a hole of NULs */
static void
test_copytruncate_keeps_appending(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	start_file(f, 100);
	submit(5);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(truncate(f->file, 0), 0);
	submit(1);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(count_lines(f->file), 1);
	assert_int_equal(stat(f->file, &sb), 0);
	assert_true(sb.st_size < 1000);
}

/* test_removed_directory_warns_once_and_recovers - the directory goes
 * away mid-run and comes back */
static void
test_removed_directory_warns_once_and_recovers(void **state)
{
	struct fixture *f = *state;
	char sub[PATH_MAX];
	char file[PATH_MAX];
	struct audit_opts o = {.queue_size = 100};
	struct audit_stats st;
	struct err e;
	int i;

	rg_pathf(sub, sizeof(sub), "%s/sub", f->dir);
	rg_pathf(file, sizeof(file), "%s/audit.log", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	o.file = file;
	assert_int_equal(audit_start(&o, &e), 0);
	submit(2);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(sub), 0);
	for (i = 0; i < 10; i++) {
		submit(5);
		assert_int_equal(audit_flush(10000), 0);
	}
	audit_get_stats(&st);
	assert_true(st.file_failing);
	assert_int_equal(count_in_file(f->log, "warning: audit: "), 1);
	assert_int_equal(count_in_file(f->log, "cannot open: No such file or "
						"directory"), 1);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(wait_recovered(), 0);
	assert_int_equal(count_in_file(f->log, "writing again"), 1);
	assert_true(count_lines(file) >= 1);
}

/* test_reload_switches_file - audit_reload() moves to a new path */
static void
test_reload_switches_file(void **state)
{
	struct fixture *f = *state;
	char other[PATH_MAX];
	struct audit_opts o = {.queue_size = 100};

	rg_pathf(other, sizeof(other), "%s/other.log", f->dir);
	start_file(f, 100);
	submit(1);
	assert_int_equal(audit_flush(10000), 0);
	o.file = other;
	audit_reload(&o);
	submit(2);
	assert_int_equal(audit_flush(10000), 0);
	assert_int_equal(count_lines(f->file), 1);
	assert_int_equal(count_lines(other), 2);
	o.file = "";
	audit_reload(&o);
	assert_false(audit_enabled());
}

/* add_fx - a case run between setup() and teardown() */
static void
add_fx(struct rg_cases *c, const char *name, CMUnitTestFunction fn)
{
	rg_case_add(c, name, fn, NULL);
	c->tests[c->count - 1].setup_func = setup;
	c->tests[c->count - 1].teardown_func = teardown;
}

int
main(void)
{
	static struct rg_cases c;

	log_open("audit_test", true, 0);
	rg_case_add(&c, "record_json_golden", test_record_json_golden, NULL);
	rg_case_add(&c, "empty_record_has_every_key",
		    test_empty_record_has_every_key, NULL);
	rg_case_add(&c, "continue_is_recorded_as_accept",
		    test_continue_is_recorded_as_accept, NULL);
	rg_case_add(&c, "largest_record_fits_a_line",
		    test_largest_record_fits_a_line, NULL);
	rg_case_add(&c, "lists_refuse_when_full", test_lists_refuse_when_full,
		    NULL);
	rg_case_add(&c, "long_fields_are_cut_not_dropped",
		    test_long_fields_are_cut_not_dropped, NULL);
	add_fx(&c, "disabled_audit_takes_nothing",
	       test_disabled_audit_takes_nothing);
	add_fx(&c, "records_reach_the_file", test_records_reach_the_file);
	add_fx(&c, "queue_overflow_drops_and_warns_once",
	       test_queue_overflow_drops_and_warns_once);
	add_fx(&c, "failing_disk_warns_once_and_recovers",
	       test_failing_disk_warns_once_and_recovers);
	add_fx(&c, "rename_rotation_reopens_by_name",
	       test_rename_rotation_reopens_by_name);
	add_fx(&c, "copytruncate_keeps_appending",
	       test_copytruncate_keeps_appending);
	add_fx(&c, "removed_directory_warns_once_and_recovers",
	       test_removed_directory_warns_once_and_recovers);
	add_fx(&c, "reload_switches_file", test_reload_switches_file);
	return rg_cases_run(&c, "audit", NULL, NULL);
}
