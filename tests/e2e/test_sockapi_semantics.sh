#!/bin/bash
# The socket API beyond plain I/O as a program sees it, compared line by
# line with Linux: dup/dup2/dup3/F_DUPFD/close_range/closefrom on sockets,
# readiness in every TCP state through epoll, poll, ppoll, select and
# pselect, epoll's modes and errors, mixed descriptor sets, sendfile and
# splice, sendmmsg/recvmmsg, TCP_INFO, TCP_CONGESTION and the queue
# ioctls, signals against blocking calls, cancelled threads, and a
# program that closes every descriptor first.
#
# The probe (tests/e2e/probes, built as build/probes/sockapi_probe) runs
# each group of scenarios twice: over 127.0.0.1 against a peer thread of
# its own (under the shim both ends are then in the user-space stack), and
# over the TAP against the same program in "serve" mode on the kernel's
# side.  Each run's transcript must equal tests/e2e/data/sockapi_GROUP_lo
# (or _tap).expected, recorded with the kernel in the stack's place
# (MYNET_E2E_STACK=kernel MYNET_E2E_RECORD=1).  A scenario that hangs
# prints "NAME TIMEOUT" and the run goes on with the next one, so every
# group is compared in full; the test fails at the end naming every
# transcript that differs.
# shellcheck source-path=SCRIPTDIR source=lib.sh
: "${MYNET_E2E_TIMEOUT:=560}"
source "$(dirname "$0")/lib.sh"
require ss
setup

PROBE=$MYNET_BUILD_DIR/probes/sockapi_probe
[[ -x $PROBE ]] || fail "$PROBE not built; build first (cmake --build $MYNET_BUILD_DIR)"
PORT=9600
in_ns_bg peer "$PROBE" serve "$KERNEL_IP" "$PORT" </dev/null
wait_listen "$PORT" || fail "the kernel-side peer (sockapi_probe serve) did not start"

# run_group NAME GROUP lo|tap: the group's transcript in $WORK/NAME.got;
# after a scenario's TIMEOUT the probe is started again from the next one.
run_group() {
  local name=$1 group=$2 where=$3 from=0 status runs=0 resume=$WORK/$1.resume
  local args=("$PROBE" run "$group" "$where")
  [[ $where == tap ]] && args+=("$KERNEL_IP" "$PORT")
  : >"$WORK/$name.got"
  while ((runs++ < 40)); do
    rm -f "$resume"
    status=0
    shim "${args[@]}" --from "$from" --resume-file "$resume" >>"$WORK/$name.got" 2>&1 || status=$?
    if ((status == 3)) && [[ -s $resume ]]; then
      from=$(<"$resume")
      continue
    fi
    ((status == 0)) || echo "exit status $status" >>"$WORK/$name.got"
    break
  done
}

differ=()
total=0
for group in $("$PROBE" list); do
  for where in lo tap; do
    name=sockapi_${group}_$where
    run_group "$name" "$group" "$where"
    total=$((total + 1))
    if transcript_matches_linux "$name"; then
      pass "$group over $where: $(wc -l <"$WORK/$name.got") observations identical to Linux's"
    else
      differ+=("$name")
    fi
  done
done

# A program that closes every descriptor first; the transcript goes to a
# file because its standard output is closed too.
name=sockapi_fds
: >"$WORK/$name.got"
status=0
shim "$PROBE" fds "$WORK/fds.out" "$KERNEL_IP" "$PORT" >"$WORK/fds.stdout" 2>&1 || status=$?
[[ -f $WORK/fds.out ]] && cat "$WORK/fds.out" >>"$WORK/$name.got"
((status == 0)) || echo "exit status $status" >>"$WORK/$name.got"
total=$((total + 1))
if transcript_matches_linux "$name"; then
  pass "closing every descriptor first: $(wc -l <"$WORK/$name.got") observations identical to Linux's"
else
  differ+=("$name")
fi

if ((${#differ[@]} > 0)); then
  for name in "${differ[@]}"; do
    log "$name: $(grep -c '^-[^-]' "$WORK/$name.diff") of $(wc -l <"$(dirname "$0")/data/$name.expected" 2>/dev/null || echo '?') expected lines differ, $(grep -c ' TIMEOUT$' "$WORK/$name.got") timeouts"
  done
  fail "${#differ[@]} of $total transcripts differ from Linux's (- expected, + under the shim): ${differ[*]}"
fi
