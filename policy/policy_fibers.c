/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_fibers.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "xalloc.h"

/* Idle fibers kept for the next decisions; more are freed when they end,
 * so a burst of connections does not keep its stacks' touched pages */
#define POLICY_FIBERS_IDLE_MAX 128

/* One fiber and what the pool needs to run its blocking work. */
struct policy_fiber {
	struct fiber *f;
	struct policy_fibers *fs;
	struct policy_job job;		/* its blocking work, at a worker */
	fiber_fn *work;
	void *work_arg;
	struct policy_fiber *next;	/* idle list, or the done list */
};

struct policy_fibers {
	struct fiber_host host;		/* first: fiber_host_set */
	struct ev_loop *loop;
	struct policy_pool *pool;
	struct policy_fiber *idle;
	struct policy_fiber *running;	/* the one on the CPU */
	unsigned long nfibers;		/* idle and in use */
	unsigned long nidle;
	unsigned long nwaiting;
	bool no_stack_logged;
	ev_async back;			/* workers handed fibers back */
	pthread_mutex_t lock;		/* guards done */
	struct policy_fiber *done;
};

/* policy_fibers_job - on a worker: the blocking work, then back */
static void
policy_fibers_job(struct policy_job *j)
{
	struct policy_fiber *pf = (struct policy_fiber *)(void *)(
		(char *)j - offsetof(struct policy_fiber, job));
	struct policy_fibers *fs = pf->fs;

	pf->work(pf->work_arg);
	pthread_mutex_lock(&fs->lock);
	pf->next = fs->done;
	fs->done = pf;
	pthread_mutex_unlock(&fs->lock);
	ev_async_send(fs->loop, &fs->back);
}

/* policy_fibers_offload - the host's: blocking work to the pool */
static void
policy_fibers_offload(struct fiber_host *h, struct fiber *f, fiber_fn *fn,
		      void *arg)
{
	struct policy_fibers *fs = (struct policy_fibers *)(void *)h;
	struct policy_fiber *pf = fs->running;

	if (pf == NULL || pf->f != f)
		log_panic("fiber offload outside its fiber");
	pf->work = fn;
	pf->work_arg = arg;
	pf->job.run = policy_fibers_job;
	policy_pool_submit(fs->pool, &pf->job);
}

/* policy_fibers_back - the loop: resume what the workers handed back */
static void
policy_fibers_back(struct ev_loop *loop, ev_async *w, int revents)
{
	struct policy_fibers *fs = w->data;
	struct policy_fiber *pf;
	struct policy_fiber *next;
	struct policy_fiber *rev = NULL;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&fs->lock);
	pf = fs->done;
	fs->done = NULL;
	pthread_mutex_unlock(&fs->lock);
	for (; pf != NULL; pf = next) {	/* oldest first */
		next = pf->next;
		pf->next = rev;
		rev = pf;
	}
	for (pf = rev; pf != NULL; pf = next) {
		next = pf->next;
		pf->next = NULL;
		policy_fibers_resume(fs, pf->f);
	}
}

/* policy_fibers_new - the loop's fibers; workers from pool */
struct policy_fibers *
policy_fibers_new(struct ev_loop *loop, struct policy_pool *pool)
{
	struct policy_fibers *fs = xcalloc(1, sizeof(*fs));

	fs->host.offload = policy_fibers_offload;
	fs->loop = loop;
	fs->pool = pool;
	pthread_mutex_init(&fs->lock, NULL);
	ev_async_init(&fs->back, policy_fibers_back);
	fs->back.data = fs;
	ev_async_start(loop, &fs->back);
	fiber_host_set(&fs->host);
	return fs;
}

/* policy_fibers_enter - after a switch to pf came back: keep it or idle */
static void
policy_fibers_enter(struct policy_fibers *fs, struct policy_fiber *pf,
		    enum fiber_status st)
{
	fs->running = NULL;
	if (st == FIBER_WAITING)
		return;
	fs->nwaiting--;
	if (fs->nidle >= POLICY_FIBERS_IDLE_MAX) {
		fiber_free(pf->f);
		free(pf);
		fs->nfibers--;
		return;
	}
	pf->next = fs->idle;
	fs->idle = pf;
	fs->nidle++;
}

/* policy_fibers_go - run fn(arg) in a fiber; see policy_fibers.h */
bool
policy_fibers_go(struct policy_fibers *fs, fiber_fn *fn, void *arg)
{
	struct policy_fiber *pf = fs->idle;
	struct err e;

	if (fs->running != NULL)
		log_panic("a fiber started from inside a fiber");
	if (pf != NULL) {
		fs->idle = pf->next;
		fs->nidle--;
	} else {
		struct fiber *f = fiber_new(0, &e);

		if (f == NULL) {
			if (!fs->no_stack_logged)
				log_warn("%s: decisions wait at the "
					 "workers meanwhile", e.text);
			fs->no_stack_logged = true;
			return false;
		}
		pf = xcalloc(1, sizeof(*pf));
		pf->f = f;
		pf->fs = fs;
		fs->nfibers++;
	}
	pf->next = NULL;
	fs->running = pf;
	fs->nwaiting++;
	fiber_set_data(pf->f, pf);
	policy_fibers_enter(fs, pf, fiber_start(pf->f, fn, arg));
	return true;
}

/* policy_fibers_resume - go on with a sleeping fiber (loop callbacks) */
void
policy_fibers_resume(struct policy_fibers *fs, struct fiber *f)
{
	struct policy_fiber *pf = fiber_data(f);

	if (fs->running != NULL)
		log_panic("a fiber resumed from inside a fiber");
	fs->running = pf;
	policy_fibers_enter(fs, pf, fiber_resume(f));
}

/* policy_fibers_idle - fibers kept for later decisions */
unsigned long
policy_fibers_idle(const struct policy_fibers *fs)
{
	return fs->nidle;
}

/* policy_fibers_waiting - decisions started and not finished */
unsigned long
policy_fibers_waiting(const struct policy_fibers *fs)
{
	return fs->nwaiting;
}

/* policy_fibers_free - the idle fibers; NULL is fine (sleeping ones are
 * left to the exit with their decisions) */
void
policy_fibers_free(struct policy_fibers *fs)
{
	struct policy_fiber *pf;

	if (fs == NULL)
		return;
	fiber_host_set(NULL);
	ev_async_stop(fs->loop, &fs->back);
	while ((pf = fs->idle) != NULL) {
		fs->idle = pf->next;
		fiber_free(pf->f);
		free(pf);
	}
	pthread_mutex_destroy(&fs->lock);
	if (fs->nwaiting == 0)
		free(fs);
}
