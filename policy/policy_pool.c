/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct policy_pool {
	pthread_mutex_t lock;		/* guards head, tail, idle, stop */
	pthread_cond_t work;		/* a job came, or stop */
	struct policy_job *head;
	struct policy_job *tail;
	unsigned idle;			/* workers waiting on work */
	bool stop;
	size_t pending;			/* submitted, not yet taken done */

	pthread_mutex_t done_lock;	/* guards done_head, done_tail */
	struct policy_job *done_head;
	struct policy_job *done_tail;

	policy_pool_notify_fn *notify;
	void *arg;
	unsigned nthreads;
	pthread_t *threads;
};

/* policy_pool_worker - take jobs until told to stop */
static void *
policy_pool_worker(void *arg)
{
	struct policy_pool *p = arg;
	struct policy_job *j;
	bool wake;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->lock);
			p->idle--;
		}
		if (p->head == NULL) {	/* stop, and nothing left to do */
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);

		j->next = NULL;
		j->run(j);

		pthread_mutex_lock(&p->done_lock);
		wake = p->done_head == NULL;
		if (p->done_tail != NULL)
			p->done_tail->next = j;
		else
			p->done_head = j;
		p->done_tail = j;
		pthread_mutex_unlock(&p->done_lock);
		if (wake)
			p->notify(p->arg);
	}
}

/* policy_pool_new - start nthreads workers */
struct policy_pool *
policy_pool_new(unsigned nthreads, policy_pool_notify_fn *notify, void *arg,
		struct err *e)
{
	struct policy_pool *p = xcalloc(1, sizeof(*p));
	unsigned i;
	int rc;

	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->done_lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->notify = notify;
	p->arg = arg;
	p->threads = xcalloc(nthreads, sizeof(*p->threads));
	for (i = 0; i < nthreads; i++) {
		rc = pthread_create(&p->threads[i], NULL, policy_pool_worker,
				    p);
		if (rc != 0) {
			err_set(e, "cannot start worker thread %u of %u: %s",
				i + 1, nthreads, strerror(rc));
			policy_pool_free(p);
			return NULL;
		}
		p->nthreads++;
	}
	return p;
}

/* policy_pool_submit - queue a job for the next free worker */
void
policy_pool_submit(struct policy_pool *p, struct policy_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->pending++;
	/* a busy pool takes the job when a worker comes back: no wake-up */
	if (p->idle > 0)
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

/* policy_pool_take_done - every finished job, oldest first, or NULL */
struct policy_job *
policy_pool_take_done(struct policy_pool *p)
{
	struct policy_job *j;
	size_t n = 0;

	pthread_mutex_lock(&p->done_lock);
	j = p->done_head;
	p->done_head = NULL;
	p->done_tail = NULL;
	pthread_mutex_unlock(&p->done_lock);
	if (j == NULL)
		return NULL;
	for (struct policy_job *k = j; k != NULL; k = k->next)
		n++;
	pthread_mutex_lock(&p->lock);
	p->pending -= n;
	pthread_mutex_unlock(&p->lock);
	return j;
}

/* policy_pool_pending - jobs submitted and not yet taken back */
size_t
policy_pool_pending(struct policy_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->pending;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* policy_pool_free - let the workers finish the queue, stop them, free;
 * NULL is fine.  Jobs still on the done list stay the caller's. */
void
policy_pool_free(struct policy_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		(void)pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->done_lock);
	free(p->threads);
	free(p);
}
