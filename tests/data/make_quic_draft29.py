#!/usr/bin/env python3
"""Writes quic-draft29-built.pcap: one client Initial of QUIC draft-29 (version 0xff00001d).

The packet is RFC 9001 Appendix A.2's (DCID 0x8394c8f03e515708, packet number 2 on 4 bytes, the
ClientHello for example.com in one CRYPTO frame, PADDING to 1162 bytes) with draft-29's version
and Initial salt (draft-ietf-quic-tls-29 section 5.2). It is protected here with Python's hmac and
the 'cryptography' package, independently of sensor/hs_quic.c. With --salt-v1 --version 1 it
gives RFC 9001 A.2's protected packet byte for byte, which checks this script; tshark reads the
draft-29 one back (quic.version 0xff00001d, SNI example.com), which checks the salt:
  tshark -r quic-draft29-built.pcap -T fields -e quic.version \
      -e tls.handshake.extensions_server_name
Usage: python3 make_quic_draft29.py [--salt-v1 --version 1] OUT.pcap
"""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

SALT_DRAFT29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")  # RFC 9001 5.2
DCID = bytes.fromhex("8394c8f03e515708")
# RFC 9001 A.2: the CRYPTO frame of the client's first Initial.
CRYPTO = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff"
)
PAYLOAD_LEN = 1162
PN = 2


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def protect(version, salt):
    initial = hmac.new(salt, DCID, hashlib.sha256).digest()  # HKDF-Extract (RFC 5869 2.2)
    client = expand_label(initial, b"client in", 32)
    key = expand_label(client, b"quic key", 16)
    iv = expand_label(client, b"quic iv", 12)
    hp = expand_label(client, b"quic hp", 16)
    payload = CRYPTO + bytes(PAYLOAD_LEN - len(CRYPTO))
    length = 4 + PAYLOAD_LEN + 16
    header = (bytes([0xC3]) + struct.pack("!I", version) + bytes([len(DCID)]) + DCID
              + b"\x00\x00" + struct.pack("!H", 0x4000 | length) + struct.pack("!I", PN))
    nonce = bytes(a ^ b for a, b in zip(iv, bytes(8) + struct.pack("!I", PN)))
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    pn_off = len(header) - 4
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sealed[:16]) + enc.finalize()  # sample at pn_off + 4: a 4-byte pn
    first = header[0] ^ (mask[0] & 0x0F)
    pn = bytes(a ^ b for a, b in zip(header[pn_off:], mask[1:5]))
    return bytes([first]) + header[1:pn_off] + pn + sealed


def pcap(datagram):
    udp = struct.pack("!HHHH", 50000, 443, 8 + len(datagram), 0) + datagram
    total = 20 + len(udp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1]))
    csum = sum(struct.unpack("!10H", ip))
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = (csum & 0xFFFF) + (csum >> 16)
    ip = ip[:10] + struct.pack("!H", ~csum & 0xFFFF) + ip[12:]
    frame = bytes.fromhex("020000000002" "020000000001" "0800") + ip + udp
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    rec = struct.pack("<IIII", 1700000000, 0, len(frame), len(frame))
    return head + rec + frame


def main():
    args = sys.argv[1:]
    version, salt = 0xFF00001D, SALT_DRAFT29
    if args[:3] == ["--salt-v1", "--version", "1"]:
        version, salt, args = 1, SALT_V1, args[3:]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0], "wb") as f:
        f.write(pcap(protect(version, salt)))


if __name__ == "__main__":
    main()
