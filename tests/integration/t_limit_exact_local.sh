#!/usr/bin/env bash
# t_limit_exact_local.sh - limit_fail_mode = local through the Redis
# faults of t_limit_exact_faults.sh (exact.sh; frozen twice, killed, and
# SIGHUP every 100 ms): while Redis is away each relayguard decides alone
# with limit_local_percent (10%) of the quota, so at most that share per
# node may go out beyond it, never more; every message let through locally
# is counted in Redis once it answers, so Redis, relayguardctl and the
# deliveries agree exactly afterwards.  (Not with a node killed meanwhile:
# the counts it still had to write are lost with it, relayguard.conf(5).)
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/exact.sh"

rig_init limit_exact_local
EX_FRONT=milter EX_BACKEND=redis EX_FAILMODE=local \
	EX_FAULTS="freeze kill hup" ex_run
rg_finish
