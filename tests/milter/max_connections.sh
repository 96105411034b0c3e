#!/bin/bash
# max_connections - max_connections = 2: the third simultaneous MTA
# connection gets tempfail at CONNECT and the log says "more than
# max_connections"; the others keep working; a closed one frees its slot.
# (driver: max_connections.py)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup max_connections "max_connections = 2"
rg_start
rg_py_scenario max_connections.py
rg_expect_log_count 'MAXC000[123]: signed: ' 3 "three messages signed"
rg_finish
