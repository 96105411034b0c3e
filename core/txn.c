/* SPDX-License-Identifier: BSD-2-Clause */
#include "txn.h"

#include <string.h>

/* txn_reset_message - forget the message, keep the connection facts */
void
txn_reset_message(struct txn *t)
{
	t->login[0] = '\0';
	t->sender[0] = '\0';
	t->from_count = 0;
	t->from_status = ADDR_NONE;
	memset(&t->from, 0, sizeof(t->from));
	t->from_why[0] = '\0';
	t->headers_truncated = false;
	t->long_field[0] = '\0';
}
