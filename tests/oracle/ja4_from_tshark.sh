#!/usr/bin/env bash
# JA4 (FoxIO, technical_details/JA4.md; TLS over TCP) of one ClientHello, computed from tshark's
# fields with sort and sha256sum: an oracle that shares nothing with sensor/hs_tls.c. tshark 4.0
# has no JA4 field of its own. Signature algorithms are tshark's tls.handshake.sig_hash_alg, so
# a hello that also sends signature_algorithms_cert (50) is out of scope; so are hellos whose
# supported_versions holds only GREASE, and lists over 99.
# Usage: tests/oracle/ja4_from_tshark.sh CAPTURE FRAME_NUMBER
set -euo pipefail
f=$1 frame=$2

field() {
    tshark -r "$f" -Y "frame.number==$frame && tls.handshake.type==1" -T fields \
        -E occurrence=a -E aggregator=' ' -e "$1" 2>/dev/null
}
# Values as 4 lower-case hex digits, one per line, GREASE (0x?a?a, both bytes equal) left out.
hex4() {
    for v in $1; do printf '%04x\n' $((v)); done | grep -Ev '^([0-9a-f])a\1a$' || true
}
# The first 12 hex digits of SHA-256, or twelve zeros for an empty list.
h12() {
    if [ -z "$1" ]; then echo 000000000000; else printf %s "$1" | sha256sum | cut -c1-12; fi
}

ciphers=$(hex4 "$(field tls.handshake.ciphersuite)")
exts=$(hex4 "$(field tls.handshake.extension.type)")
sigs=$(hex4 "$(field tls.handshake.sig_hash_alg)")
version=$(hex4 "$(field tls.handshake.extensions.supported_version)" | sort | tail -n 1)
[ -n "$version" ] || version=$(printf '%04x' $(($(field tls.handshake.version))))
case $version in
0304) v=13 ;; 0303) v=12 ;; 0302) v=11 ;; 0301) v=10 ;; 0300) v=s3 ;; *) v=00 ;;
esac
sni=i
echo "$exts" | grep -qx 0000 && sni=d
alpn=$(field tls.handshake.extensions_alpn_str | cut -d' ' -f1)
[ -n "$alpn" ] && alpn="${alpn:0:1}${alpn: -1}" || alpn=00
nc=$(echo "$ciphers" | grep -c . || true)
ne=$(echo "$exts" | grep -c . || true)

b=$(h12 "$(echo "$ciphers" | sort | paste -sd,)")
e=$(echo "$exts" | grep -Ev '^(0000|0010)$' | sort | paste -sd, || true)
s=$(echo "$sigs" | paste -sd,)
c=$(h12 "$e${s:+_$s}")
printf 't%s%s%02d%02d%s_%s_%s\n' "$v" "$sni" "$nc" "$ne" "$alpn" "$b" "$c"
