#!/usr/bin/env bash
# t_limit_exact_policy.sh - a quota stays exact through faults with the
# policy service (exact.sh): two relayguard-policyd, asked at RCPT and at
# END-OF-MESSAGE by two smtpd listeners of a real Postfix, one Redis; the
# same faults as t_limit_exact_faults.sh (Redis frozen twice and killed,
# the second policy service SIGKILLed, SIGHUP every 100 ms to the first)
# plus clients that leave after RCPT, which the policy service never
# hears of: their reservations run out by themselves (limit_lease_time).
# Delivered == the quota exactly; Redis and relayguardctl agree.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/policyd.sh"
. "$(dirname "$0")/exact.sh"

rig_init limit_exact_policy
EX_FRONT=policy EX_BACKEND=redis EX_FAULTS="freeze kill crash hup abort" ex_run
rg_finish
