#!/usr/bin/env bash
# End-to-end: umbra-ctl keygen writes a key pair with the right modes, refuses to overwrite it
# without --force (exit 1), replaces it with --force, and refuses bad names (exit 2).
# Usage: ctl_keygen.sh UMBRA_CTL
set -euo pipefail
ctl=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/umbra-e2e-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# status CMD...: runs CMD, prints its exit status, never trips set -e.
status() { local rc=0; "$@" >"$work/out" 2>"$work/err" || rc=$?; echo "$rc"; }

# The public-key line of a key file.
pubkey() { sed -n 's/^public-key = //p' "$1"; }

[ "$(status "$ctl" --help)" = 0 ] || fail "--help"
grep -q keygen "$work/out" || fail "--help does not list keygen"
[ "$(status "$ctl" keygen --help)" = 0 ] || fail "keygen --help"
[ "$(status "$ctl" --version)" = 0 ] || fail "--version"
[ "$(status "$ctl")" = 2 ] || fail "no command: expected exit 2"
[ "$(status "$ctl" no-such-command)" = 2 ] || fail "unknown command: expected exit 2"

keys=$work/keys # missing: keygen creates it
[ "$(status "$ctl" keygen --dir "$keys" sensor-1)" = 0 ] || { cat "$work/err" >&2; fail "keygen"; }
[ -f "$keys/sensor-1.key" ] && [ -f "$keys/sensor-1.pub" ] || fail "files not written"
[ "$(stat -c %a "$keys")" = 700 ] || fail "dir mode $(stat -c %a "$keys"), expected 700"
[ "$(stat -c %a "$keys/sensor-1.key")" = 600 ] || fail ".key mode, expected 600"
[ "$(stat -c %a "$keys/sensor-1.pub")" = 644 ] || fail ".pub mode, expected 644"
pub=$(pubkey "$keys/sensor-1.pub")
[ ${#pub} = 40 ] || fail "public key '$pub' is not 40 characters"
[ "$pub" = "$(pubkey "$keys/sensor-1.key")" ] || fail ".pub and .key public keys differ"
grep -q '^secret-key = ' "$keys/sensor-1.key" || fail ".key has no secret key"
if grep -q '^secret-key' "$keys/sensor-1.pub"; then fail ".pub holds a secret key"; fi
# stdout: both paths and the public key.
grep -qxF "secret-key-file = $keys/sensor-1.key" "$work/out" || fail "stdout: .key path"
grep -qxF "public-key-file = $keys/sensor-1.pub" "$work/out" || fail "stdout: .pub path"
grep -qxF "public-key = $pub" "$work/out" || fail "stdout: public key"

# Again: refused (a runtime refusal, exit 1), with a hint, and nothing changed.
cp "$keys/sensor-1.key" "$work/before.key"
[ "$(status "$ctl" keygen --dir "$keys" sensor-1)" = 1 ] || fail "overwrite: expected exit 1"
grep -q -- --force "$work/err" || fail "overwrite refusal does not mention --force"
cmp -s "$keys/sensor-1.key" "$work/before.key" || fail "refused keygen changed the .key"

# With --force (after the option or before it): a new pair, same modes.
[ "$(status "$ctl" keygen sensor-1 --dir "$keys" --force)" = 0 ] || fail "--force"
cmp -s "$keys/sensor-1.key" "$work/before.key" && fail "--force did not replace the .key"
[ "$(stat -c %a "$keys/sensor-1.key")" = 600 ] || fail ".key mode after --force"
[ "$(stat -c %a "$keys/sensor-1.pub")" = 644 ] || fail ".pub mode after --force"
pub2=$(pubkey "$keys/sensor-1.pub")
[ "$pub2" != "$pub" ] || fail "--force kept the old key"
[ "$pub2" = "$(pubkey "$keys/sensor-1.key")" ] || fail ".pub and .key differ after --force"
[ "$(ls -A "$keys" | wc -l)" = 2 ] || fail "stray files in $keys: $(ls -A "$keys")"

# The default directory is the current one.
(cd "$work" && "$ctl" keygen here >/dev/null) || fail "keygen without --dir"
[ -f "$work/here.key" ] || fail "keygen without --dir: no ./here.key"

# Bad usage: exit 2, nothing written.
for name in "" "../x" ".hidden" "a/b" "$(printf 'a%.0s' $(seq 65))"; do
    [ "$(status "$ctl" keygen --dir "$keys" "$name")" = 2 ] || fail "name '$name': expected exit 2"
done
[ "$(status "$ctl" keygen --dir "$keys")" = 2 ] || fail "no NAME: expected exit 2"
[ "$(status "$ctl" keygen --dir "$keys" a b)" = 2 ] || fail "two NAMEs: expected exit 2"
[ "$(status "$ctl" keygen --bogus x)" = 2 ] || fail "unknown option: expected exit 2"
[ "$(ls -A "$keys" | wc -l)" = 2 ] || fail "bad usage wrote files: $(ls -A "$keys")"
echo "umbra-ctl keygen: pair written 0600/0644, overwrite refused, --force replaces, bad usage 2"
