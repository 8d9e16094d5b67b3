#!/bin/bash
# Python's subprocess under the shim runs a program on each accepted
# socket (the socket as the program's standard input and output, every
# other descriptor closed, the server's copy closed at once): first by
# subprocess's usual vfork path, then by fork (a preexec_fn), where the
# child exec()s while the library's threads run.  sha256sum reads each
# kernel client's 1 MB to the client's half-close and answers its digest.
# No process of the stack may die holding its lock (a warning the others
# print when they find the lock's owner dead).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3 sha256sum socat
setup

DATA=$(dirname "$0")/data
ROUNDS=8

serve() { # MODE PORT
  local mode=$1 port=$2
  shim_bg "$mode" python3 "$DATA/subprocess_server.py" 0.0.0.0 "$port" "$ROUNDS" "$mode" sha256sum
  wait_log "$mode" '^listening on' 15 || fail "the $mode server under the shim did not start"
  for ((i = 1; i <= ROUNDS; i++)); do
    random_file "$WORK/$mode$i" 1M
    want=$(sha256 "$WORK/$mode$i")
    got=$(in_ns socat -t 20 - "TCP:$STACK_IP:$port" <"$WORK/$mode$i" 2>"$WORK/$mode-client$i.err") ||
      fail "$mode, connection $i: the kernel's socat client failed: $(cat "$WORK/$mode-client$i.err")"
    [[ $got == "$want  -" ]] ||
      fail "$mode, connection $i: sha256sum under the shim answered '$got', expected '$want  -'"
  done
  wait_exit "$mode" 20 || fail "the $mode server did not exit after $ROUNDS connections"
  local statuses
  statuses=$(grep -c 'sha256sum exited 0$' "$(logof "$mode")" || true)
  [[ $statuses == "$ROUNDS" ]] ||
    fail "$mode: $statuses of $ROUNDS programs exited 0: $(cat "$(logof "$mode")")"
  if grep -q 'died holding the stack lock' "$(logof "$mode")"; then
    fail "$mode: a process of the stack died holding its lock: $(grep 'died holding' "$(logof "$mode")")"
  fi
  pass "$mode: $ROUNDS programs run by subprocess on the accepted socket each read 1 MB and answered its digest"
}

serve vfork 7400
serve fork 7401
