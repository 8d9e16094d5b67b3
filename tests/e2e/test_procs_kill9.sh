#!/bin/bash
# kill -9 in the middle of a transfer: two programs under the shim on the
# one TAP each download a 200 MB file from the kernel's python3
# http.server, both held to a pace (tests/e2e/data/http_get.py: the
# survivor 8 MB/s, so it needs at least 25 s, the victim 4 MB/s).  Once
# both have 16 MB, the victim is killed with SIGKILL: it cannot close
# anything.  Then, as on the kernel:
#   - the server sees the victim's connection end (it is reset or closed,
#     not left open for ever),
#   - the survivor's download completes intact (SHA-256),
#   - a new program under the shim downloads 20 MB intact.
#
# Under a stack private to each process the second downloader cannot
# attach to the TAP the first one holds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3 ss sha256sum
setup

DATA=$(dirname "$0")/data
PORT=8000
MB=1000000

mkdir -p "$WORK/www"
random_file "$WORK/www/big.bin" 200M
random_file "$WORK/www/after.bin" 20M
kernel_http_server http "$WORK/www" "$PORT"
url=http://$KERNEL_IP:$PORT

# established: the server's established connections on its port.
established() {
  in_ns ss -Htn state established "( sport = :$PORT )" | wc -l
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

shim_bg survivor python3 "$DATA/http_get.py" "$url/big.bin" "$WORK/survivor.bin" $((8 * MB))
shim_bg victim python3 "$DATA/http_get.py" "$url/big.bin" "$WORK/victim.bin" $((4 * MB))
both_at_16mb() {
  (($(size_of "$WORK/survivor.bin") >= 16 * MB && $(size_of "$WORK/victim.bin") >= 16 * MB))
}
# (or one of them has ended: no point in waiting longer)
# shellcheck disable=SC2016 # expanded by eval at every try
wait_for 60 eval 'both_at_16mb || ! kill -0 ${BG_PID[survivor]} || ! kill -0 ${BG_PID[victim]}' 2>/dev/null || true
both_at_16mb ||
  fail "the two downloads under the shim did not both reach 16 MB (survivor $(size_of "$WORK/survivor.bin"), victim $(size_of "$WORK/victim.bin") bytes)"
(($(established) == 2)) || fail "the server has $(established) established connections, expected the 2 downloads"
pass "two programs under the shim download at once (16 MB each so far)"

kill -0 "${BG_PID[survivor]}" || fail "the survivor ended before the kill"
kill -KILL "${BG_PID[victim]}"
status=0
# (bash's "Killed" job notice goes nowhere)
{ wait_exit victim 10 || status=$?; } 2>/dev/null
((status == 128 + 9)) || fail "the victim's status is $status after kill -9, expected 137"
at_kill=$(size_of "$WORK/victim.bin")
log "victim killed after $at_kill bytes; the survivor had $(size_of "$WORK/survivor.bin")"
# shellcheck disable=SC2016 # expanded by eval at every try
wait_for 30 eval '(($(established) <= 1))' ||
  fail "30 s after kill -9 the server still has $(established) established connections: the victim's was not closed"
pass "kill -9 of one downloader: the server sees its connection end"

kill -0 "${BG_PID[survivor]}" 2>/dev/null ||
  fail "the survivor ended right after the kill (before its pace allowed; see its log)"
status=0
wait_exit survivor 150 || status=$?
((status == 0)) || fail "the surviving download failed (status $status): $(cat "$(logof survivor)")"
same_file "$WORK/www/big.bin" "$WORK/survivor.bin" "surviving download"
pass "the other downloader under the shim completed its 200 MB intact"

out=$(shim python3 "$DATA/http_get.py" "$url/after.bin" "$WORK/after.bin" 2>&1) ||
  fail "a new program under the shim could not download after the kill: $out"
log "new program: $out"
same_file "$WORK/www/after.bin" "$WORK/after.bin" "download after the kill"
pass "a new program under the shim downloads 20 MB intact after the kill"
