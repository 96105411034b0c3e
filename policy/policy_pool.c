/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_pool.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

struct policy_worker {
	struct policy_pool *pool;
	pthread_t tid;
	sem_t go;			/* posted with a job, or to stop */
	struct policy_job *job;		/* set by whoever posts go */
	struct policy_worker *next_idle;
};

struct policy_pool {
	pthread_mutex_t lock;		/* guards idle, head, tail, stop */
	struct policy_worker *idle;	/* last idle first */
	struct policy_job *head;	/* jobs waiting for a worker */
	struct policy_job *tail;
	bool stop;
	unsigned nthreads;		/* started */
	struct policy_worker *workers;
};

/* policy_pool_wait - sleep until posted */
static void
policy_pool_wait(struct policy_worker *w)
{
	while (sem_wait(&w->go) < 0)
		if (errno != EINTR)
			log_panic("sem_wait: %s", strerror(errno));
}

/* policy_pool_worker - run jobs; sleep on its own semaphore when idle */
static void *
policy_pool_worker(void *arg)
{
	struct policy_worker *w = arg;
	struct policy_pool *p = w->pool;
	struct policy_job *j;

	for (;;) {
		policy_pool_wait(w);
		j = w->job;
		if (j == NULL)
			return NULL;	/* stop */
		while (j != NULL) {
			j->next = NULL;
			j->run(j);
			pthread_mutex_lock(&p->lock);
			j = p->head;
			if (j != NULL) {	/* more work: no sleep */
				p->head = j->next;
				if (p->head == NULL)
					p->tail = NULL;
			} else {
				w->job = NULL;
				w->next_idle = p->idle;
				p->idle = w;
			}
			pthread_mutex_unlock(&p->lock);
		}
	}
}

/* policy_pool_new - start nthreads workers */
struct policy_pool *
policy_pool_new(unsigned nthreads, struct err *e)
{
	struct policy_pool *p = xcalloc(1, sizeof(*p));
	unsigned i;
	int rc;

	pthread_mutex_init(&p->lock, NULL);
	p->workers = xcalloc(nthreads, sizeof(*p->workers));
	for (i = 0; i < nthreads; i++) {
		struct policy_worker *w = &p->workers[i];

		w->pool = p;
		if (sem_init(&w->go, 0, 0) < 0)
			log_panic("sem_init: %s", strerror(errno));
		/* idle from the start: on the stack before it runs */
		w->next_idle = p->idle;
		p->idle = w;
		rc = pthread_create(&w->tid, NULL, policy_pool_worker, w);
		if (rc != 0) {
			p->idle = w->next_idle;
			sem_destroy(&w->go);
			err_set(e, "cannot start worker thread %u of %u: %s",
				i + 1, nthreads, strerror(rc));
			policy_pool_free(p);
			return NULL;
		}
		p->nthreads++;
	}
	return p;
}

/* policy_pool_submit - give the job to the last idle worker, or queue it */
void
policy_pool_submit(struct policy_pool *p, struct policy_job *job)
{
	struct policy_worker *w;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	w = p->idle;
	if (w != NULL) {
		p->idle = w->next_idle;
		w->job = job;
	} else if (p->tail != NULL) {
		p->tail->next = job;
		p->tail = job;
	} else {
		p->head = job;
		p->tail = job;
	}
	pthread_mutex_unlock(&p->lock);
	if (w != NULL && sem_post(&w->go) < 0)
		log_panic("sem_post: %s", strerror(errno));
}

/* policy_pool_free - let the workers finish every queued job, stop them,
 * free; NULL is fine */
void
policy_pool_free(struct policy_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_mutex_unlock(&p->lock);
	/* a busy worker finishes, goes idle, and then takes this post with
	 * no job: it stops */
	for (i = 0; i < p->nthreads; i++)
		if (sem_post(&p->workers[i].go) < 0)
			log_panic("sem_post: %s", strerror(errno));
	for (i = 0; i < p->nthreads; i++) {
		(void)pthread_join(p->workers[i].tid, NULL);
		sem_destroy(&p->workers[i].go);
	}
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}
