/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitmap_test - the limit map parser: every error names the file and
 * line and says what to write instead; lookups are exact (case-blind) for
 * logins, senders and domains and most-specific for networks; the time
 * quantum keeps counters exact.
 *
 * Golden files: every tests/unit/limitmap/NAME.in is loaded and its
 * rendering (plans, customers, and the lookups listed in "#? KIND VALUE"
 * comments) or "error: TEXT" compared with NAME.ref.  The shipped sample
 * conf/limits must load.
 */
#include "limitmap.h"

#include <glob.h>

#include "rg_test.h"
#include "strbuf.h"

#define GOLDEN_DIR "tests/unit/limitmap"

/* --- error rows --------------------------------------------------------- */

struct erow {
	const char *name;
	const char *text;
	const char *want;	/* exact error */
};

static const struct erow erows[] = {
	{"plan_needs_a_name", "plan\n",
	 "m:1: expected \"plan NAME\" with limits on the indented lines below "
	 "(example: plan standard)"},
	{"limit_outside_a_plan", "\thour messages 1/1h\n",
	 "m:1: indented line outside a plan or customer (lines below \"plan "
	 "NAME\" or \"customer NAME PLAN pooled|each\" start with blanks; "
	 "others do not)"},
	{"unknown_counter", "plan p\n\thour mails 1/1h\n",
	 "m:2: \"mails\" is not something a limit counts (messages, "
	 "recipients, bytes, recipients_per_message)"},
	{"amount_without_period", "plan p\n\thour messages 200\n",
	 "m:2: \"200\" has no period (examples: 200/1h, 1000/day, 500M/1d)"},
	{"unknown_period", "plan p\n\thour messages 200/fortnight\n",
	 "m:2: \"fortnight\" is not a period (examples: 1h, 30m, 1d, hour, "
	 "day)"},
	{"amount_not_a_number", "plan p\n\thour messages lots/1h\n",
	 "m:2: \"lots\" is not an amount (examples: 200, 0; bytes also 500M, "
	 "2G)"},
	{"size_suffix_only_for_bytes", "plan p\n\thour messages 5k/1h\n",
	 "m:2: \"5k\" is not an amount (examples: 200, 0; bytes also 500M, "
	 "2G)"},
	{"per_message_takes_no_period",
	 "plan p\n\trcpts recipients_per_message 100/1h\n",
	 "m:2: \"100/1h\": recipients_per_message takes a number (example: "
	 "rcpts recipients_per_message 100)"},
	{"period_over_a_year", "plan p\n\tyear messages 5/400d\n",
	 "m:2: limit year: period must be from 1s to 366d"},
	{"amount_too_large", "plan p\n\tbig bytes 2000G/1d\n",
	 "m:2: \"2000G\" is not an amount (examples: 200, 0; bytes also 500M, "
	 "2G)"},
	{"unknown_flag", "plan p\n\thour messages 1/1h loud\n",
	 "m:2: \"loud\" is not a limit flag (dry-run, hard)"},
	{"bad_limit_name", "plan p\n\tho:ur messages 1/1h\n",
	 "m:2: \"ho:ur\" is not a limit name (letters, digits, '_', '-', '.'; "
	 "at most 31)"},
	{"two_limits_one_name",
	 "plan p\n\thour messages 1/1h\n\thour recipients 5/1h\n",
	 "m:3: plan p has two limits named hour"},
	{"plan_defined_twice", "plan p\n\th messages 1/1h\nplan p\n",
	 "m:3: plan p is defined twice"},
	{"plan_without_limits", "plan p\nplan q\n\th messages 1/1h\n",
	 "m: plan p has no limits (add indented lines such as \"hour messages "
	 "200/1h\")"},
	{"unknown_plan_names_its_line",
	 "plan p\n\th messages 1/1h\n\nlogin a@b.example q\n",
	 "m:4: no plan named q (define it with \"plan q\" and limits below)"},
	{"login_listed_twice_names_both_lines",
	 "plan p\n\th messages 1/1h\nlogin a@b.example p\nlogin x p\n"
	 "login A@B.example p\n",
	 "m:5: login a@b.example is listed twice (also at line 3)"},
	{"default_set_twice", "plan p\n\th messages 1/1h\nip * p\nip * p\n",
	 "m:4: ip * is set twice (first at line 3)"},
	{"bad_network", "plan p\n\th messages 1/1h\nip 192.0.2.0/33 p\n",
	 "m:3: ip: \"192.0.2.0/33\": prefix length must be 0-32 (examples: "
	 "192.0.2.7, 198.51.100.0/24, 2001:db8::/48)"},
	{"sender_needs_an_address", "plan p\n\th messages 1/1h\n"
	 "sender example.com p\n",
	 "m:3: \"example.com\" is not a sender address (example: "
	 "news@example.com)"},
	{"domain_must_be_a_domain", "plan p\n\th messages 1/1h\n"
	 "domain exa$mple.com p\n",
	 "m:3: \"exa$mple.com\" is not a domain (example: example.com)"},
	{"unknown_entry", "user bob p\n",
	 "m:1: \"user\": unknown entry (plan, customer, login, sender, domain, "
	 "ip, net)"},
	{"assignment_needs_three_words", "plan p\n\th messages 1/1h\n"
	 "login alice p extra\n",
	 "m:3: expected \"login VALUE PLAN\" (example: login alice@example.com "
	 "standard)"},
	{"customer_needs_pooled_or_each", "plan p\n\th messages 1/1h\n"
	 "customer acme p shared\n",
	 "m:3: expected \"customer NAME PLAN pooled|each\" with members on the "
	 "indented lines below (example: customer acme standard pooled)"},
	{"customer_members_are_logins_and_domains",
	 "plan p\n\th messages 1/1h\ncustomer acme p each\n\tip 192.0.2.1\n",
	 "m:4: \"ip\": a customer's members are logins and domains (example: "
	 "login alice@example.com)"},
	{"member_of_two_customers",
	 "plan p\n\th messages 1/1h\ncustomer a p each\n\tdomain x.example\n"
	 "customer b p each\n\tdomain X.example\n",
	 "m:6: customer member domain x.example is listed twice (also at "
	 "line 4)"},
	{"control_character", "plan p\n\th messages\v1/1h\n",
	 "m:2: control character in the line"},
	{"nul_byte", "plan p\n\th messages 1/1h\0\n",
	 "m:2: control character in the line"},
};

/* run_error - the map does not load, with exactly this error */
static void
run_error(void **state)
{
	const struct erow *r = *state;
	struct limitmap *m = NULL;
	size_t len = strlen(r->text);
	struct err e;

	/* the nul_byte row holds a NUL: its length is up to the "\n" after */
	if (strcmp(r->name, "nul_byte") == 0)
		len += 2;
	assert_int_equal(limitmap_parse(r->text, len, "m", &m, &e), -1);
	assert_null(m);
	assert_string_equal(e.text, r->want);
}

/* --- lookups ------------------------------------------------------------ */

static const char lookup_map[] =
	"# forward references are fine\r\n"
	"login Alice@Example.com gold\r\n"
	"plan gold\r\n"
	"\thour messages 100/1h\r\n"
	"\tvolume bytes 500M/1d\r\n"
	"\tday recipients 1000/1d\r\n"
	"plan bronze\n\thour messages 10/1h\n"
	"ip 192.0.2.0/24 bronze\n"
	"ip 192.0.2.7 gold\n"
	"ip 2001:db8::/32 bronze\n"
	"net * bronze\n"
	"customer acme bronze pooled\n"
	"\tlogin bob@acme.example\n"
	"\tdomain acme.example sub.acme.example\n";

/* lookups_are_case_blind_and_most_specific */
static void
test_lookups(void **state)
{
	struct limitmap *m = NULL;
	const struct limitmap_customer *c;
	struct err e;

	(void)state;
	if (limitmap_parse(lookup_map, strlen(lookup_map), "m", &m, &e) < 0)
		fail_msg("%s", e.text);
	assert_string_equal(limitmap_assigned(m, LIMIT_KIND_LOGIN,
					      "ALICE@example.COM")->name,
			    "gold");
	assert_null(limitmap_assigned(m, LIMIT_KIND_LOGIN, "alice"));
	assert_string_equal(limitmap_assigned(m, LIMIT_KIND_IP,
					      "192.0.2.7")->name, "gold");
	assert_string_equal(limitmap_assigned(m, LIMIT_KIND_IP,
					      "192.0.2.8")->name, "bronze");
	assert_string_equal(limitmap_assigned(m, LIMIT_KIND_IP,
					      "2001:db8::1")->name, "bronze");
	assert_null(limitmap_assigned(m, LIMIT_KIND_IP, "198.51.100.1"));
	assert_null(limitmap_default(m, LIMIT_KIND_IP));
	assert_string_equal(limitmap_default(m, LIMIT_KIND_NET)->name,
			    "bronze");
	c = limitmap_member_of(m, LIMIT_KIND_DOMAIN, "Sub.Acme.Example");
	assert_non_null(c);
	assert_string_equal(c->name, "acme");
	assert_true(c->pooled);
	assert_string_equal(c->plan->name, "bronze");
	assert_non_null(limitmap_member_of(m, LIMIT_KIND_LOGIN,
					   "bob@acme.example"));
	assert_null(limitmap_member_of(m, LIMIT_KIND_SENDER,
				       "bob@acme.example"));
	assert_int_equal(limitmap_plan_count(m), 2);
	assert_int_equal(limitmap_assign_count(m), 5);
	limitmap_free(m);
}

/* quantum_keeps_counters_exact */
static void
test_quantum(void **state)
{
	struct limitmap *m = NULL;
	const struct limit_plan *p;
	struct err e;

	(void)state;
	assert_int_equal(limitmap_parse(lookup_map, strlen(lookup_map), "m",
					&m, &e), 0);
	p = limitmap_plan(m, "gold");
	/* 100 per hour: 1 ms; 500 MiB per day: 100 ms keeps
	 * amount * period / quantum under 2^50 */
	assert_int_equal(p->defs[0].unit_ms, 1);
	assert_int_equal(p->defs[1].amount, 500ULL << 20);
	assert_int_equal(p->defs[1].unit_ms, 100);
	assert_true(p->defs[1].amount * (p->defs[1].period_ms /
					 p->defs[1].unit_ms) <= (1ULL << 50));
	limitmap_free(m);
}

/* sample_map_loads (conf/limits) */
static void
test_sample(void **state)
{
	struct limitmap *m = NULL;
	struct err e;

	(void)state;
	if (limitmap_load("conf/limits", &m, &e) < 0)
		fail_msg("%s", e.text);
	assert_non_null(limitmap_plan(m, "suspended"));
	assert_true(limitmap_plan(m, "suspended")->defs[0].hard);
	assert_true(limitmap_plan(m, "bulk")->defs[2].dry_run);
	limitmap_free(m);
}

/* missing_file_names_it */
static void
test_missing(void **state)
{
	struct limitmap *m = NULL;
	struct err e;

	(void)state;
	assert_int_equal(limitmap_load("tests/unit/limitmap/nonexistent", &m,
				       &e), -1);
	assert_string_equal(e.text, "tests/unit/limitmap/nonexistent: No such "
			    "file or directory");
}

/* --- golden files ------------------------------------------------------- */

/* render - plans, customers, defaults and the "#? KIND VALUE" lookups */
static void
render(const struct limitmap *m, const char *text, struct strbuf *sb)
{
	const char *p;
	size_t i;
	size_t j;

	for (i = 0; limitmap_plan_at(m, i) != NULL; i++) {
		const struct limit_plan *pl = limitmap_plan_at(m, i);

		assert_int_equal(strbuf_printf(sb, "plan %s\n", pl->name), 0);
		for (j = 0; j < pl->count; j++) {
			const struct limit_def *d = &pl->defs[j];
			char per[32];

			limit_period_text(d->period_ms, per, sizeof(per));
			assert_int_equal(strbuf_printf(sb,
				"  %s %s %llu/%s unit=%llums%s%s\n", d->name,
				limit_counter_name(d->counter),
				(unsigned long long)d->amount,
				d->period_ms ? per : "-",
				(unsigned long long)d->unit_ms,
				d->dry_run ? " dry-run" : "",
				d->hard ? " hard" : ""), 0);
		}
	}
	for (i = 0; i < LIMIT_KIND_COUNT; i++) {
		const struct limit_plan *d = limitmap_default(m, i);

		if (d != NULL)
			assert_int_equal(strbuf_printf(sb, "default %s %s\n",
				limit_kind_name(i), d->name), 0);
	}
	for (p = text ? text : ""; (p = strstr(p, "#? ")) != NULL; p++) {
		char kind[16];
		char value[256];
		enum limit_kind k;
		const struct limit_plan *pl;
		const struct limitmap_customer *c;

		if (sscanf(p + 3, "%15s %255s", kind, value) != 2 ||
		    limit_kind_parse(kind, &k) < 0)
			fail_msg("bad lookup line near %.20s", p);
		pl = limitmap_assigned(m, k, value);
		c = limitmap_member_of(m, k, value);
		assert_int_equal(strbuf_printf(sb, "%s %s -> %s%s%s%s\n", kind,
			value, pl ? pl->name : "-", c ? " member of " : "",
			c ? c->name : "", c ? (c->pooled ? " (pooled)"
							   : " (each)") : ""), 0);
	}
}

/* test_golden - load NAME.in, compare with NAME.ref */
static void
test_golden(void **state)
{
	const char *in = *state;
	char ref[PATH_MAX];
	struct strbuf text;
	struct strbuf got;
	struct strbuf want;
	struct limitmap *m = NULL;
	struct err e;
	size_t l = strlen(in);
	FILE *fp;
	char buf[4096];
	size_t n;

	memcpy(ref, in, l - 3);
	memcpy(ref + l - 3, ".ref", 5);
	strbuf_init(&text, 1 << 20);
	strbuf_init(&got, 1 << 20);
	strbuf_init(&want, 1 << 20);
	fp = fopen(in, "r");
	assert_non_null(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		assert_int_equal(strbuf_append(&text, buf, n), 0);
	fclose(fp);
	fp = fopen(ref, "r");
	if (fp == NULL)
		fail_msg("%s: cannot read", ref);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		assert_int_equal(strbuf_append(&want, buf, n), 0);
	fclose(fp);
	if (limitmap_load(in, &m, &e) < 0) {
		assert_int_equal(strbuf_printf(&got, "error: %s\n", e.text), 0);
	} else {
		render(m, text.data, &got);
		limitmap_free(m);
	}
	if (strcmp(got.data ? got.data : "", want.data ? want.data : "") != 0) {
		print_error("%s: output differs from %s\n--- got\n%s--- want\n"
			    "%s", in, ref, got.data ? got.data : "",
			    want.data ? want.data : "");
		fail();
	}
	strbuf_free(&text);
	strbuf_free(&got);
	strbuf_free(&want);
}

int
main(void)
{
	static struct rg_cases c;
	static char names[64][96];
	glob_t g;
	size_t i;

	RG_ADD_ROWS(&c, erows, run_error);
	rg_case_add(&c, "lookups_are_case_blind_and_most_specific",
		    test_lookups, NULL);
	rg_case_add(&c, "quantum_keeps_counters_exact", test_quantum, NULL);
	rg_case_add(&c, "sample_map_loads", test_sample, NULL);
	rg_case_add(&c, "missing_file_names_it", test_missing, NULL);
	if (glob(GOLDEN_DIR "/*.in", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		fprintf(stderr, "limitmap_test: no golden files in %s (run "
			"from the repository top)\n", GOLDEN_DIR);
		return 1;
	}
	for (i = 0; i < g.gl_pathc && i < 64; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		snprintf(names[i], sizeof(names[i]), "golden_%.*s",
			 (int)(strlen(base) - 3), base);
		rg_case_add(&c, names[i], test_golden, g.gl_pathv[i]);
	}
	i = (size_t)rg_cases_run(&c, "limitmap", NULL, NULL);
	globfree(&g);
	return (int)i;
}
