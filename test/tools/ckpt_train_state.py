#!/usr/bin/env python3
"""Rewrites the TRAN record (and TENS kinds) of an nnc checkpoint
(docs/checkpoint.md) with valid CRCs, to make checkpoints that a test needs
and a run cannot write: a position past the end of an epoch, a step or
epoch out of range, a tensor of an unknown kind, or the older 4-field record.

usage: ckpt_train_state.py IN OUT [--step N] [--epoch N] [--position N]
                           [--tensor-kind K] [--old-format]
"""
import argparse
import struct
import zlib

MAGIC = b"NNCKPT\r\n"
TRAN = 0x4E415254
TENS = 0x534E4554


def records(data):
    at = len(MAGIC)
    while at < len(data):
        tag, size = struct.unpack_from("<IQ", data, at)
        body = data[at + 12:at + 12 + size]
        yield tag, body
        at += 12 + size + 4


def record(tag, body):
    head = struct.pack("<IQ", tag, len(body)) + body
    return head + struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--step", type=int)
    ap.add_argument("--epoch", type=int)
    ap.add_argument("--position", type=int)
    ap.add_argument("--tensor-kind", type=int, help="the kind of the first tensor record")
    ap.add_argument("--old-format", action="store_true", help="only step, epoch, position, seed")
    args = ap.parse_args()
    data = open(args.input, "rb").read()
    assert data.startswith(MAGIC), "not an nnc checkpoint"
    out = bytearray(MAGIC)
    for tag, body in records(data):
        if tag == TRAN:
            fields = list(struct.unpack_from("<%dQ" % (len(body) // 8), body))
            for i, value in enumerate((args.step, args.epoch, args.position)):
                if value is not None:
                    fields[i] = value
            if args.old_format:
                fields = fields[:4]
            body = struct.pack("<%dQ" % len(fields), *fields)
        if tag == TENS and args.tensor_kind is not None:
            name_length = struct.unpack_from("<I", body, 0)[0]  # u32 length, then the name
            at = 4 + name_length + 4                            # past the dtype
            body = body[:at] + struct.pack("<I", args.tensor_kind) + body[at + 4:]
            args.tensor_kind = None
        out += record(tag, body)
    open(args.output, "wb").write(bytes(out))


if __name__ == "__main__":
    main()
