#!/usr/bin/env python3
"""Writes the binary seed corpora of the fuzz targets `reply` and `modbus` under
Tests/Fuzz/corpus/ (the `mapping` seeds are YAML files copied from mapping/). The input layouts
are described at the top of ReplyParserFuzz.swift and ModbusRequestFuzz.swift."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(bytes(data))


def checksum(data):
    return ~sum(data) & 0xFF


def frame(start, address, group, code, data):
    out = [start, address, ~address & 0xFF, group, code, len(data)] + list(data)
    return out + [checksum(out)]


# (selector low bits, header bytes after the selector, group, code, request data, reply length)
COMMANDS = {
    "identify": (0, [], 0x00, 0x00, [], 7),
    "t2k": (1, [0x02, 0x00, 4], 0x0F, 0x01, [0x02, 0x00, 4], 4),
    "t2k-aa": (1, [0xAA, 0xAA, 8], 0x0F, 0x01, [0xAA, 0xAA, 8], 8),
    "flash": (2, [0x00, 0x01, 0x80, 0x00, 64], 0x0F, 0x03, [64, 0x00, 0x01, 0x80, 0x00], 64),
}


def reply_seeds():
    for name, (sel, header, group, code, req, n) in COMMANDS.items():
        for address in (1, 0x55, 0xAA):
            data = [(i * 37 + 0x41) & 0xFF for i in range(n)]
            if n >= 2:
                data[1] = 0xAA  # a start byte inside the data
            reply = frame(0xAA, address, group, code, data)
            echo = frame(0x55, address, group, code, req)
            raw = [sel] + header + [address]
            tag = f"{name}-{address:02x}"
            write("reply", f"raw-{tag}-clean", raw + reply)
            write("reply", f"raw-{tag}-noise-echo", raw + [0x00, 0xFF, 0x13, 0xAA] + echo + reply + [0x55])
            write("reply", f"raw-{tag}-stray-aa", raw + [0xAA, 0xAA] + reply)
            write("reply", f"raw-{tag}-bad-checksum", raw + reply[:-1] + [reply[-1] ^ 0xFF])
            write("reply", f"raw-{tag}-split-echo", raw + echo[:3])
            # synthetic: flags = noise length | echo bit, then noise, reply data, trailing bytes
            write("reply", f"syn-{tag}", [0x40 | sel] + header + [address, 0x25, 1, 2, 3, 0xAA, 0x55] + data + [0xAA])
    # archive record: stamps 2015-03-20 08:00 and 07:00, error bytes, then 0xFF padding
    record = [0x08, 0x20, 0x03, 0x15] + [0] * 0x171 + [0x07, 0x20, 0x03, 0x15]
    record[0x16A:0x170] = [0x81, 0, 0, 0, 0, 0x10]
    record[0x118:0x11E] = [6, 5, 4, 3, 2, 1]
    write("reply", "archive-record", [0x80] + record)
    write("reply", "archive-bad-date", [0x80, 0x00, 0x30, 0x02, 0x15])
    # clock: seed §6.2.1 `33 15 14 02 03 16`, archive stamp §6.3.1 `08 20 03 15`, Unix time
    write("reply", "clock-vectors", [0xC0, 0x33, 0x15, 0x14, 0x02, 0x03, 0x16, 0x08, 0x20, 0x03, 0x15]
          + list(struct.pack(">Q", (1 << 47) + 1_456_928_133)[2:]))


def mbap(transaction, unit, pdu, length=None):
    length = len(pdu) + 1 if length is None else length
    return list(struct.pack(">HHHB", transaction, 0, length, unit)) + list(pdu)


def modbus_seeds():
    # The harness serves unit 1 (fresh, 0..99), unit 2 (stale, 1000..1049, 0..9 status) and
    # unit 3 (fresh, 65500..65535).
    reads = {
        "fc03-unit1": mbap(1, 1, struct.pack(">BHH", 3, 0, 10)),
        "fc04-unit1": mbap(2, 1, struct.pack(">BHH", 4, 90, 10)),
        "fc03-unit2-status": mbap(3, 2, struct.pack(">BHH", 3, 1000, 10)),
        "fc03-unit2-stale": mbap(4, 2, struct.pack(">BHH", 3, 1005, 10)),
        "fc03-unit3-top": mbap(5, 3, struct.pack(">BHH", 3, 65530, 6)),
        "fc03-unit3-past-end": mbap(6, 3, struct.pack(">BHH", 3, 65530, 7)),
        "fc03-quantity-0": mbap(7, 1, struct.pack(">BHH", 3, 0, 0)),
        "fc03-quantity-126": mbap(8, 1, struct.pack(">BHH", 3, 0, 126)),
        "fc03-no-unit": mbap(9, 9, struct.pack(">BHH", 3, 0, 1)),
        "fc06": mbap(10, 1, struct.pack(">BHH", 6, 5, 0x1234)),
        "fc10": mbap(11, 1, struct.pack(">BHHB", 0x10, 0, 2, 4) + b"\x00\x01\x00\x02"),
        "fc17": mbap(12, 1, struct.pack(">BHHHHB", 0x17, 0, 2, 10, 1, 2) + b"\x00\x07"),
        "fc2b-device-id": mbap(13, 1, bytes([0x2B, 0x0E, 0x01, 0x00])),
        "fc01": mbap(14, 1, struct.pack(">BHH", 1, 0, 8)),
    }
    for name, request in reads.items():
        write("modbus", name, request)
    fc03 = reads["fc03-unit1"]
    write("modbus", "pipelined", fc03 + reads["fc04-unit1"] + reads["fc06"] + reads["fc03-unit2-stale"])
    # MBAP lengths that disagree with the PDU
    write("modbus", "mbap-long", mbap(20, 1, struct.pack(">BHH", 3, 0, 2), length=12) + [0xEE] * 6 + fc03)
    write("modbus", "mbap-short", mbap(21, 1, struct.pack(">BHH", 3, 0, 2), length=2) + fc03)
    write("modbus", "mbap-zero", mbap(22, 1, struct.pack(">BHH", 3, 0, 2), length=0))
    write("modbus", "mbap-huge", mbap(23, 1, struct.pack(">BHH", 3, 0, 2), length=0xFFFF) + [0] * 32)
    write("modbus", "fc2b-long-mbap", mbap(24, 1, bytes([0x2B, 0x0E, 0x01, 0x00]) + bytes(20)) + fc03)
    write("modbus", "protocol-id-1", [0, 25, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1])
    write("modbus", "fc10-byte-count-lies", mbap(26, 1, struct.pack(">BHHB", 0x10, 0, 2, 200) + b"\x00\x01"))
    write("modbus", "header-only", fc03[:5])
    # found by the fuzzer: function 0xFF was answered `7F 01` (0xFF + 0x80 wrapped)
    write("modbus", "fc-ff", mbap(0x17, 2, bytes([0xFF, 0, 0, 0xFF, 1])))


if __name__ == "__main__":
    reply_seeds()
    modbus_seeds()
