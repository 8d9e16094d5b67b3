#!/bin/bash
# git clone under the shim from `git daemon` on the kernel's side
# (git://, TCP port 9418): the clone's HEAD is the commit that was served
# and its files are the repository's, a 2 MB binary included.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require git sha256sum ss
setup

# Nobody's configuration changes what git does here.
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK
export GIT_AUTHOR_NAME=mynet GIT_AUTHOR_EMAIL=mynet@example.invalid
export GIT_COMMITTER_NAME=mynet GIT_COMMITTER_EMAIL=mynet@example.invalid

src=$WORK/src
git init -q -b main "$src"
echo "served by git daemon to a clone under the mynet shim" >"$src/README"
git -C "$src" add README
git -C "$src" commit -q -m "first"
random_file "$src/blob.bin" 2M
mkdir "$src/dir"
seq 1 10000 >"$src/dir/numbers.txt"
git -C "$src" add blob.bin dir
git -C "$src" commit -q -m "second: a binary and a folder"
want=$(git -C "$src" rev-parse HEAD)
mkdir "$WORK/git"
git clone -q --bare "$src" "$WORK/git/r.git"

in_ns_bg gitd git daemon --base-path="$WORK/git" --export-all --reuseaddr \
  --listen="$KERNEL_IP" --port=9418 --verbose --informative-errors </dev/null
wait_listen 9418 || fail "git daemon did not start on $KERNEL_IP:9418"

shim git clone -q "git://$KERNEL_IP/r.git" "$WORK/clone" ||
  fail "git clone git://$KERNEL_IP/r.git under the shim failed"
got=$(git -C "$WORK/clone" rev-parse HEAD)
[[ $got == "$want" ]] || fail "the clone's HEAD is $got, the served repository's $want"
pass "git clone under the shim: HEAD $got as served"

for f in README blob.bin dir/numbers.txt; do
  cmp -s "$src/$f" "$WORK/clone/$f" || fail "the clone's $f differs from the repository's"
done
git -C "$WORK/clone" fsck --no-progress >"$WORK/fsck.log" 2>&1 || fail "git fsck finds the clone broken"
[[ $(git -C "$WORK/clone" log --format=%s | head -1) == "second: a binary and a folder" ]] ||
  fail "the clone's history is not the repository's"
pass "the clone's files and history are the repository's (fsck clean)"
