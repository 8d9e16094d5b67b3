#!/bin/bash
# Configuration errors surface where a program can see them: the first
# AF_INET socket() fails and one line on stderr names the variable at
# fault.  A program that opens no socket is not disturbed at all, however
# broken the configuration.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3
kernel_mode && skip "tests the shim's configuration; nothing to compare on the kernel"
setup

open_socket='import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM); print("socket opened")'

# expect_socket_error VARIABLE: run the python one-liner under the shim (with
# whatever the caller set) and check that it fails, naming VARIABLE.
expect_socket_error() {
  local var=$1 status=0
  shim python3 -c "$open_socket" >"$WORK/out" 2>"$WORK/err" || status=$?
  echo "exit status $status; stderr:"
  sed 's/^/  | /' "$WORK/err"
  ((status != 0)) || fail "socket() succeeded despite a bad $var"
  ((status == 1)) || fail "python3 exited with $status (a crash?) instead of 1 for an OSError"
  ! grep -q 'socket opened' "$WORK/out" || fail "socket() succeeded despite a bad $var"
  grep -q "$var" "$WORK/err" || fail "stderr does not name $var"
  # One line from the library (python's traceback never names the variable),
  # unless a debug log was asked for.
  if [[ -z ${MYNET_LOG:-} ]]; then
    (($(grep -c "$var" "$WORK/err") == 1)) || fail "more than one line on stderr names $var"
  fi
  grep -qE '^[A-Za-z]*Error: ' "$WORK/err" || fail "python3 did not see socket() fail with an OSError"
}

MYNET_ADDR=300.1.2.3/24 expect_socket_error MYNET_ADDR
pass "a bad MYNET_ADDR fails socket() and names the variable"

MYNET_ADDR=192.0.2.2/33 expect_socket_error MYNET_ADDR
pass "a bad MYNET_ADDR prefix fails socket() and names the variable"

# As root, opening /dev/net/tun with an unknown name would create a new,
# unconfigured TAP; the library must refuse instead.
MYNET_TAP=nosuchtap0 expect_socket_error MYNET_TAP
if in_ns ip link show dev nosuchtap0 >/dev/null 2>&1; then
  fail "the library created a TAP nosuchtap0 instead of reporting it missing"
fi
pass "a missing TAP fails socket(), names MYNET_TAP and creates no device"

# An unknown MYNET_ name is a typo, not something to ignore.
MYNET_ADRR=192.0.2.2/24 expect_socket_error MYNET_ADRR
pass "a misspelt MYNET_ variable fails socket() and is named"

MYNET_DNS=dns.example expect_socket_error MYNET_DNS
pass "a bad MYNET_DNS fails socket() and names the variable"

# Name lookups when the stack could not start: no server can be asked
# (EAI_AGAIN, glibc's answer when none answers), never through the
# kernel's stack, and still the one line naming the variable.
out=$(MYNET_DNS=dns.example shim python3 -c 'import socket
try: socket.getaddrinfo("example.test", 80)
except socket.gaierror as e: print(e)' 2>"$WORK/err") || fail "python3 under the shim failed: $out"
[[ $out == *"Temporary failure in name resolution"* ]] ||
  fail "getaddrinfo with a bad configuration said '$out', not EAI_AGAIN"
(($(grep -c MYNET_DNS "$WORK/err") == 1)) || fail "not one line on stderr names MYNET_DNS: $(cat "$WORK/err")"
pass "getaddrinfo with a bad configuration: '$out', one line naming MYNET_DNS"

# Programs that open no AF_INET socket run as usual, whatever the
# configuration.
out=$(MYNET_TAP=nosuchtap0 shim echo hello) || fail "echo under the shim with a missing TAP failed"
[[ $out == hello ]] || fail "echo under the shim with a missing TAP printed '$out'"
out=$(MYNET_ADDR=300.1.2.3/24 shim echo hello) || fail "echo under the shim with a bad MYNET_ADDR failed"
[[ $out == hello ]] || fail "echo under the shim with a bad MYNET_ADDR printed '$out'"
MYNET_TAP=nosuchtap0 shim true || fail "true under the shim with a missing TAP failed"
pass "programs that open no socket run normally with a broken configuration"

# Only AF_INET is ours: a Unix socket works whatever the configuration.
MYNET_TAP=nosuchtap0 shim python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)' ||
  fail "an AF_UNIX socket under the shim failed with a missing TAP"
pass "AF_UNIX sockets are left to the kernel"
