# shellcheck shell=bash
# Shared helpers for the end-to-end tests: real programs, the kernel and the
# mynet shim talking over a TAP inside a network namespace of the test's own.
#
# A test reads:
#
#   source "$(dirname "$0")/lib.sh"
#   require nc python3          # skip (exit 77) if a program is missing
#   setup                       # namespace, TAP, cleanup trap, watchdog
#   shim_bg srv "$EXAMPLES/udp_echo_server" -p 7000
#   wait_log srv 'listening on' || fail "server did not start"
#   in_ns ping -c 3 -W 2 "$STACK_IP" || fail "no echo replies"
#   pass "kernel pings the stack"
#
# The namespace holds TAP mynet0 with the kernel's side at $KERNEL_IP/24;
# a program under the shim attaches to it as $STACK_IP/24.  Nothing is
# created outside the namespace, and every wait is bounded.
#
# Environment:
#   MYNET_BUILD_DIR, MYNET_SOURCE_DIR  set by CTest; default: the checkout
#                                      and its build/ folder
#   MYNET_E2E_STACK=kernel   run every "shim" program on the kernel's own
#                            stack instead (a second namespace joined by a
#                            veth pair), to check the tests themselves
#                            against the reference; default "mynet"
#   MYNET_E2E_TIMEOUT=S      watchdog for the whole test (default 240 s)
#   ASAN_OPTIONS etc. reach shim programs as set; a sanitizer build of
#   libmynet.so gets its runtime preloaded first and ASan leak checks off
#   (tools/mynet does both; sanitizer reports in logs fail the test)
#   MYNET_LOG, MYNET_LOG_FILE are passed to shim programs (for debugging);
#   other MYNET_* from the caller's environment are dropped so that a
#   developer's settings cannot change what a test means.

set -euo pipefail

# ip and ethtool live in sbin, which a non-login root shell may lack.
PATH=$PATH:/usr/sbin:/sbin

E2E_NAME=$(basename "$0" .sh)
MYNET_SOURCE_DIR=${MYNET_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MYNET_BUILD_DIR=${MYNET_BUILD_DIR:-$MYNET_SOURCE_DIR/build}
MYNET_E2E_STACK=${MYNET_E2E_STACK:-mynet}
MYNET_E2E_TIMEOUT=${MYNET_E2E_TIMEOUT:-240}

EXAMPLES=$MYNET_BUILD_DIR/examples
LIB=$MYNET_BUILD_DIR/libmynet.so
LAUNCHER=$MYNET_SOURCE_DIR/tools/mynet
NETNS_TOOL=$MYNET_SOURCE_DIR/tools/mynet-netns

TAP=mynet0
KERNEL_IP=192.0.2.1
STACK_IP=192.0.2.2
# Every shim program of a test is one host with one MAC.  With a new random
# MAC per process the kernel's ARP cache would still point at the previous
# program's MAC, and frames would go astray until the entry timed out.
STACK_MAC=02:00:00:00:00:02
PREFIX=24
NS=mynet-e2e-$$
PEER_NS=$NS-ref # kernel reference mode only
# Bound on any one foreground command (each should take seconds).
CMD_TIMEOUT=60

for _v in MYNET_TAP MYNET_ADDR MYNET_GW MYNET_MAC MYNET_MTU MYNET_ROUTES MYNET_PCAP \
  MYNET_FAULTS MYNET_LINGER MYNET_DNS MYNET_LIB; do
  unset "$_v"
done
unset _v

WORK=
PASSED=0
FAILED=false
SETUP_DONE=false
WATCHDOG_PID=
declare -A BG_PID=()
declare -A DAEMON_PID=()   # adopt_daemon: name -> pid
declare -A DAEMON_START=() # name -> the process's start time (/proc/PID/stat field 22)

log() { echo "[$E2E_NAME] $*"; }

# skip MSG: the test cannot run here; CTest shows it as skipped.
skip() {
  echo "SKIP: $E2E_NAME: $*" >&2
  exit 77
}

# fail MSG: report, show the logs of background programs, exit 1.
fail() {
  FAILED=true
  echo "FAIL: $E2E_NAME: $*" >&2
  dump_diagnostics >&2
  exit 1
}

# pass MSG: one check passed; the test goes on.
pass() {
  PASSED=$((PASSED + 1))
  echo "ok: $*"
}

# require PROGRAM...: skip unless every program is on PATH.
require() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 ||
      skip "needs '$p' (tools/install-deps installs it)"
  done
}

# The tests rely on OpenBSD netcat's options (-q, -W, UDP listen).
require_nc_openbsd() {
  require nc
  nc -h 2>&1 | grep -q OpenBSD || skip "needs OpenBSD netcat (package netcat-openbsd) as nc"
}

kernel_mode() { [[ $MYNET_E2E_STACK == kernel ]]; }

# A sanitizer build of libmynet.so (detected as tools/mynet does).
sanitizer_build() {
  [[ -f $LIB ]] && ldd "$LIB" 2>/dev/null | grep -qE 'lib(a|t)san\.so'
}

check_environment() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (CAP_NET_ADMIN) to create a network namespace and TAP"
  [[ -c /dev/net/tun ]] || skip "needs /dev/net/tun (TAP devices)"
  require ip timeout awk grep
  ip netns list >/dev/null 2>&1 || skip "cannot use network namespaces here (ip netns list failed)"
  local f
  for f in "$EXAMPLES/udp_echo_server" "$EXAMPLES/udp_echo_client"; do
    [[ -x $f ]] || fail "$f not built; build first (cmake --build $MYNET_BUILD_DIR)"
  done
  case $MYNET_E2E_STACK in
  mynet)
    [[ -f $LIB ]] || fail "$LIB not built; build first (cmake --build $MYNET_BUILD_DIR)"
    [[ -x $LAUNCHER ]] || fail "$LAUNCHER missing or not executable"
    ;;
  kernel) ;;
  *) fail "MYNET_E2E_STACK must be 'mynet' or 'kernel', not '$MYNET_E2E_STACK'" ;;
  esac
}

# A test killed outright (SIGKILL from a CTest timeout) cannot clean up;
# the next test removes namespaces whose owning test process is gone.
sweep_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns =~ ^mynet-e2e-([0-9]+)(-ref)?$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    log "removing stale namespace $ns (its test, pid $pid, is gone)"
    "$NETNS_TOOL" down "$ns" >/dev/null 2>&1 || ip netns del "$ns" 2>/dev/null || true
  done
}

make_namespaces() {
  if kernel_mode; then
    # The kernel plays the stack's part: the same addresses, but over a
    # veth pair whose far end sits in a second namespace.
    ip netns add "$NS"
    ip netns add "$PEER_NS"
    ip -n "$NS" link add "$TAP" type veth peer name eth0 netns "$PEER_NS"
    ip -n "$NS" addr add "$KERNEL_IP/$PREFIX" dev "$TAP"
    ip -n "$PEER_NS" addr add "$STACK_IP/$PREFIX" dev eth0
    ip -n "$NS" link set "$TAP" up
    ip -n "$NS" link set lo up
    ip -n "$PEER_NS" link set eth0 up
    ip -n "$PEER_NS" link set lo up
    local ns
    for ns in "$NS" "$PEER_NS"; do
      ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
    done
    # Checksums the kernel leaves to the (virtual) NIC show up as bad in a
    # capture; have them computed in software so captures compare.
    ip netns exec "$PEER_NS" ethtool -K eth0 tx off >/dev/null 2>&1 || true
    log "reference mode: 'shim' programs run on the kernel stack in namespace $PEER_NS"
  else
    "$NETNS_TOOL" up "$NS" >/dev/null
  fi
}

# setup: check the machine, create the namespace, arm cleanup and watchdog.
setup() {
  check_environment
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$E2E_NAME.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  sweep_stale
  make_namespaces
  SETUP_DONE=true
  # Backstop so the test cleans up before CTest's own timeout kills it
  # with no chance to remove the namespace.
  # Its output goes nowhere so that it never holds CTest's pipe open; it
  # leaves a mark for cleanup to report.  If the test was killed outright,
  # its pid may belong to another process by then: check before killing.
  (
    trap 'kill "$sleeper" 2>/dev/null; wait "$sleeper"; exit 0' TERM
    sleep "$MYNET_E2E_TIMEOUT" &
    sleeper=$!
    wait "$sleeper"
    if [[ -d $WORK ]] && tr '\0' ' ' <"/proc/$$/cmdline" | grep -qF "$E2E_NAME"; then
      touch "$WORK/.watchdog"
      kill -TERM $$
    fi
  ) </dev/null >/dev/null 2>&1 &
  WATCHDOG_PID=$!
  if ! kernel_mode && sanitizer_build; then
    log "libmynet.so is a sanitizer build: its runtime is preloaded first, leak checks off"
  fi
  log "namespace $NS ready ($TAP: kernel $KERNEL_IP, stack $STACK_IP); logs in $WORK"
}

# in_ns CMD...: run CMD on the kernel's side of the namespace (bounded).
in_ns() {
  timeout -k 5 "$CMD_TIMEOUT" ip netns exec "$NS" "$@"
}

# Fill SHIM_ARGV with the command line that runs "$@" under the shim.
shim_argv() {
  # The library rejects MYNET_* names it does not know, so the harness's
  # own variables must not reach the program.
  local unset_args=() v
  for v in $(compgen -e); do
    [[ $v =~ ^MYNET_(BUILD_DIR|SOURCE_DIR|LIB|E2E_.*)$ ]] && unset_args+=(-u "$v")
  done
  if kernel_mode; then
    SHIM_ARGV=(ip netns exec "$PEER_NS" env "${unset_args[@]}" "$@")
  else
    SHIM_ARGV=(ip netns exec "$NS" env "${unset_args[@]}"
      "MYNET_TAP=${MYNET_TAP-$TAP}" "MYNET_ADDR=${MYNET_ADDR-$STACK_IP/$PREFIX}"
      "MYNET_MAC=${MYNET_MAC-$STACK_MAC}" "$LAUNCHER" --lib "$LIB" -- "$@")
  fi
}

# shim CMD...: run CMD in the namespace with its sockets on the mynet stack
# (bounded).  MYNET_* variables set by the caller, e.g.
# `MYNET_PCAP=f shim ...`, are passed on; MYNET_TAP, MYNET_ADDR and
# MYNET_MAC default to the namespace's TAP, $STACK_IP/$PREFIX and $STACK_MAC.
shim() {
  shim_argv "$@"
  timeout -k 5 "$CMD_TIMEOUT" "${SHIM_ARGV[@]}"
}

# Start a background program NAME; its stdout and stderr go to
# $(logof NAME), its stdin is the caller's.
start_bg() {
  local name=$1
  shift
  [[ -z ${BG_PID[$name]:-} ]] || fail "harness: background name '$name' used twice"
  # No timeout wrapper: $! must be the program itself (ip netns exec, env
  # and the launcher all exec), so that stop/wait_exit act on it.
  # Without job control bash gives a background command /dev/null as stdin
  # unless it is redirected explicitly, so pass on the caller's stdin (as
  # in `shim_bg srv nc -u -l 7 <file`), except a terminal.
  if [[ -t 0 ]]; then
    "$@" </dev/null >"$WORK/$name.log" 2>&1 &
  else
    "$@" <&0 >"$WORK/$name.log" 2>&1 &
  fi
  BG_PID[$name]=$!
}

# shim_bg NAME CMD...: run CMD under the shim in the background.
shim_bg() {
  local name=$1
  shift
  shim_argv "$@"
  start_bg "$name" "${SHIM_ARGV[@]}"
}

# in_ns_bg NAME CMD...: run CMD on the kernel's side in the background.
in_ns_bg() {
  local name=$1
  shift
  start_bg "$name" ip netns exec "$NS" "$@"
}

# in_shim_ns CMD...: run CMD on the kernel stack in the namespace where
# shim programs run (the test's namespace, or the peer namespace in
# reference mode), e.g. to reach a shim program's kernel sockets (IPv6,
# AF_UNIX) from its own side (bounded).
in_shim_ns() {
  if kernel_mode; then
    timeout -k 5 "$CMD_TIMEOUT" ip netns exec "$PEER_NS" "$@"
  else
    in_ns "$@"
  fi
}

logof() { echo "$WORK/$1.log"; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  "$@" >/dev/null 2>&1
}

# wait_log NAME REGEX [SECONDS]: wait until NAME's log has a line matching.
wait_log() {
  wait_for "${3:-10}" grep -qE -- "$2" "$(logof "$1")"
}

# wait_exit NAME [SECONDS]: wait for a background program to end; returns
# its exit status, or 124 (as timeout(1) does) if it is still running.
wait_exit() {
  local pid=${BG_PID[$1]:?unknown background program $1} seconds=${2:-10}
  wait_for "$seconds" eval "! kill -0 $pid" || return 124
  local status=0
  wait "$pid" || status=$?
  return "$status"
}

# stop NAME: end a background program (TERM, then KILL after 3 s), and
# then the processes it had started that are still there (a forking
# server's per-connection children: TERM, then KILL after 3 s).
stop() {
  local pid=${BG_PID[$1]:-}
  [[ -n $pid ]] || return 0
  local kids
  kids=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_for 3 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086 # one pid per word
  stop_pids $kids
}

# descendants PID: the pids of PID's children, their children and so on
# (one per line), read from ps before anything is killed: once a parent is
# gone its children belong to init and can no longer be told from others.
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      todo = root
      while (todo != "") {
        n = split(todo, cur, " ")
        todo = ""
        for (i = 1; i <= n; i++) {
          m = split(kids[cur[i]], k, " ")
          for (j = 1; j <= m; j++) { print k[j]; todo = todo " " k[j] }
        }
      }
    }'
}

# stop_pids PID...: TERM the processes, KILL those still there after 3 s.
stop_pids() {
  (($# > 0)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  local p
  wait_for 3 eval "! kill -0 $* 2>/dev/null" ||
    for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done
}

# wait_stack_up [SECONDS]: wait until the stack answers ping, i.e. a shim
# program has opened a socket and the stack is attached to the TAP.
wait_stack_up() {
  wait_for "${1:-10}" in_ns ping -c 1 -W 1 "$STACK_IP"
}

# tap_packets rx|tx: frames the kernel's side of $TAP has received or sent
# (the kernel sends what the stack receives), to tell traffic that went
# over the TAP from traffic the kernel kept to itself.
tap_packets() {
  in_ns cat "/sys/class/net/$TAP/statistics/${1}_packets"
}

# Sanitizer reports in background programs' logs (foreground ones show up
# in exit statuses and the test's own output).
sanitizer_errors() {
  [[ -n $WORK ]] || return 1
  grep -lE 'ERROR: (Address|Thread|Leak)Sanitizer|runtime error: ' "$WORK"/*.log 2>/dev/null
}

dump_diagnostics() {
  [[ -n $WORK && -d $WORK ]] || return 0
  local f
  for f in "$WORK"/*.log; do
    [[ -e $f ]] || continue
    echo "---- $(basename "$f" .log) ----"
    tail -n 50 "$f"
  done
  if $SETUP_DONE; then
    echo "---- kernel side of $NS ----"
    ip -n "$NS" -s link show dev "$TAP" 2>&1 || true
    ip -n "$NS" neigh show 2>&1 || true
  fi
  echo "---- (logs kept in $WORK) ----"
}

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  [[ -n $WATCHDOG_PID ]] && kill "$WATCHDOG_PID" 2>/dev/null
  local name
  for name in "${!BG_PID[@]}"; do
    stop "$name"
  done
  for name in "${!DAEMON_PID[@]}"; do
    stop_daemon "$name"
  done
  # Decide and report before the namespace goes, so the report can show it.
  if ((status == 0)) && sanitizer_errors >/dev/null; then
    echo "FAIL: $E2E_NAME: sanitizer errors in: $(sanitizer_errors | tr '\n' ' ')" >&2
    FAILED=true
    dump_diagnostics >&2
    status=1
  elif [[ -n $WORK && -e $WORK/.watchdog ]]; then
    echo "FAIL: $E2E_NAME: watchdog: still running after ${MYNET_E2E_TIMEOUT}s (MYNET_E2E_TIMEOUT)" >&2
    FAILED=true
    dump_diagnostics >&2
    status=1
  elif ((status != 0 && status != 77)) && ! $FAILED; then
    # set -e stopped the test at a command that failed outside a check.
    echo "FAIL: $E2E_NAME: exited with status $status (a command failed; see above)" >&2
    FAILED=true
    dump_diagnostics >&2
  fi
  if $SETUP_DONE; then
    if kernel_mode; then
      ip netns del "$PEER_NS" 2>/dev/null
      ip netns del "$NS" 2>/dev/null
    else
      "$NETNS_TOOL" down "$NS" >/dev/null
    fi
  fi
  if ((status == 0)); then
    echo "PASS: $E2E_NAME: $PASSED checks passed"
  fi
  if [[ -n $WORK ]] && ! $FAILED; then
    rm -rf "$WORK"
  fi
  exit "$status"
}

# ---- helpers for the TCP tests ----

# require_example NAME...: the examples the test runs must be built.
require_example() {
  local e
  for e in "$@"; do
    [[ -x $EXAMPLES/$e ]] || fail "$EXAMPLES/$e not built; build first (cmake --build $MYNET_BUILD_DIR)"
  done
}

# wait_listen PORT [SECONDS]: wait until a kernel TCP socket in the
# namespace listens on PORT.
wait_listen() {
  wait_for "${2:-10}" in_ns sh -c "ss -Hltn 'sport = :$1' | grep -q ."
}

# random_file PATH SIZE: a file of SIZE random bytes (SIZE as for head -c,
# e.g. 20M).
random_file() {
  head -c "$2" /dev/urandom >"$1"
}

# sha256 FILE: its SHA-256 digest in hex.
sha256() {
  sha256sum "$1" | awk '{print $1}'
}

# same_file EXPECTED GOT WHAT: fail unless file GOT has the size and
# SHA-256 of file EXPECTED; WHAT names the transfer in the message.
same_file() {
  [[ -f $2 ]] || fail "$3: nothing was written to $2"
  local want_size got_size want got
  want_size=$(stat -c %s "$1")
  got_size=$(stat -c %s "$2")
  want=$(sha256 "$1")
  got=$(sha256 "$2")
  log "$3: $got_size of $want_size bytes, sha256 $got (expected $want)"
  ((got_size == want_size)) || fail "$3: $got_size bytes arrived, $want_size were sent"
  [[ $got == "$want" ]] || fail "$3: the $got_size bytes differ from what was sent (sha256 $got, expected $want)"
}

# mbps BYTES SECONDS: throughput in MB/s (10^6 bytes per second).
mbps() {
  awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6; else print "inf" }'
}

# elapsed_since START: seconds since START, a value of $EPOCHREALTIME.
elapsed_since() {
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

# wait_http URL [SECONDS]: wait until a GET of URL from the kernel's side
# succeeds (a server under the shim is up: the stack's listeners are not
# visible to ss).
wait_http() {
  wait_for "${2:-15}" in_ns curl -sf --max-time 2 -o /dev/null "$1"
}

# kernel_http_server NAME DIR PORT: python3 -m http.server on the kernel's
# side, serving DIR at http://$KERNEL_IP:PORT/; waits until it listens.
kernel_http_server() {
  in_ns_bg "$1" python3 -m http.server --bind "$KERNEL_IP" --directory "$2" "$3" </dev/null
  wait_listen "$3" || fail "python3 -m http.server on $KERNEL_IP:$3 did not start"
}

# kernel_sha256_server NAME PORT: an HTTP server on the kernel's side that
# answers a POST to http://$KERNEL_IP:PORT/ with "SHA256 LENGTH" of the
# body (tests/e2e/sha256_http_server.py); waits until it listens.
kernel_sha256_server() {
  in_ns_bg "$1" python3 "$MYNET_SOURCE_DIR/tests/e2e/sha256_http_server.py" "$KERNEL_IP" "$2" </dev/null
  wait_listen "$2" || fail "sha256_http_server.py on $KERNEL_IP:$2 did not start"
}

# curl_usable: whether curl can run under the shim.  With a sanitizer
# build the ASan runtime is preloaded into curl, and curl 7.88 then hangs
# in its first setlocale() on a glibc rwlock, with or without libmynet
# (llvm-project issue 49223) -- not every time, so no probe can tell; wget
# does the same now and then.  Sanitizer builds therefore never use them:
# the HTTP helpers below use python3 instead.
curl_usable() {
  kernel_mode || ! sanitizer_build
}

# shim_http_get URL OUT: download URL to OUT with curl (python3 where curl
# is not usable: under a preloaded sanitizer runtime curl, and now and then
# wget, hang in their own start-up) under the shim and log the throughput;
# the client's status is returned.
shim_http_get() {
  local stats status=0 size secs speed start
  if curl_usable; then
    stats=$(shim curl -sS --fail --max-time "$((CMD_TIMEOUT - 5))" -o "$2" \
      -w '%{size_download} %{time_total} %{speed_download}' "$1") || status=$?
    if ((status == 0)); then
      read -r size secs speed <<<"$stats"
      log "GET $1: $size bytes in ${secs}s, $(mbps "$speed" 1) MB/s (curl)"
    fi
  else
    start=$EPOCHREALTIME
    shim python3 -c 'import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=int(sys.argv[3])) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f, 1 << 16)' "$1" "$2" "$((CMD_TIMEOUT - 5))" || status=$?
    if ((status == 0)); then
      secs=$(elapsed_since "$start")
      size=$(stat -c %s "$2")
      log "GET $1: $size bytes in ${secs}s, $(mbps "$size" "$secs") MB/s (python3, including start-up)"
    fi
  fi
  return "$status"
}

# shim_http_post_sha256 FILE URL: POST FILE to a kernel_sha256_server with
# curl (python3 where curl is not usable) under the shim; succeeds if the
# server's digest and length match.  -H 'Expect:' stops curl from waiting
# a second for "100 Continue" (python's urllib never asks for it).
shim_http_post_sha256() {
  local out status=0 want digest length size secs speed start client
  if curl_usable; then
    client=curl
    out=$(shim curl -sS --fail --max-time "$((CMD_TIMEOUT - 5))" -H 'Expect:' \
      --data-binary "@$1" -w ' %{size_upload} %{time_total} %{speed_upload}' "$2") || status=$?
    # The server's line ends in a newline; curl's figures follow it.
    read -r digest length size secs speed <<<"${out//$'\n'/ }"
  else
    client="python3, including start-up"
    start=$EPOCHREALTIME
    out=$(shim python3 -c 'import sys, urllib.request
data = open(sys.argv[1], "rb").read()
req = urllib.request.Request(sys.argv[2], data=data, method="POST")
with urllib.request.urlopen(req, timeout=int(sys.argv[3])) as r:
    sys.stdout.write(r.read().decode())' "$1" "$2" "$((CMD_TIMEOUT - 5))") || status=$?
    secs=$(elapsed_since "$start")
    size=$(stat -c %s "$1")
    speed=$(awk -v b="$size" -v s="$secs" 'BEGIN { print (s > 0 ? b / s : 0) }')
    read -r digest length <<<"$out"
  fi
  ((status == 0)) || { log "POST $2: the client exited with $status"; return "$status"; }
  want=$(sha256 "$1")
  log "POST $2: $size bytes in ${secs}s, $(mbps "$speed" 1) MB/s ($client); server got $length bytes, sha256 $digest (expected $want)"
  [[ $digest == "$want" && $length == $(stat -c %s "$1") ]]
}

# ---- comparing what programs see with what Linux shows them ----
#
# A probe prints one line per observation; its transcript under the shim
# must equal tests/e2e/data/NAME.expected, which was recorded from the
# kernel: with MYNET_E2E_STACK=kernel MYNET_E2E_RECORD=1 the transcripts
# are written there instead of compared (and reference mode, without
# MYNET_E2E_RECORD, checks the recording itself on every run).

# probe_transcript NAME CMD...: run CMD under the shim (bounded), its
# standard output and error appended to $WORK/NAME.got; a non-zero exit
# status is appended as the line "exit status N", so that it shows in the
# comparison like any other difference.  Returns the status.
probe_transcript() {
  local name=$1 status=0
  shift
  shim "$@" >>"$WORK/$name.got" 2>&1 || status=$?
  ((status == 0)) || echo "exit status $status" >>"$WORK/$name.got"
  return "$status"
}

# transcript_matches_linux NAME: compare $WORK/NAME.got with
# data/NAME.expected (or record it, see above); on a difference print the
# diff (- expected, + got) and return 1.
transcript_matches_linux() {
  local name=$1 data
  data=$(dirname "${BASH_SOURCE[0]}")/data
  if [[ ${MYNET_E2E_RECORD:-} == 1 ]] && kernel_mode; then
    cp "$WORK/$name.got" "$data/$name.expected"
    log "recorded $data/$name.expected"
  fi
  [[ -f $data/$name.expected ]] || {
    log "$data/$name.expected is missing (record it: MYNET_E2E_STACK=kernel MYNET_E2E_RECORD=1)"
    return 1
  }
  if ! diff -u "$data/$name.expected" "$WORK/$name.got" >"$WORK/$name.diff"; then
    cat "$WORK/$name.diff"
    return 1
  fi
}

# compare_with_linux PROBE ARGS...: run tests/e2e/data/PROBE.py under the
# shim and fail unless what it prints equals data/PROBE.expected.
# compare_with_linux --cmd NAME CMD...: the same for any program (a C probe
# in the build tree, say), compared with data/NAME.expected.
compare_with_linux() {
  local name
  if [[ $1 == --cmd ]]; then
    name=$2
    shift 2
  else
    name=$1
    shift
    set -- python3 "$(dirname "${BASH_SOURCE[0]}")/data/$name.py" "$@"
  fi
  : >"$WORK/$name.got"
  probe_transcript "$name" "$@" || true
  transcript_matches_linux "$name" ||
    fail "socket semantics differ from Linux's (- expected, + under the shim)"
  pass "$(wc -l <"$WORK/$name.got") observations identical to Linux's"
}

# ---- helpers for the tests of processes sharing one stack ----

# adopt_daemon NAME PIDFILE [SECONDS]: a program that put itself in the
# background (forked and let its parent exit, as nginx does with
# "daemon on") and wrote its pid to PIDFILE: wait until the file names a
# live process, then keep that pid so that stop_daemon and cleanup end it
# and what it started.  1 if no live pid appeared in time.
adopt_daemon() {
  local name=$1 file=$2 seconds=${3:-10} pid
  [[ -z ${DAEMON_PID[$name]:-} ]] || fail "harness: daemon name '$name' used twice"
  wait_for "$seconds" eval "[[ -s '$file' ]] && kill -0 \$(head -n 1 '$file')" || return 1
  pid=$(head -n 1 "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  DAEMON_PID[$name]=$pid
  DAEMON_START[$name]=$(proc_start "$pid")
  log "$name runs as pid $pid (from $file)"
}

# proc_start PID: the process's start time in clock ticks since boot, to
# tell it from a later process that got the same pid.
proc_start() {
  awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

# daemon_alive NAME: the adopted process is still the one adopted.
daemon_alive() {
  local pid=${DAEMON_PID[$1]:?unknown daemon $1}
  [[ -n ${DAEMON_START[$1]} && $(proc_start "$pid") == "${DAEMON_START[$1]}" ]]
}

# daemon_tree NAME: the adopted process and its descendants, one pid a line
# (nothing once it is gone).
daemon_tree() {
  daemon_alive "$1" || return 0
  echo "${DAEMON_PID[$1]}"
  descendants "${DAEMON_PID[$1]}"
}

# stop_daemon NAME: end an adopted daemon and the processes it started
# (TERM, then KILL after 3 s).  Its descendants are listed first: once it
# is gone they could no longer be found.
stop_daemon() {
  [[ -n ${DAEMON_PID[$1]:-} ]] || return 0
  local tree
  tree=$(daemon_tree "$1")
  # shellcheck disable=SC2086 # one pid per word
  stop_pids $tree
}

# wait_tcp HOST PORT [SECONDS]: wait until a TCP connection from the
# kernel's side to HOST:PORT succeeds (a server under the shim listens: the
# stack's listeners are not visible to ss).  The probe connects and closes
# at once, which servers take as a client that left.
wait_tcp() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  wait_for "${3:-15}" in_ns timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2"
}
