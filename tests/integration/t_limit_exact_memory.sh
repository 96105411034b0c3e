#!/usr/bin/env bash
# t_limit_exact_memory.sh - a quota stays exact with the memory backend
# (exact.sh): one relayguard behind both smtpd listeners of a real Postfix
# (its counters live in that process), SIGHUP every 100 ms (counters
# survive a reload), every fifth client leaving after RCPT; then retries:
# delivered == the quota exactly.  (A killed process takes its counters
# with it: that is what limit_backend = redis is for.)
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/exact.sh"

rig_init limit_exact_memory
EX_FRONT=milter EX_BACKEND=memory EX_ONE=1 EX_FAULTS="hup abort" ex_run
rg_finish
