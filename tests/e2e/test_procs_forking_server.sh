#!/bin/bash
# Python's socketserver.ForkingTCPServer under the shim: kernel-side
# clients, three rounds of five at once, each served by a forked child of
# the server (tests/e2e/data/forking_server.py).  Every client checks that
# its answer echoes its own line and comes from a child whose parent is the
# server, with distinct children within a round (they are alive together).
#
# Under a stack private to each process this fails at the first client:
# the forked child cannot use the accepted socket it inherited.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3
setup

DATA=$(dirname "$0")/data
PORT=7300

shim_bg server python3 "$DATA/forking_server.py" 0.0.0.0 "$PORT"
wait_log server '^listening on' 15 || fail "the ForkingTCPServer under the shim did not start"
server_pid=$(sed -n 's/^listening on .* pid \([0-9]*\)$/\1/p' "$(logof server)")
[[ $server_pid == "${BG_PID[server]}" ]] ||
  fail "the server says its pid is '$server_pid', the harness started ${BG_PID[server]}"

out=$(in_ns python3 "$DATA/forking_clients.py" "$STACK_IP" "$PORT" 5 3 "$server_pid" 2>&1) ||
  fail "the kernel's clients of the ForkingTCPServer under the shim: $out"
log "$(wc -l <<<"$out") clients served"
pass "15 kernel clients, 5 at a time, each answered by its own forked child of the server"

kill -0 "$server_pid" 2>/dev/null || fail "the ForkingTCPServer exited"
out=$(in_ns python3 "$DATA/forking_clients.py" "$STACK_IP" "$PORT" 1 1 "$server_pid" 2>&1) ||
  fail "a client after the children have exited: $out"
pass "the server still serves once the children of the earlier rounds are gone"
