#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus): valid
inputs to start from and the inputs that once crashed fnx. Run it from the
repository root after changing the checkpoint format; the files are checked
in."""
import os
import shutil
import struct
import sys

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def field(num, wire, payload):
    return varint((num << 3) | wire) + payload

def length_delimited(num, data):
    return field(num, 2, varint(len(data)) + data)

def entry(name, dtype, shape, data, packed=True):
    body = length_delimited(1, name.encode()) + length_delimited(2, dtype.encode())
    if packed:
        body += length_delimited(3, b"".join(varint(d) for d in shape))
    else:
        body += b"".join(field(3, 0, varint(d)) for d in shape)
    body += length_delimited(4, data)
    return body

def checkpoint(entries, version=1):
    out = field(1, 0, varint(version))
    for e in entries:
        out += length_delimited(4, e)
    return out

def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)

def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    ckpt = os.path.join(root, "checkpoint")
    os.makedirs(ckpt, exist_ok=True)
    floats = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    write(ckpt, "valid_float32", checkpoint([entry("w", "float32", [2, 3], floats)]))
    write(ckpt, "valid_every_dtype", checkpoint([
        entry("b", "bool", [3], b"\x00\x01\x01"),
        entry("i", "int32", [2], struct.pack("<2i", -7, 9)),
        entry("l", "int64", [1], struct.pack("<q", (1 << 53) + 1)),
        entry("d", "float64", [], struct.pack("<d", 0.5)),
        entry("e", "float32", [0, 4], b"", packed=False),
    ]))
    # The inputs that once crashed fnx (the hardening issue).
    write(ckpt, "crash_empty_with_overflowing_strides",
          checkpoint([entry("w", "float32", [0, 1 << 32, 1 << 32], b"")]))
    write(ckpt, "crash_rank_100000",
          checkpoint([entry("w", "float32", [1] * 100000, b"\x00" * 4)]))
    write(ckpt, "crash_numel_wraps",
          checkpoint([entry("w", "float32", [1 << 32, 1 << 32], b"")]))
    write(ckpt, "negative_dim", checkpoint([entry("w", "float32", [-1], b"")]))
    write(ckpt, "empty", b"")
    write(ckpt, "wrong_version", checkpoint([], version=0))

    elf = os.path.join(root, "elf")
    os.makedirs(elf, exist_ok=True)
    if len(sys.argv) > 1:  # a small shared object to derive the ELF seeds from
        with open(sys.argv[1], "rb") as f:
            so = f.read()
        write(elf, "valid_plugin.so", so)
        write(elf, "crash_truncated_half.so", so[: len(so) // 2])
        wild = bytearray(so)
        wild[32:40] = struct.pack("<Q", 1 << 40)  # e_phoff past the end
        write(elf, "crash_wild_phoff.so", bytes(wild))
        seg = bytearray(so)
        phoff = struct.unpack_from("<Q", so, 32)[0]
        struct.pack_into("<Q", seg, phoff + 8, 1 << 40)  # first p_offset
        write(elf, "crash_wild_segment.so", bytes(seg))
    write(elf, "not_elf", b"#!/bin/sh\necho hi\n")
    write(elf, "header_only", b"\x7fELF\x02\x01\x01" + b"\x00" * 57)

if __name__ == "__main__":
    main()
