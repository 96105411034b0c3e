#!/bin/bash
# sighup_reload - SIGHUP reloads the tables: a new key for other.example
# is used by new connections, a connection opened before the reload keeps
# the old tables; a broken config or a missing key file is refused with
# "reload failed, keeping the running configuration" and signing goes on.
# (driver: sighup_reload.py)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sighup_reload
rg_start
rg_py_scenario sighup_reload.py
rg_expect_log_count 'reload failed, keeping the running configuration' 2 \
	"exactly two refused reloads logged"
rg_expect_log_count 'HUP[AN]000[0-9]: (signed|not signed): ' 9 \
	"one decision logged per message (9)"
rg_finish
