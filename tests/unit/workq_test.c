/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workq_test - the background queue: items handled in order off the
 * caller's thread, a full queue refuses without waiting, flush waits,
 * kicks reach the handler, resize keeps the newest, free drops the rest.
 */
#include "workq.h"

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "rg_test.h"

struct sink {
	pthread_mutex_t lock;
	pthread_mutex_t gate;	/* held: the handler waits */
	uintptr_t seen[1000];
	size_t nseen;
	size_t kicks;
	size_t dropped;
	size_t batches;
};

/* handle - record the items (after passing the gate) */
static void
handle(void *arg, void **items, size_t n)
{
	struct sink *s = arg;
	size_t i;

	pthread_mutex_lock(&s->gate);
	pthread_mutex_unlock(&s->gate);
	pthread_mutex_lock(&s->lock);
	if (n == 0)
		s->kicks++;
	else
		s->batches++;
	for (i = 0; i < n && s->nseen < 1000; i++)
		s->seen[s->nseen++] = (uintptr_t)items[i];
	pthread_mutex_unlock(&s->lock);
}

/* drop - count */
static void
drop(void *arg, void *item)
{
	struct sink *s = arg;

	(void)item;
	pthread_mutex_lock(&s->lock);
	s->dropped++;
	pthread_mutex_unlock(&s->lock);
}

/* mk - a queue of cap feeding a fresh sink */
static struct workq *
mk(struct sink *s, size_t cap, size_t batch)
{
	struct workq *q;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->gate, NULL);
	q = workq_new(cap, batch, handle, drop, s, NULL);
	assert_non_null(q);
	return q;
}

/* items_are_handled_in_order_in_batches */
static void
t_order(void **state)
{
	struct sink s;
	struct workq *q = mk(&s, 100, 8);
	uintptr_t i;

	(void)state;
	pthread_mutex_lock(&s.gate);
	for (i = 1; i <= 50; i++)
		assert_true(workq_put(q, (void *)i));
	pthread_mutex_unlock(&s.gate);
	assert_int_equal(workq_flush(q, 5000), 0);
	assert_int_equal(s.nseen, 50);
	for (i = 0; i < 50; i++)
		assert_int_equal(s.seen[i], i + 1);
	assert_true(s.batches < 50);	/* several per call while blocked */
	assert_int_equal(workq_len(q), 0);
	assert_int_equal(workq_free(q, 1000), 0);
}

/* a_full_queue_refuses_without_waiting */
static void
t_full(void **state)
{
	struct sink s;
	struct workq *q = mk(&s, 4, 1);
	uintptr_t i;
	int taken = 0;

	(void)state;
	pthread_mutex_lock(&s.gate);
	for (i = 1; i <= 10; i++)
		taken += workq_put(q, (void *)i);
	/* 4 queued, plus at most 1 the thread already holds */
	assert_true(taken == 4 || taken == 5);
	assert_int_equal(workq_flush(q, 50), -1);	/* still blocked */
	pthread_mutex_unlock(&s.gate);
	assert_int_equal(workq_flush(q, 5000), 0);
	assert_int_equal(s.nseen, (size_t)taken);
	(void)workq_free(q, 1000);
}

/* a_kick_reaches_the_handler_with_no_items */
static void
t_kick(void **state)
{
	struct sink s;
	struct workq *q = mk(&s, 4, 1);

	(void)state;
	workq_kick(q);
	assert_int_equal(workq_flush(q, 5000), 0);
	assert_int_equal(s.kicks, 1);
	assert_int_equal(s.nseen, 0);
	(void)workq_free(q, 1000);
}

/* resize_keeps_the_newest_and_drops_the_oldest */
static void
t_resize(void **state)
{
	struct sink s;
	struct workq *q = mk(&s, 10, 1);
	uintptr_t i;

	(void)state;
	pthread_mutex_lock(&s.gate);
	assert_true(workq_put(q, (void *)1));
	while (workq_len(q) > 0)	/* the thread takes 1, waits at the gate */
		usleep(1000);
	for (i = 2; i <= 9; i++)
		assert_true(workq_put(q, (void *)i));
	assert_int_equal(workq_resize(q, 3), 5);
	assert_int_equal(s.dropped, 5);
	pthread_mutex_unlock(&s.gate);
	assert_int_equal(workq_flush(q, 5000), 0);
	assert_int_equal(s.nseen, 4);
	assert_int_equal(s.seen[0], 1);
	assert_int_equal(s.seen[1], 7);
	assert_int_equal(s.seen[3], 9);
	(void)workq_free(q, 1000);
}

/* slow - a handler that takes 20 ms per item */
static void
slow(void *arg, void **items, size_t n)
{
	struct sink *s = arg;

	usleep(20000 * (useconds_t)n);
	pthread_mutex_lock(&s->lock);
	s->nseen += n;
	pthread_mutex_unlock(&s->lock);
	(void)items;
}

/* free_gives_the_handler_its_time_then_drops_the_rest */
static void
t_free(void **state)
{
	struct sink s;
	struct workq *q;
	unsigned long dropped;
	uintptr_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	q = workq_new(100, 1, slow, drop, &s, NULL);
	assert_non_null(q);
	for (i = 1; i <= 20; i++)
		assert_true(workq_put(q, (void *)i));
	/* 400 ms of work; 100 ms allowed */
	dropped = workq_free(q, 100);
	assert_true(dropped > 0);
	assert_int_equal(dropped, s.dropped);
	assert_int_equal(s.nseen + s.dropped, 20);
	assert_int_equal(workq_free(NULL, 0), 0);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "items_are_handled_in_order_in_batches", t_order,
		    NULL);
	rg_case_add(&c, "a_full_queue_refuses_without_waiting", t_full, NULL);
	rg_case_add(&c, "a_kick_reaches_the_handler_with_no_items", t_kick,
		    NULL);
	rg_case_add(&c, "resize_keeps_the_newest_and_drops_the_oldest",
		    t_resize, NULL);
	rg_case_add(&c, "free_gives_the_handler_its_time_then_drops_the_rest",
		    t_free, NULL);
	return rg_cases_run(&c, "workq", NULL, NULL);
}
