#!/bin/bash
# socat TCP-LISTEN:...,fork under the shim serves 20 kernel-side clients in
# a row: for each connection the listening socat forks a child that owns
# the accepted socket, and that child runs a shell (SYSTEM:) whose answer
# it relays.  Each client sends its own line and must get back that line
# with the pids of the shell and of the socat child, which must not be the
# listener's: the connection was served by a forked process.
#
# Under a stack private to each process this fails at the first
# connection: the forked child cannot use the socket it inherited.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require socat
setup

PORT=7100
CONNECTIONS=20

# $$ is the shell's pid, $PPID the socat child's that runs it.
# shellcheck disable=SC2016 # expanded by the server's shell
shim_bg socat socat -d TCP-LISTEN:$PORT,fork,reuseaddr \
  SYSTEM:'read -r line; echo "echo $line sh=$$ socat=$PPID"'
listener=${BG_PID[socat]}
wait_tcp "$STACK_IP" "$PORT" || fail "socat under the shim does not accept on $STACK_IP:$PORT"

for ((i = 1; i <= CONNECTIONS; i++)); do
  msg="client $i of $CONNECTIONS $RANDOM$RANDOM"
  # -t 10: after sending, wait up to 10 s for the answer (it ends the
  # exchange as soon as the server closes).
  got=$(printf '%s\n' "$msg" | in_ns socat -t 10 - "TCP:$STACK_IP:$PORT") ||
    fail "connection $i: the kernel's socat client failed (got '$got')"
  [[ $got =~ ^echo\ (.*)\ sh=([0-9]+)\ socat=([0-9]+)$ ]] ||
    fail "connection $i: unexpected answer '$got' (expected 'echo $msg sh=PID socat=PID')"
  [[ ${BASH_REMATCH[1]} == "$msg" ]] ||
    fail "connection $i: the answer echoes '${BASH_REMATCH[1]}', the client sent '$msg'"
  child=${BASH_REMATCH[3]}
  ((child != listener)) ||
    fail "connection $i: served by the listening socat itself (pid $listener), not by a forked child"
  kill -0 "$listener" 2>/dev/null || fail "connection $i: the listening socat (pid $listener) is gone"
done
pass "$CONNECTIONS connections in a row, each answered by its own forked socat child"

kill -0 "$listener" 2>/dev/null || fail "the listening socat exited after $CONNECTIONS connections"
pass "the listening socat under the shim is still running"
