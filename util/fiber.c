/* SPDX-License-Identifier: BSD-2-Clause */
#include "fiber.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "xalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#ifdef FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define FIBER_VALGRIND 1
#endif
#endif

/*
 * The switch.  On x86-64 our own: the callee-saved registers, MXCSR and
 * the x87 control word are pushed on the stack being left and popped from
 * the other - no system call (glibc's swapcontext saves the signal mask
 * with rt_sigprocmask each time: five calls a decision).  Elsewhere
 * ucontext.  A new fiber's stack is made to look as if fiber_switch had
 * been called from fiber_entry's caller.
 */
#if defined(__x86_64__)
#define FIBER_OWN_SWITCH 1
void rg_fiber_switch(void **save_sp, void *to_sp);
__asm__(".text\n"
	".globl rg_fiber_switch\n"
	".hidden rg_fiber_switch\n"
	".type rg_fiber_switch,@function\n"
	"rg_fiber_switch:\n"
#ifdef __CET__
	"	endbr64\n"
#endif
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size rg_fiber_switch,.-rg_fiber_switch\n");
#endif

struct fiber {
#ifdef FIBER_OWN_SWITCH
	void *sp;			/* saved while away */
#else
	ucontext_t ctx;
#endif
	char *map;			/* guard page + stack */
	size_t map_size;
	char *stack;			/* lowest usable byte */
	size_t stack_size;
	fiber_fn *fn;
	void *arg;
	bool done;
	void *asan_fake;		/* ASan's fake stack while away */
	unsigned vg_id;			/* valgrind's stack id */
	void *data;			/* the owner's */
};

/* The thread's own context while a fiber runs, the fiber, the host. */
#ifdef FIBER_OWN_SWITCH
static __thread void *fiber_main_sp;
#else
static __thread ucontext_t fiber_main;
#endif
static __thread struct fiber *fiber_cur;
static __thread struct fiber_host *fiber_host_cur;
#ifdef FIBER_ASAN
static __thread const void *fiber_main_lo;
static __thread size_t fiber_main_size;
#endif

/* fiber_new - a fiber with a stack of stack_size bytes (0: the default);
 * NULL with e set when the memory cannot be had */
struct fiber *
fiber_new(size_t stack_size, struct err *e)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct fiber *f;

	if (stack_size == 0)
		stack_size = FIBER_STACK_DEFAULT;
	stack_size = (stack_size + page - 1) / page * page;
	f = xcalloc(1, sizeof(*f));
	f->map_size = stack_size + page;
	f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		      -1, 0);
	if (f->map == MAP_FAILED) {
		err_set(e, "fiber stack (%zu bytes): %s", f->map_size,
			strerror(errno));
		free(f);
		return NULL;
	}
	if (mprotect(f->map, page, PROT_NONE) < 0) {
		err_set(e, "fiber stack guard page: %s", strerror(errno));
		(void)munmap(f->map, f->map_size);
		free(f);
		return NULL;
	}
	f->stack = f->map + page;
	f->stack_size = stack_size;
	f->done = true;
#ifdef FIBER_VALGRIND
	f->vg_id = VALGRIND_STACK_REGISTER(f->stack, f->stack + stack_size);
#endif
	return f;
}

/* fiber_free - release a fiber that is not waiting; NULL is fine */
void
fiber_free(struct fiber *f)
{
	if (f == NULL)
		return;
#ifdef FIBER_VALGRIND
	VALGRIND_STACK_DEREGISTER(f->vg_id);
#endif
	(void)munmap(f->map, f->map_size);
	free(f);
}

/* fiber_arrived - on the fiber's stack after a switch to it */
static void
fiber_arrived(struct fiber *f)
{
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(f->asan_fake, &fiber_main_lo,
					&fiber_main_size);
#else
	(void)f;
#endif
}

/* fiber_leave - from the fiber back to the thread's own stack; finished:
 * never to come back to this frame */
static void
fiber_leave(struct fiber *f, bool finished)
{
#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(finished ? NULL : &f->asan_fake,
				       fiber_main_lo, fiber_main_size);
#else
	(void)finished;
#endif
#ifdef FIBER_OWN_SWITCH
	rg_fiber_switch(&f->sp, fiber_main_sp);
#else
	if (swapcontext(&f->ctx, &fiber_main) < 0)
		abort();
#endif
	fiber_arrived(f);
}

/* fiber_entry - the bottom frame of every fiber */
static void
fiber_entry(void)
{
	struct fiber *f = fiber_cur;

	fiber_arrived(f);
	f->fn(f->arg);
	f->done = true;
	fiber_leave(f, true);
	abort();	/* a finished fiber is never resumed */
}

/* fiber_enter - from the thread's stack into f, until it yields or ends */
static enum fiber_status
fiber_enter(struct fiber *f)
{
#ifdef FIBER_ASAN
	void *fake = NULL;
#endif

	if (fiber_cur != NULL)
		abort();	/* fibers are not nested */
	fiber_cur = f;
#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(&fake, f->stack, f->stack_size);
#endif
#ifdef FIBER_OWN_SWITCH
	rg_fiber_switch(&fiber_main_sp, f->sp);
#else
	if (swapcontext(&fiber_main, &f->ctx) < 0)
		abort();
#endif
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	fiber_cur = NULL;
	return f->done ? FIBER_DONE : FIBER_WAITING;
}

/* fiber_start - run fn(arg) on f (which must not be waiting) */
enum fiber_status
fiber_start(struct fiber *f, fiber_fn *fn, void *arg)
{
	if (!f->done)
		abort();
#ifdef FIBER_OWN_SWITCH
	{
		/* from the top: a return address slot that leaves the stack
		 * as a call would (rsp + 8 a multiple of 16 at entry), the
		 * six registers (zero), MXCSR and the x87 control word at
		 * their defaults */
		uintptr_t top = ((uintptr_t)(f->stack + f->stack_size)) &
				~(uintptr_t)15;
		uint64_t *sp = (uint64_t *)(top - 16);
		uint32_t *fp;
		int i;

		sp[0] = (uint64_t)(uintptr_t)fiber_entry;
		sp[1] = 0;
		for (i = 1; i <= 6; i++)
			sp[-i] = 0;
		sp -= 7;
		fp = (uint32_t *)(void *)sp;
		fp[0] = 0x1f80;		/* MXCSR: all exceptions masked */
		fp[1] = 0x037f;		/* x87: all masked, double extended */
		f->sp = sp;
	}
#else
	if (getcontext(&f->ctx) < 0)
		abort();
	f->ctx.uc_stack.ss_sp = f->stack;
	f->ctx.uc_stack.ss_size = f->stack_size;
	f->ctx.uc_link = NULL;
	makecontext(&f->ctx, fiber_entry, 0);
#endif
	f->fn = fn;
	f->arg = arg;
	f->done = false;
	f->asan_fake = NULL;
	return fiber_enter(f);
}

/* fiber_resume - go on with a waiting fiber */
enum fiber_status
fiber_resume(struct fiber *f)
{
	if (f->done)
		abort();
	return fiber_enter(f);
}

/* fiber_yield - from inside a fiber: back to whoever started or resumed
 * it, until it is resumed */
void
fiber_yield(void)
{
	struct fiber *f = fiber_cur;

	if (f == NULL)
		abort();
	fiber_leave(f, false);
}

/* fiber_self - the fiber running on this thread; NULL outside any */
struct fiber *
fiber_self(void)
{
	return fiber_cur;
}

/* fiber_set_data - the owner's pointer kept with f */
void
fiber_set_data(struct fiber *f, void *data)
{
	f->data = data;
}

/* fiber_data - what fiber_set_data kept */
void *
fiber_data(const struct fiber *f)
{
	return f->data;
}

/* fiber_host_set - this thread's host (NULL: none) */
void
fiber_host_set(struct fiber_host *h)
{
	fiber_host_cur = h;
}

/* fiber_may_offload - would fiber_blocking run elsewhere? */
bool
fiber_may_offload(void)
{
	return fiber_cur != NULL && fiber_host_cur != NULL;
}

/* fiber_blocking - run fn(arg), which may block; see fiber.h */
void
fiber_blocking(fiber_fn *fn, void *arg)
{
	struct fiber *f = fiber_cur;

	if (f == NULL || fiber_host_cur == NULL) {
		fn(arg);
		return;
	}
	fiber_host_cur->offload(fiber_host_cur, f, fn, arg);
	fiber_yield();
}

/* fiber_sleep_one - nanosleep for fiber_sleep_ms */
static void
fiber_sleep_one(void *arg)
{
	unsigned ms = *(unsigned *)arg;
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* fiber_sleep_ms - sleep ms milliseconds, as blocking work */
void
fiber_sleep_ms(unsigned ms)
{
	fiber_blocking(fiber_sleep_one, &ms);
}
