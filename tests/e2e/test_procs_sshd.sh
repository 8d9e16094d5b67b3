#!/bin/bash
# OpenSSH's sshd under the shim accepts a kernel-side ssh login with a key
# and runs commands.  For every connection sshd forks, the child re-execs
# /usr/sbin/sshd with the accepted socket, and that process forks again
# into an unprivileged child (chrooted to /run/sshd, user sshd) that speaks
# the protocol before authentication: the socket must work across fork,
# exec and a change of user.  Everything sshd reads (host key,
# authorized_keys, configuration, pid file) is in $WORK.
#
# Three logins in a row each print `echo hello; uname -s`, then 1 MB sent
# through `sha256sum` on the server must come back as its digest.
#
# sshd needs its privilege separation directory /run/sshd.  It is created
# here if missing, outside the namespace: an empty root-owned directory
# that the openssh-server package itself would create, harmless to leave.
#
# Under a stack private to each process this fails at the first login:
# sshd's forked and re-exec'd children cannot use the accepted socket.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require ssh ssh-keygen sha256sum
[[ -x /usr/sbin/sshd ]] || skip "needs /usr/sbin/sshd (package openssh-server; tools/install-deps installs it)"
setup

PORT=2222
if [[ ! -d /run/sshd ]]; then
  mkdir -p /run/sshd
  chmod 755 /run/sshd
fi

ssh-keygen -q -t ed25519 -N '' -C "mynet e2e host" -f "$WORK/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C "mynet e2e user" -f "$WORK/id_ed25519"
cp "$WORK/id_ed25519.pub" "$WORK/authorized_keys"
cat >"$WORK/sshd_config" <<EOF
Port $PORT
ListenAddress 0.0.0.0
HostKey $WORK/ssh_host_ed25519_key
AuthorizedKeysFile $WORK/authorized_keys
PidFile $WORK/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel VERBOSE
EOF
/usr/sbin/sshd -t -f "$WORK/sshd_config" 2>"$WORK/sshd-t.log" ||
  fail "sshd rejects the test's configuration: $(cat "$WORK/sshd-t.log")"

# sshd must be started by its absolute path: it re-execs itself.
shim_bg sshd /usr/sbin/sshd -D -e -f "$WORK/sshd_config"
wait_log sshd "Server listening on 0.0.0.0 port $PORT" 15 ||
  fail "sshd under the shim did not start listening"
wait_tcp "$STACK_IP" "$PORT" || fail "sshd under the shim does not accept on $STACK_IP:$PORT"

ssh_cmd=(ssh -F /dev/null -i "$WORK/id_ed25519" -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=20
  -o LogLevel=ERROR -p "$PORT" "root@$STACK_IP")

for i in 1 2 3; do
  out=$(in_ns "${ssh_cmd[@]}" 'echo hello; uname -s' 2>"$WORK/ssh$i.err") ||
    fail "login $i: ssh exited with $? (out '$out'): $(cat "$WORK/ssh$i.err")"
  [[ $out == $'hello\nLinux' ]] ||
    fail "login $i: the command printed '$out', expected 'hello' and 'Linux'"
done
grep -q 'Accepted publickey for root' "$(logof sshd)" ||
  fail "sshd's log does not show the public key login"
pass "3 logins with a key to sshd under the shim, each ran 'echo hello; uname -s'"

random_file "$WORK/data" 1M
want=$(sha256 "$WORK/data")
out=$(in_ns "${ssh_cmd[@]}" sha256sum <"$WORK/data" 2>"$WORK/ssh-data.err") ||
  fail "ssh ... sha256sum exited with $?: $(cat "$WORK/ssh-data.err")"
[[ $out == "$want  -" ]] || fail "sha256sum over ssh answered '$out', expected '$want  -'"
pass "1 MB through sha256sum over ssh: the digest matches"

kill -0 "${BG_PID[sshd]}" 2>/dev/null || fail "the listening sshd exited"
pass "the listening sshd under the shim is still running"
