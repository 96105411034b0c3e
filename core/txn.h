/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * txn - what the engine knows about one message, independent of the
 * protocol it arrived by (milter now, policy delegation later).
 *
 * Front ends fill a struct txn from their protocol; engine_*() decide.
 * Strings are bounded copies owned by the struct; nothing points into
 * protocol buffers.  One thread at a time.
 */
#ifndef RG_TXN_H
#define RG_TXN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "addr.h"

#define TXN_LOGIN_MAX 256
#define TXN_PATH_MAX 256	/* RFC 5321 4.5.3.1.3 */
#define TXN_HOST_MAX 256

struct txn {
	char client_addr[INET6_ADDRSTRLEN];	/* "" when not IP */
	char client_name[TXN_HOST_MAX];
	char login[TXN_LOGIN_MAX];	/* SASL login, "" if none */
	char sender[TXN_PATH_MAX];	/* MAIL FROM without <> */

	unsigned from_count;		/* From: fields seen */
	enum addr_status from_status;	/* of the first From */
	struct addr from;
	char from_why[128];		/* reason when from_status != OK */
	bool headers_truncated;		/* over max_header_bytes */
	char long_field[64];		/* a signed field over the limit */
};

void txn_reset_message(struct txn *t);

#endif
