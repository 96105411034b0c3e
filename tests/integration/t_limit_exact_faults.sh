#!/usr/bin/env bash
# t_limit_exact_faults.sh - a quota stays exact through faults (exact.sh):
# two relayguard milters on two smtpd listeners of a real Postfix, one
# Redis (append-only file, fsync always), a login with a daily quota of
# 120; 300 messages sent half through each while Redis is frozen (SIGSTOP
# 2 s, later 1 s), the second milter is SIGKILLed and started again, Redis
# is SIGKILLed and started again from its file, and the first milter gets
# SIGHUP every 100 ms; then every refused message is retried until rounds
# a lease apart accept nothing.  Delivered == 120 exactly, once each, both
# signatures on each; Redis and relayguardctl say 120.  (Less any message
# the SIGKILL caught after Redis counted it and before Postfix read the
# answer: each is found in the maillog and Redis, shown, and counted.)
# Redis runs the relayguard module (RR_MODULE, again after its restart), so
# the decisions go through RELAYGUARD.LIMIT; the other exact tests run the
# Lua script.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/exact.sh"

rig_init limit_exact_faults
export RR_MODULE=yes
EX_FRONT=milter EX_BACKEND=redis EX_FAULTS="freeze kill crash hup" ex_run
rig_check "the decisions ran in the module" \
	grep -q "run in the RELAYGUARD.LIMIT module" "$RUN"/front-a.log
rig_check "never the script" \
	sh -c "! grep -q 'run the Lua script instead' $RUN/front-*.log"
rg_finish
