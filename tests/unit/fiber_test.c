/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fiber_test - fibers: run to the end or to a yield, interleave, keep
 * their registers, floating point state and stack alignment across
 * switches, are reused, use deep stacks, fault on overflow instead of
 * writing below their stack, and hand blocking work to the host.
 */
#include "fiber.h"

#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rg_test.h"

/* --- run, yield, resume ----------------------------------------------- */

struct trace {
	char log[64];
	size_t n;
};

struct step_arg {
	struct trace *t;
	char tag;
	int yields;
};

/* step - write its tag, yield, as often as asked */
static void
step(void *arg)
{
	struct step_arg *a = arg;
	int i;

	for (i = 0; i < a->yields; i++) {
		a->t->log[a->t->n++] = a->tag;
		fiber_yield();
	}
	a->t->log[a->t->n++] = (char)(a->tag - 'a' + 'A');
}

/* t_run_to_end - a fiber that never yields is done at once */
static void
t_run_to_end(void **state)
{
	struct trace t = {{0}, 0};
	struct step_arg a = {&t, 'a', 0};
	struct fiber *f = fiber_new(0, NULL);

	(void)state;
	assert_non_null(f);
	assert_null(fiber_self());
	assert_int_equal(fiber_start(f, step, &a), FIBER_DONE);
	assert_string_equal(t.log, "A");
	assert_null(fiber_self());
	fiber_free(f);
}

/* t_interleave - two fibers take turns where they yield */
static void
t_interleave(void **state)
{
	struct trace t = {{0}, 0};
	struct step_arg a = {&t, 'a', 2};
	struct step_arg b = {&t, 'b', 3};
	struct fiber *fa = fiber_new(0, NULL);
	struct fiber *fb = fiber_new(0, NULL);

	(void)state;
	assert_int_equal(fiber_start(fa, step, &a), FIBER_WAITING);
	assert_int_equal(fiber_start(fb, step, &b), FIBER_WAITING);
	assert_int_equal(fiber_resume(fa), FIBER_WAITING);
	assert_int_equal(fiber_resume(fb), FIBER_WAITING);
	assert_int_equal(fiber_resume(fa), FIBER_DONE);
	assert_int_equal(fiber_resume(fb), FIBER_WAITING);
	assert_int_equal(fiber_resume(fb), FIBER_DONE);
	assert_string_equal(t.log, "ababAbB");
	/* a finished fiber starts again, from the top */
	t.n = 0;
	memset(t.log, 0, sizeof(t.log));
	a.yields = 1;
	assert_int_equal(fiber_start(fa, step, &a), FIBER_WAITING);
	assert_int_equal(fiber_resume(fa), FIBER_DONE);
	assert_string_equal(t.log, "aA");
	fiber_free(fa);
	fiber_free(fb);
}

/* --- registers, floating point, alignment --------------------------------- */

struct calc {
	int id;
	uint64_t isum;
	double dsum;
	bool aligned;
	char text[64];
};

/* calc - sums kept in locals (registers when optimised) across many
 * yields, a 16-byte aligned local, and printf of a double (SSE needs an
 * aligned stack) */
static void
calc(void *arg)
{
	struct calc *c = arg;
	alignas(16) volatile unsigned char vec[16];
	uint64_t a = 0;
	uint64_t b = 1;
	double d = 0.5;
	int i;

	c->aligned = ((uintptr_t)vec % 16) == 0;
	for (i = 0; i < 1000; i++) {
		uint64_t t = a + b + (uint64_t)c->id;

		a = b;
		b = t;
		d = d * 1.000001 + (double)c->id;
		fiber_yield();
	}
	vec[0] = 1;
	c->isum = b;
	c->dsum = d;
	(void)snprintf(c->text, sizeof(c->text), "%.3f", d);
}

/* calc_plain - the same work without fibers, for the expected values */
static void
calc_plain(struct calc *c)
{
	uint64_t a = 0;
	uint64_t b = 1;
	double d = 0.5;
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t t = a + b + (uint64_t)c->id;

		a = b;
		b = t;
		d = d * 1.000001 + (double)c->id;
	}
	c->isum = b;
	c->dsum = d;
	(void)snprintf(c->text, sizeof(c->text), "%.3f", d);
}

/* t_state_survives - interleaved fibers keep what they compute */
static void
t_state_survives(void **state)
{
	struct calc c[3];
	struct calc want[3];
	struct fiber *f[3];
	int live = 3;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		memset(&want[i], 0, sizeof(want[i]));
		c[i].id = want[i].id = i + 1;
		calc_plain(&want[i]);
		f[i] = fiber_new(0, NULL);
		assert_int_equal(fiber_start(f[i], calc, &c[i]),
				 FIBER_WAITING);
	}
	while (live > 0)
		for (i = 0; i < 3; i++)
			if (c[i].text[0] == '\0' &&
			    fiber_resume(f[i]) == FIBER_DONE)
				live--;
	for (i = 0; i < 3; i++) {
		assert_true(c[i].aligned);
		assert_true(c[i].isum == want[i].isum);
		assert_true(c[i].dsum == want[i].dsum);
		assert_string_equal(c[i].text, want[i].text);
		fiber_free(f[i]);
	}
}

/* --- stacks ------------------------------------------------------------ */

/* deep - use most of the stack, in frames */
static size_t
deep(size_t left)
{
	volatile char frame[4096];

	frame[0] = (char)left;
	frame[sizeof(frame) - 1] = (char)left;
	if (left <= sizeof(frame))
		return frame[0] != 0 ? 1 : 1;
	return deep(left - sizeof(frame)) + (size_t)(frame[0] != 99 ? 0 : 1);
}

/* deep_run - 200 kB of a 256 kB stack */
static void
deep_run(void *arg)
{
	*(size_t *)arg = deep(200 * 1024);
}

/* t_deep_stack - a fiber may use most of its stack */
static void
t_deep_stack(void **state)
{
	struct fiber *f = fiber_new(FIBER_STACK_DEFAULT, NULL);
	size_t got = 0;

	(void)state;
	assert_int_equal(fiber_start(f, deep_run, &got), FIBER_DONE);
	assert_true(got > 0);
	fiber_free(f);
}

/* overflow - recurse without end */
static void
overflow(void *arg)
{
	*(size_t *)arg = deep((size_t)-1 / 2);
}

/* t_overflow_faults - past the stack's end is the guard page: the
 * process gets SIGSEGV (in a child), nothing below is overwritten */
static void
t_overflow_faults(void **state)
{
	const char *san = getenv("RG_SAN");
	int st = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fiber *f = fiber_new(64 * 1024, NULL);
		size_t got = 0;

		(void)fiber_start(f, overflow, &got);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (san != NULL && strcmp(san, "1") == 0) {
		/* ASan catches the fault, reports a stack overflow, exits 1 */
		assert_true(WIFSIGNALED(st) ||
			    (WIFEXITED(st) && WEXITSTATUS(st) != 0));
		return;
	}
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* --- blocking work ------------------------------------------------------ */

struct host {
	struct fiber_host h;
	pthread_t tid;
	struct fiber *f;
	fiber_fn *fn;
	void *arg;
	int offloads;
};

/* host_thread - the worker: run the blocking work */
static void *
host_thread(void *arg)
{
	struct host *h = arg;

	h->fn(h->arg);
	return NULL;
}

/* host_offload - start the worker; the test resumes the fiber after
 * joining it */
static void
host_offload(struct fiber_host *fh, struct fiber *f, fiber_fn *fn, void *arg)
{
	struct host *h = (struct host *)(void *)fh;

	h->f = f;
	h->fn = fn;
	h->arg = arg;
	h->offloads++;
	assert_int_equal(pthread_create(&h->tid, NULL, host_thread, h), 0);
}

struct where {
	pthread_t ran_on;
	pthread_t fiber_thread;
	bool after;
};

/* note_thread - the blocking work: on which thread it ran */
static void
note_thread(void *arg)
{
	struct where *w = arg;

	w->ran_on = pthread_self();
}

/* blocker - a fiber that does blocking work */
static void
blocker(void *arg)
{
	struct where *w = arg;

	w->fiber_thread = pthread_self();
	fiber_blocking(note_thread, w);
	w->after = true;
}

/* t_blocking_goes_to_the_host - in a fiber with a host the work runs
 * elsewhere while the fiber sleeps; without a host, or outside a fiber,
 * right here */
static void
t_blocking_goes_to_the_host(void **state)
{
	struct host h;
	struct where w;
	struct fiber *f = fiber_new(0, NULL);

	(void)state;
	memset(&h, 0, sizeof(h));
	h.h.offload = host_offload;
	/* no host: inline */
	memset(&w, 0, sizeof(w));
	assert_false(fiber_may_offload());
	assert_int_equal(fiber_start(f, blocker, &w), FIBER_DONE);
	assert_true(pthread_equal(w.ran_on, pthread_self()));
	assert_true(w.after);
	/* a host: at its worker, the fiber waits until resumed */
	fiber_host_set(&h.h);
	assert_false(fiber_may_offload());	/* not in a fiber */
	memset(&w, 0, sizeof(w));
	assert_int_equal(fiber_start(f, blocker, &w), FIBER_WAITING);
	assert_false(w.after);
	assert_int_equal(h.offloads, 1);
	assert_int_equal(pthread_join(h.tid, NULL), 0);
	assert_false(pthread_equal(w.ran_on, pthread_self()));
	assert_true(pthread_equal(w.fiber_thread, pthread_self()));
	assert_ptr_equal(h.f, f);
	assert_int_equal(fiber_resume(f), FIBER_DONE);
	assert_true(w.after);
	/* outside a fiber, blocking work runs here even with a host */
	memset(&w, 0, sizeof(w));
	fiber_blocking(note_thread, &w);
	assert_true(pthread_equal(w.ran_on, pthread_self()));
	assert_int_equal(h.offloads, 1);
	fiber_host_set(NULL);
	fiber_free(f);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "a_fiber_that_never_yields_is_done_at_once",
		    t_run_to_end, NULL);
	rg_case_add(&c, "fibers_take_turns_where_they_yield_and_start_again",
		    t_interleave, NULL);
	rg_case_add(&c, "registers_floating_point_and_alignment_survive_"
			"switches",
		    t_state_survives, NULL);
	rg_case_add(&c, "a_fiber_may_use_most_of_its_stack", t_deep_stack,
		    NULL);
	rg_case_add(&c, "an_overflow_faults_on_the_guard_page",
		    t_overflow_faults, NULL);
	rg_case_add(&c, "blocking_work_runs_at_the_host_while_the_fiber_"
			"sleeps",
		    t_blocking_goes_to_the_host, NULL);
	return rg_cases_run(&c, "fiber", NULL, NULL);
}
