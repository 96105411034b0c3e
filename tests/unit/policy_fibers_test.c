/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_fibers_test - decisions in fibers on a real libev loop with a
 * real worker pool: blocking work runs at a worker while the loop goes
 * on, each decision is resumed once and finishes, hundreds at once; a
 * burst's stacks beyond the kept ones are given back.
 */
#include "policy_fibers.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "rg_test.h"

#define BURST 400

struct decision {
	struct ev_loop *loop;
	pthread_t loop_thread;
	pthread_t worked_on;
	int steps;
	bool done;
};

static int finished;

/* work - blocking work: a short sleep, at a worker */
static void
work(void *arg)
{
	struct decision *d = arg;
	struct timespec ts = {0, 2000000L};

	d->worked_on = pthread_self();
	(void)nanosleep(&ts, NULL);
}

/* decide - two pieces of blocking work, then done */
static void
decide(void *arg)
{
	struct decision *d = arg;

	d->steps++;
	fiber_blocking(work, d);
	assert_true(pthread_equal(pthread_self(), d->loop_thread));
	d->steps++;
	fiber_blocking(work, d);
	d->steps++;
	d->done = true;
	if (++finished == BURST)
		ev_break(d->loop, EVBREAK_ALL);
}

/* stop_timer - the test's upper bound */
static void
stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* t_burst - BURST decisions at once, each waiting twice at a worker */
static void
t_burst(void **state)
{
	static struct decision d[BURST];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct policy_pool *pool;
	struct policy_fibers *fs;
	ev_timer bound;
	struct err e;
	int i;

	(void)state;
	pool = policy_pool_new(4, &e);
	assert_non_null(pool);
	fs = policy_fibers_new(loop, pool);
	finished = 0;
	for (i = 0; i < BURST; i++) {
		d[i].loop = loop;
		d[i].loop_thread = pthread_self();
		d[i].steps = 0;
		d[i].done = false;
		assert_true(policy_fibers_go(fs, decide, &d[i]));
		assert_int_equal(d[i].steps, 1);	/* sleeps at its work */
	}
	assert_int_equal(policy_fibers_waiting(fs), BURST);
	ev_timer_init(&bound, stop_timer, 60., 0.);
	ev_timer_start(loop, &bound);
	ev_run(loop, 0);
	ev_timer_stop(loop, &bound);
	assert_int_equal(finished, BURST);
	for (i = 0; i < BURST; i++) {
		assert_true(d[i].done);
		assert_int_equal(d[i].steps, 3);
		assert_false(pthread_equal(d[i].worked_on, pthread_self()));
	}
	assert_int_equal(policy_fibers_waiting(fs), 0);
	/* a burst's stacks beyond the kept ones are given back */
	assert_true(policy_fibers_idle(fs) <= 128);
	assert_true(policy_fibers_idle(fs) > 0);
	policy_pool_free(pool);
	policy_fibers_free(fs);
	ev_loop_destroy(loop);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "hundreds_of_decisions_wait_at_workers_and_all_finish",
		    t_burst, NULL);
	return rg_cases_run(&c, "policy_fibers", NULL, NULL);
}
