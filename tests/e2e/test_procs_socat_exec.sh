#!/bin/bash
# socat TCP-LISTEN:...,fork with EXEC:...,nofork under the shim: for each
# connection the listener forks, and the child execs the program with the
# accepted socket as its standard input and output, so the socket crosses
# both fork() and execve().  Two servers: sha256sum, which reads the
# kernel client's 4 MB to the end (the client's half-close) and answers
# with their digest, five times; then, started while the first still
# runs, cat, which echoes 4 MB back while the client is still sending.
#
# Under a stack private to each process this fails at the first
# connection: the exec'd program cannot use the socket it inherited.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require socat sha256sum cat
setup

SHA_PORT=7200
CAT_PORT=7201

shim_bg sha socat -d TCP-LISTEN:$SHA_PORT,fork,reuseaddr EXEC:sha256sum,nofork
wait_tcp "$STACK_IP" "$SHA_PORT" || fail "socat EXEC:sha256sum under the shim does not accept on $STACK_IP:$SHA_PORT"

for i in 1 2 3 4 5; do
  random_file "$WORK/data$i" 4M
  want=$(sha256 "$WORK/data$i")
  # -t 20: after its half-close the client waits up to 20 s for the digest.
  got=$(in_ns socat -t 20 - "TCP:$STACK_IP:$SHA_PORT" <"$WORK/data$i" 2>"$WORK/sha-client$i.err") ||
    fail "connection $i to sha256sum: the kernel's socat client failed: $(cat "$WORK/sha-client$i.err")"
  [[ $got == "$want  -" ]] ||
    fail "connection $i: sha256sum under the shim answered '$got', expected '$want  -'"
done
pass "5 connections: sha256sum exec'd on the accepted socket read 4 MB each and answered its digest"

# A second, unrelated program under the shim, while the first still runs.
shim_bg cat socat -d TCP-LISTEN:$CAT_PORT,fork,reuseaddr EXEC:cat,nofork
wait_tcp "$STACK_IP" "$CAT_PORT" || fail "socat EXEC:cat under the shim does not accept on $STACK_IP:$CAT_PORT"
random_file "$WORK/echo.in" 4M
in_ns socat -t 20 - "TCP:$STACK_IP:$CAT_PORT" <"$WORK/echo.in" >"$WORK/echo.out" 2>"$WORK/cat-client.err" ||
  fail "the kernel's socat client of cat failed: $(cat "$WORK/cat-client.err")"
same_file "$WORK/echo.in" "$WORK/echo.out" "4 MB echoed by cat"
pass "cat exec'd on the accepted socket echoed 4 MB intact"

kill -0 "${BG_PID[sha]}" 2>/dev/null || fail "the listening socat EXEC:sha256sum exited"
kill -0 "${BG_PID[cat]}" 2>/dev/null || fail "the listening socat EXEC:cat exited"
pass "both listening socats under the shim are still running"
