#!/bin/bash
# A stack shared by processes belongs to one user: while a server under the
# shim runs as root on the TAP, a program started under the shim as another
# user (nobody, through setpriv) must be refused, not given a stack of its
# own beside root's: its AF_INET socket() fails with EACCES or EPERM, and
# its standard error has exactly one line from the library, starting with
# "mynet[PID]:", that names the reason (the user, permission or owner) and is
# not a failure to open the TAP (which would mean the program tried to
# attach a stack of its own).  Root's server still serves afterwards, and
# the stack's shared memory (a memfd) is mode 600.
#
# On the kernel every user gets sockets: reference mode skips the refusal
# checks (with a log line) and runs the rest.
#
# Under a stack private to each process the other user's program tries to
# attach to the TAP itself: today it fails, but with EAFNOSUPPORT and
# "cannot open /dev/net/tun: Permission denied".
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3 setpriv socat
[[ -x /usr/bin/python3 ]] || skip "needs /usr/bin/python3 (the other user cannot reach a python3 elsewhere)"
setup

PORT=7400
USER_ARGS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# Root's server: one process, one connection at a time.
shim_bg server python3 -c '
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    line = c.makefile("rb").readline().decode().strip()
    c.sendall(f"uid {os.getuid()} echo {line}\n".encode())
    c.close()
' "$PORT"
wait_log server '^listening' 15 || fail "root's server under the shim did not start"

# ask_server WHAT: the server's answer must echo WHAT and come from root.
ask_server() {
  local got
  got=$(printf '%s\n' "$1" | in_ns timeout 20 socat -t 10 - "TCP:$STACK_IP:$PORT" 2>&1) ||
    fail "root's server under the shim does not answer ($1): $got"
  [[ $got == "uid 0 echo $1" ]] || fail "root's server answered '$got' ($1)"
}
wait_tcp "$STACK_IP" "$PORT" || fail "root's server under the shim does not accept on $STACK_IP:$PORT"
ask_server "before"
pass "a server under the shim runs as root"

# The other user must be able to load the library, or it would run on the
# kernel's stack and the test would mean nothing.
if ! kernel_mode; then
  in_ns "${USER_ARGS[@]}" test -r "$LIB" ||
    fail "user nobody cannot read $LIB: make the build tree readable to others"
fi

shim "${USER_ARGS[@]}" /usr/bin/python3 -c '
import errno, os, socket
print(f"uid {os.getuid()} gid {os.getgid()}", flush=True)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("socket: ok", flush=True)
except OSError as e:
    print(f"socket: {errno.errorcode.get(e.errno, e.errno)}", flush=True)
' >"$WORK/nobody.out" 2>"$WORK/nobody.err" || fail "the program of user nobody failed: $(cat "$WORK/nobody.out" "$WORK/nobody.err")"
log "user nobody's program: $(tr '\n' ';' <"$WORK/nobody.out") stderr: $(tr '\n' ';' <"$WORK/nobody.err")"
grep -qx 'uid 65534 gid 65534' "$WORK/nobody.out" ||
  fail "the program did not run as nobody: $(cat "$WORK/nobody.out")"
result=$(sed -n 's/^socket: //p' "$WORK/nobody.out")

if kernel_mode; then
  log "reference mode: the kernel gives every user sockets (socket: $result); the refusal is the shim's and is not checked here"
  [[ $result == ok ]] || fail "on the kernel the socket() of user nobody failed: $result"
else
  [[ $result == EACCES || $result == EPERM ]] ||
    fail "socket() of user nobody beside root's stack: $result, expected EACCES or EPERM"
  lines=$(grep -c '^mynet\[[0-9]*\]:' "$WORK/nobody.err" || true)
  ((lines == 1)) || fail "user nobody's stderr has $lines lines from the library (mynet[PID]:), expected 1: $(cat "$WORK/nobody.err")"
  grep -qi '^mynet\[[0-9]*\]:.*\(user\|permission\|owner\)' "$WORK/nobody.err" ||
    fail "the library's line does not name the reason (user, permission or owner): $(grep '^mynet\[[0-9]*\]:' "$WORK/nobody.err")"
  # A refusal that comes from opening the TAP (the library's messages for
  # that: "cannot open /dev/net/tun", "cannot attach to TAP device") means
  # the program tried to attach a stack of its own: not the shared
  # stack's owner check, whose message may well name the TAP it is on.
  if grep '^mynet\[[0-9]*\]:' "$WORK/nobody.err" | grep -qi '/dev/net/tun\|cannot attach to TAP'; then
    fail "the library's refusal is about the TAP device, i.e. user nobody's program tried to attach a stack of its own: $(grep '^mynet\[[0-9]*\]:' "$WORK/nobody.err")"
  fi
  pass "user nobody's socket() is refused with $result beside root's stack: $(grep '^mynet\[[0-9]*\]:' "$WORK/nobody.err")"
fi

ask_server "after"
pass "root's server under the shim still serves after the other user's attempt"

# The stack's memory is its maker's alone, as a file of its would be.
if ! kernel_mode; then
  mode=
  for f in /proc/"${BG_PID[server]}"/fd/*; do
    [[ $(readlink "$f") == /memfd:mynet-stack* ]] && mode=$(stat -L -c %a "$f")
  done
  [[ -n $mode ]] || fail "root's server holds no /memfd:mynet-stack descriptor"
  [[ $mode == 600 ]] || fail "the stack's shared memory has mode $mode, expected 600"
  pass "the stack's shared memory is mode 600"
fi
