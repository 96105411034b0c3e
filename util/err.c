/* SPDX-License-Identifier: BSD-2-Clause */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

/* err_set - describe what went wrong; truncation is acceptable here */
void
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->text[0] = '\0';
}

/* err_clear - no error */
void
err_clear(struct err *e)
{
	if (e != NULL)
		e->text[0] = '\0';
}
