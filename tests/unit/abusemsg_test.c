/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abusemsg_test - the per-message state of the abuse checks: recipients
 * and domains counted once whatever their case or brackets, the cap on
 * what is kept, signals kept once, the first hold reason kept.
 */
#include "abusemsg.h"

#include "rg_test.h"
#include "str.h"

/* recipients_count_once_whatever_case_and_brackets */
static void
t_rcpts(void **state)
{
	struct abusemsg m;

	(void)state;
	abusemsg_reset(&m);
	abusemsg_add_rcpt(&m, "<Alice@Example.COM>");
	abusemsg_add_rcpt(&m, "alice@example.com");
	abusemsg_add_rcpt(&m, "bob@example.com");
	abusemsg_add_rcpt(&m, "carol@other.example");
	assert_int_equal(m.nrcpts, 3);
	assert_int_equal(m.ndomains, 2);
	/* a recipient without a domain counts, its domain does not */
	abusemsg_add_rcpt(&m, "<postmaster>");
	assert_int_equal(m.nrcpts, 4);
	assert_int_equal(m.ndomains, 2);
	abusemsg_reset(&m);
	assert_int_equal(m.nrcpts, 0);
	assert_int_equal(m.ndomains, 0);
}

/* split_gives_address_and_domain_hashes */
static void
t_split(void **state)
{
	uint64_t a1;
	uint64_t d1;
	uint64_t a2;
	uint64_t d2;

	(void)state;
	assert_int_equal(abusemsg_rcpt_split("<a@X.example>", &a1, &d1), 0);
	assert_int_equal(abusemsg_rcpt_split("b@x.EXAMPLE", &a2, &d2), 0);
	assert_true(a1 != a2);
	assert_true(d1 == d2);
	assert_true(d1 == abusemsg_hash("x.example", 9));
	assert_int_equal(abusemsg_rcpt_split("nodomain@", &a1, &d1), -1);
	assert_int_equal(abusemsg_rcpt_split("", &a1, &d1), -1);
}

/* kept_recipients_stop_at_the_cap */
static void
t_cap(void **state)
{
	static struct abusemsg m;
	char r[64];
	int i;

	(void)state;
	abusemsg_reset(&m);
	for (i = 0; i < ABUSEMSG_RCPTS_MAX + 10; i++) {
		(void)str_format(r, sizeof(r), "u%d@d%d.example", i, i);
		abusemsg_add_rcpt(&m, r);
	}
	assert_int_equal(m.nrcpts, ABUSEMSG_RCPTS_MAX);
	assert_int_equal(m.ndomains, ABUSEMSG_DOMAINS_MAX);
}

/* signals_are_kept_once_and_hold_keeps_the_first_reason */
static void
t_signals(void **state)
{
	struct abusemsg m;
	int i;

	(void)state;
	abusemsg_reset(&m);
	abusemsg_add_signal(&m, "fanout", "login:a", "hold", false);
	abusemsg_add_signal(&m, "fanout", "login:a", "hold", false);
	abusemsg_add_signal(&m, "fanout", "fp:00", "hold", true);
	assert_int_equal(m.nsignals, 2);
	assert_true(m.signals[1].dry_run);
	for (i = 0; i < 20; i++) {
		char s[16];

		(void)str_format(s, sizeof(s), "ip:%d", i);
		abusemsg_add_signal(&m, "spike", s, "log", false);
	}
	assert_int_equal(m.nsignals, ABUSEMSG_SIGNALS_MAX);
	assert_false(m.hold);
	abusemsg_hold(&m, "stolen_credentials");
	abusemsg_hold(&m, "fanout");
	assert_true(m.hold);
	assert_string_equal(m.hold_why, "stolen_credentials");
}

int
main(void)
{
	static struct rg_cases cases;

	rg_case_add(&cases, "recipients_count_once_whatever_case_and_brackets",
		    t_rcpts, NULL);
	rg_case_add(&cases, "split_gives_address_and_domain_hashes", t_split,
		    NULL);
	rg_case_add(&cases, "kept_recipients_stop_at_the_cap", t_cap, NULL);
	rg_case_add(&cases, "signals_are_kept_once_and_hold_keeps_the_first_"
		    "reason", t_signals, NULL);
	return rg_cases_run(&cases, "abusemsg", NULL, NULL);
}
