/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fiber - a function run on its own stack by the thread that starts it,
 * able to step aside while it waits and be taken up again later by the
 * same thread: many decisions in flight on one event loop, each written
 * as plain blocking code.
 *
 * fiber_start() runs fn(arg) on the fiber's stack until fn returns
 * (FIBER_DONE: the fiber may be started again) or calls fiber_yield()
 * (FIBER_WAITING); fiber_resume() goes on after the yield, with the same
 * two outcomes.  Only the thread that started a fiber resumes it, never
 * from inside another fiber.  Stacks are mmap'd with a guard page below,
 * so an overflow faults instead of writing over memory; only the pages a
 * fiber touches become resident.  ASan and valgrind are told of every
 * switch and stack.
 *
 * A thread that runs fibers installs a host (fiber_host_set): how a fiber
 * waits for blocking work.  fiber_blocking(fn, arg) is what blocking code
 * calls around a system call that may wait (DNS, a socket round trip, a
 * sleep): inside a fiber of a thread with a host, the host runs fn(arg)
 * somewhere else (a worker thread) and the fiber sleeps until it is done;
 * anywhere else fn(arg) runs right here.  Callers thus stay correct on
 * threads that know nothing of fibers.
 */
#ifndef RG_FIBER_H
#define RG_FIBER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define FIBER_STACK_DEFAULT (256 * 1024)

enum fiber_status {
	FIBER_DONE,
	FIBER_WAITING,
};

struct fiber;
typedef void fiber_fn(void *arg);

struct fiber_host {
	/* run fn(arg) where it may block, then make the host resume f
	 * (f has yielded by the time it runs or soon after: the host must
	 * not resume it before fiber_offload returned to the loop) */
	void (*offload)(struct fiber_host *h, struct fiber *f, fiber_fn *fn,
			void *arg);
};

struct fiber *fiber_new(size_t stack_size, struct err *e);
void fiber_free(struct fiber *f);
enum fiber_status fiber_start(struct fiber *f, fiber_fn *fn, void *arg);
enum fiber_status fiber_resume(struct fiber *f);
void fiber_yield(void);
struct fiber *fiber_self(void);
void fiber_set_data(struct fiber *f, void *data);
void *fiber_data(const struct fiber *f);
void fiber_host_set(struct fiber_host *h);
bool fiber_may_offload(void);
void fiber_blocking(fiber_fn *fn, void *arg);
void fiber_sleep_ms(unsigned ms);

#endif
