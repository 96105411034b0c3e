/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_test - the storage layer without a server: one store (and one
 * Redis handle) per set of settings in the process, the settings checked,
 * the change of state logged once each way, and the parts of a call
 * grouped by Cluster slot.
 */
#include "store.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "rconn.h"
#include "rg_test.h"

/* cf - a configuration from text (the file is named "t.conf") */
static struct conf *
cf(const char *text)
{
	FILE *fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	struct conf *c = NULL;
	struct err e;

	assert_non_null(fp);
	if (conf_load_stream(fp, "t.conf", &c, &e) < 0) {
		print_error("%s\n", e.text);
		fail();
	}
	fclose(fp);
	return c;
}

static const char redis_conf[] =
	"limit_backend = redis\nredis_server = 127.0.0.1:1\n";

/* same_settings_share_one_store_and_one_handle */
static void
t_shared(void **state)
{
	struct conf *a = cf(redis_conf);
	struct conf *b = cf(redis_conf);	/* a reload, same settings */
	struct store *s1;
	struct store *s2;
	struct err e;

	(void)state;
	assert_int_equal(store_open(a, &s1, &e), 0);
	assert_int_equal(store_open(b, &s2, &e), 0);
	assert_ptr_equal(s1, s2);
	assert_true(store_is_redis(s1));
	assert_non_null(store_rconn(s1));
	assert_string_equal(store_prefix(s1), "rg");
	assert_string_equal(rconn_describe(store_rconn(s1)), "127.0.0.1:1");
	store_close(s1);
	store_close(s2);
	conf_free(a);
	conf_free(b);
}

/* other_settings_other_store */
static void
t_other(void **state)
{
	struct conf *a = cf(redis_conf);
	struct conf *b = cf("limit_backend = redis\n"
			    "redis_server = 127.0.0.1:1\n"
			    "limit_fail_mode = accept\n");
	struct conf *m = cf("limit_backend = memory\n");
	struct store *s1;
	struct store *s2;
	struct store *s3;
	struct err e;

	(void)state;
	assert_int_equal(store_open(a, &s1, &e), 0);
	assert_int_equal(store_open(b, &s2, &e), 0);
	assert_int_equal(store_open(m, &s3, &e), 0);
	assert_ptr_not_equal(s1, s2);
	assert_int_equal(store_fail_mode(s2), CONF_FAIL_ACCEPT);
	assert_false(store_is_redis(s3));
	assert_null(store_rconn(s3));
	assert_string_equal(store_name(s3), "memory");
	store_close(s1);
	store_close(s2);
	store_close(s3);
	store_close(NULL);
	conf_free(a);
	conf_free(b);
	conf_free(m);
}

struct prow {
	const char *name;
	const char *text;
	const char *want;
};

static const struct prow prows[] = {
	{"empty_key_prefix_refused", "redis_key_prefix =\n",
	 "t.conf: redis_key_prefix: \"\" may not be empty"},
	{"key_prefix_with_braces_refused", "redis_key_prefix = a{b}\n",
	 "t.conf: redis_key_prefix: \"a{b}\" may not be empty nor hold "
	 "braces"},
	{"cluster_and_sentinels_refused",
	 "redis_cluster = 127.0.0.1:1\nredis_sentinels = 127.0.0.1:2\n"
	 "redis_sentinel_master = m\n",
	 "t.conf: redis_cluster and redis_sentinels: set one"},
	{"bad_server_names_the_key", "redis_server = ::1:6379\n",
	 "t.conf: redis_server: \"::1:6379\" is not a Redis address"},
};

/* run_prow - a setting store_open refuses, with file and key */
static void
run_prow(void **state)
{
	const struct prow *r = *state;
	char text[512];
	struct conf *c;
	struct store *st = NULL;
	struct err e;

	(void)snprintf(text, sizeof(text), "limit_backend = redis\n%s",
		       r->text);
	c = cf(text);
	assert_int_equal(store_open(c, &st, &e), -1);
	assert_null(st);
	assert_true(rg_has(e.text, r->want));
	conf_free(c);
}

/* count_lines - lines of file holding needle */
static int
count_lines(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	int n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

/* state_change_is_logged_once_each_way */
static void
t_state_log(void **state)
{
	struct conf *c = cf(redis_conf);
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct store *st;
	struct err e;
	int saved = dup(2);
	int fd;
	int i;

	(void)state;
	assert_int_equal(rg_tmpdir_make("store", dir, sizeof(dir)), 0);
	(void)snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(store_open(c, &st, &e), 0);
	fflush(stderr);
	dup2(fd, 2);
	for (i = 0; i < 3; i++)
		store_note(st, true, NULL);	/* up, and was up: nothing */
	for (i = 0; i < 5; i++)
		store_note(st, false, "127.0.0.1:1: Connection refused");
	assert_true(store_is_down(st));
	for (i = 0; i < 5; i++)
		store_note(st, true, NULL);
	assert_false(store_is_down(st));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(count_lines(path, "store: redis store unavailable: "
				     "127.0.0.1:1: Connection refused; "
				     "limit_fail_mode = tempfail until it "
				     "answers again"), 1);
	assert_int_equal(count_lines(path, "store: redis store available "
				     "again (127.0.0.1:1)"), 1);
	assert_int_equal(count_lines(path, "store"), 2);
	store_close(st);
	conf_free(c);
	rg_tmpdir_remove(dir);
}

/* without_cluster_every_part_is_one_group */
static void
t_group_single(void **state)
{
	struct conf *c = cf(redis_conf);
	int slots[3] = {5, 9000, 5};
	size_t idx[3];
	size_t ends[3];
	struct store *st;
	struct err e;

	(void)state;
	assert_int_equal(store_open(c, &st, &e), 0);
	assert_int_equal(store_group(st, slots, 3, idx, ends), 1);
	assert_int_equal(ends[0], 3);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	assert_int_equal(idx[2], 2);
	assert_int_equal(store_group(st, slots, 0, idx, ends), 0);
	store_close(st);
	conf_free(c);
}

/* cluster_groups_parts_by_slot_in_first_seen_order */
static void
t_group_cluster(void **state)
{
	struct conf *c = cf("limit_backend = redis\n"
			    "redis_cluster = 127.0.0.1:1, 127.0.0.1:2\n");
	int slots[5] = {700, 12, 700, 9000, 12};
	size_t idx[5];
	size_t ends[5];
	struct store *st;
	struct err e;

	(void)state;
	assert_int_equal(store_open(c, &st, &e), 0);
	assert_true(rg_has(rconn_describe(store_rconn(st)), "Cluster"));
	assert_int_equal(store_group(st, slots, 5, idx, ends), 3);
	/* {0, 2} then {1, 4} then {3} */
	assert_int_equal(ends[0], 2);
	assert_int_equal(ends[1], 4);
	assert_int_equal(ends[2], 5);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 2);
	assert_int_equal(idx[2], 1);
	assert_int_equal(idx[3], 4);
	assert_int_equal(idx[4], 3);
	store_close(st);
	conf_free(c);
}

/* handles_of_one_server_share_its_connections_but_not_other_servers */
static void
t_rconn_shared(void **state)
{
	struct rconn_opts o;
	struct rconn *a;
	struct rconn *b;
	struct rconn *x;
	struct err e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.mode = RCONN_STANDALONE;
	o.server = "127.0.0.1:1";
	o.timeout_ms = 300;
	assert_int_equal(rconn_new(&o, &a, &e), 0);
	o.timeout_ms = 1000;	/* the audit stream's own timeout */
	assert_int_equal(rconn_new(&o, &b, &e), 0);
	o.password = "other";
	assert_int_equal(rconn_new(&o, &x, &e), 0);
	/* a call on a dead server: b fails fast while a's failure backs
	 * the shared server off */
	{
		const char *argv[1] = {"PING"};
		size_t lens[1] = {4};

		assert_null(rconn_call(a, -1, NULL, 1, argv, lens, &e));
		assert_true(rg_has(e.text, "127.0.0.1:1"));
		assert_null(rconn_call(b, -1, NULL, 1, argv, lens, &e));
		assert_true(rg_has(e.text, "waiting"));
		/* other credentials, other pool: not backed off */
		assert_null(rconn_call(x, -1, NULL, 1, argv, lens, &e));
		assert_false(strstr(e.text, "waiting") != NULL);
	}
	rconn_free(a);
	rconn_free(b);
	rconn_free(x);
}

int
main(void)
{
	static struct rg_cases c;

	log_open("store_test", true, 0);
	rg_case_add(&c, "same_settings_share_one_store_and_one_handle",
		    t_shared, NULL);
	rg_case_add(&c, "other_settings_other_store", t_other, NULL);
	RG_ADD_ROWS(&c, prows, run_prow);
	rg_case_add(&c, "state_change_is_logged_once_each_way", t_state_log,
		    NULL);
	rg_case_add(&c, "without_cluster_every_part_is_one_group",
		    t_group_single, NULL);
	rg_case_add(&c, "cluster_groups_parts_by_slot_in_first_seen_order",
		    t_group_cluster, NULL);
	rg_case_add(&c, "handles_of_one_server_share_its_connections",
		    t_rconn_shared, NULL);
	return rg_cases_run(&c, "store", NULL, NULL);
}
