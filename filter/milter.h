/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * milter - the libmilter front end: every smfi_ call of relayguard.
 *
 * milter_open() registers the callbacks and opens the socket (as root; the
 * caller sets the umask for a unix socket's mode and gives the file its
 * owner and group); milter_run() serves until libmilter stops (SIGTERM).  Callbacks turn milter events into a struct txn,
 * ask core/engine what to do, sign with core/dkimsign, and turn the result
 * back into SMFIS_* codes, replies and headers.
 *
 * Configuration: milter_config_set() installs a generation; each connection
 * pins the generation current at its start until it closes, so a reload
 * never changes the rules under a message in flight.  The current pointer
 * is guarded by milter_cfg_lock (milter.c).
 */
#ifndef RG_MILTER_H
#define RG_MILTER_H

#include <stdbool.h>

#include "generation.h"

void milter_config_set(struct generation *cfg);
struct generation *milter_config_get(void);
int milter_open(struct generation *cfg);
int milter_run(void);

#endif
