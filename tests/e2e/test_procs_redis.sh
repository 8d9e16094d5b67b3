#!/bin/bash
# redis-server under the shim, and at the same time its clients under the
# shim too, as separate programs on the one TAP (one host, $STACK_IP, as
# unrelated programs on one machine would be): redis-cli under the shim
# and the kernel's redis-cli each read what the other wrote, then
# redis-benchmark under the shim (50 connections, SET and GET, 10000
# requests each) runs while both redis-clis keep writing and reading their
# own keys, and must report its requests per second.  No persistence:
# nothing is saved to $WORK.
#
# Under a stack private to each process the server runs, but the first
# client under the shim cannot attach to the TAP the server holds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require redis-server redis-cli redis-benchmark
setup

PORT=6379

shim_bg redis redis-server --port "$PORT" --bind 0.0.0.0 --protected-mode no \
  --save '' --appendonly no --dir "$WORK" --daemonize no --logfile ''
wait_log redis 'Ready to accept connections' 15 || fail "redis-server under the shim did not start"
wait_tcp "$STACK_IP" "$PORT" || fail "redis-server under the shim does not accept on $STACK_IP:$PORT"

# kcli ARGS...: the kernel's redis-cli; scli ARGS...: redis-cli under the shim.
kcli() { in_ns redis-cli -h "$STACK_IP" -p "$PORT" "$@"; }
scli() { shim redis-cli -h "$STACK_IP" -p "$PORT" "$@"; }

token=$RANDOM$RANDOM
got=$(scli SET from-shim "shim $token" 2>&1) || fail "redis-cli under the shim: SET failed: $got"
[[ $got == OK ]] || fail "redis-cli under the shim: SET answered '$got'"
got=$(kcli GET from-shim 2>&1) || fail "the kernel's redis-cli: GET failed: $got"
[[ $got == "shim $token" ]] || fail "the kernel's GET from-shim got '$got', expected 'shim $token'"
got=$(kcli SET from-kernel "kernel $token" 2>&1) || fail "the kernel's redis-cli: SET failed: $got"
[[ $got == OK ]] || fail "the kernel's redis-cli: SET answered '$got'"
got=$(scli GET from-kernel 2>&1) || fail "redis-cli under the shim: GET failed: $got"
[[ $got == "kernel $token" ]] || fail "GET from-kernel under the shim got '$got', expected 'kernel $token'"
pass "redis-cli under the shim and the kernel's redis-cli each read what the other SET"

shim_bg bench redis-benchmark -h "$STACK_IP" -p "$PORT" -n 10000 -q -t set,get
# While the benchmark runs (or until it has ended), both clients go on
# writing and reading their own keys.  At least one round each.
round=0
while :; do
  round=$((round + 1))
  for who in k s; do
    val="$who $round $RANDOM"
    got=$("${who}cli" SET "during-$who" "$val" 2>&1) || true
    [[ $got == OK ]] || fail "round $round: SET by ${who}cli during the benchmark answered '$got'"
    got=$("${who}cli" GET "during-$who" 2>&1) || true
    [[ $got == "$val" ]] || fail "round $round: GET by ${who}cli during the benchmark got '$got', expected '$val'"
  done
  if ! kill -0 "${BG_PID[bench]}" 2>/dev/null || ((round >= 50)); then
    break
  fi
done
status=0
wait_exit bench 50 || status=$?
((status == 0)) || fail "redis-benchmark under the shim failed (status $status)"
tr '\r' '\n' <"$(logof bench)" | grep -E 'requests per second' >"$WORK/bench.txt" || true
for t in SET GET; do
  grep -qE "^$t: [0-9]+(\.[0-9]+)? requests per second" "$WORK/bench.txt" ||
    fail "redis-benchmark reports no $t figure: $(tr '\r' '\n' <"$(logof bench)" | tail -5)"
done
log "$(tr '\n' ';' <"$WORK/bench.txt")"
log "$round rounds of SET/GET by each redis-cli while the benchmark ran"
pass "redis-benchmark under the shim completed SET and GET against the shim's server while both redis-clis used it"

# The benchmark's SETs (key:__rand_int__, a 3-byte value by default) and
# the earlier keys are all in the one server.
got=$(kcli STRLEN key:__rand_int__ 2>&1) || fail "STRLEN key:__rand_int__ failed: $got"
[[ $got == 3 ]] || fail "the benchmark's key holds $got bytes, expected 3"
got=$(scli GET from-shim 2>&1) || fail "GET from-shim under the shim failed: $got"
[[ $got == "shim $token" ]] || fail "after the benchmark GET from-shim got '$got'"
pass "the benchmark's key and the clients' keys are in the server"
