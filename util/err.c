/* SPDX-License-Identifier: BSD-2-Clause */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

/* err_vset - the text and the code */
static void __attribute__((format(printf, 3, 0)))
err_vset(struct err *e, enum err_code code, const char *fmt, va_list ap)
{
	int n;

	e->code = code;
	n = vsnprintf(e->text, sizeof(e->text), fmt, ap);
	if (n < 0)
		e->text[0] = '\0';
}

/* err_set - describe what went wrong (ERR_FAILED); truncation is
 * acceptable here */
void
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	err_vset(e, ERR_FAILED, fmt, ap);
	va_end(ap);
}

/* err_setc - describe what went wrong, of which kind */
void
err_setc(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
}

/* err_set_code - the kind of an error already described */
void
err_set_code(struct err *e, enum err_code code)
{
	if (e != NULL)
		e->code = code;
}

/* err_clear - no error */
void
err_clear(struct err *e)
{
	if (e != NULL) {
		e->code = ERR_NONE;
		e->text[0] = '\0';
	}
}
