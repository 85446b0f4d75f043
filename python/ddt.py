#!/usr/bin/env python3
"""Reads a dd tensor stream (docs/format.md, version 1) into numpy arrays, verifying every CRC.
`python3 ddt.py FILE|-` prints each tensor record's name, shape and dtype."""
import json, struct, sys, zlib
import numpy as np

PREFIX = struct.Struct("<4s4BIIQQII")  # magic, version, kind, flags, reserved, header len+crc, payload, raw, chunk, crc

def _read(f, n, part):
    if len(b := f.read(n)) != n: raise ValueError(f"truncated in the {part}: expected {n} bytes, got {len(b)}")
    return b

def _inflate(payload, raw_len, chunk):
    parts, pos, done = [], 0, 0
    while pos < len(payload):
        n, = struct.unpack_from("<I", payload, pos)
        d, want = zlib.decompressobj(), min(chunk, raw_len - done)
        part = d.decompress(payload[pos + 4:pos + 4 + n], want)  # bounded: a bomb stops at `want`
        if not d.eof: part += d.decompress(d.unconsumed_tail, 1)  # one byte more proves a bomb
        if len(part) != want or not d.eof or d.unused_data: raise ValueError("corrupt zlib chunk")
        parts.append(part); pos += 4 + n; done += want
    if done != raw_len: raise ValueError("payload inflates to the wrong size")
    return b"".join(parts)

def records(f):
    """Yields (kind, header, array or None) per record; kind is "begin", "tensor" or "end"."""
    seen, open_count = 0, None  # tensor records in the open stream; None between streams
    while True:
        if not (pre := f.read(40)) and seen and open_count is None: return
        if not pre: raise ValueError("missing end record" if seen else "empty input")
        if len(pre) < 40: raise ValueError(f"truncated in the prefix: expected 40 bytes, got {len(pre)}")
        magic, ver, kind, flags, res, hlen, hcrc, plen, rlen, chunk, pcrc = PREFIX.unpack(pre)
        if magic != b"\x93DDT": raise ValueError("not a dd tensor stream (bad magic bytes)")
        if zlib.crc32(pre[:36]) != pcrc: raise ValueError("CRC-32 mismatch in prefix")
        if ver != 1 or kind > 2 or flags > 1 or res or hlen > 1 << 20 or plen > 1 << 33: raise ValueError("bad prefix")
        if zlib.crc32(head := _read(f, hlen, "header")) != hcrc: raise ValueError("CRC-32 mismatch in header")
        payload = _read(f, plen, "payload")
        stored, = struct.unpack("<I", _read(f, 4, "checksum"))
        if zlib.crc32(payload, zlib.crc32(head, zlib.crc32(pre))) != stored: raise ValueError("CRC-32 mismatch in record")
        h, seen = json.loads(head), seen + 1
        if (kind == 0) != (open_count is None): raise ValueError("begin record missing or misplaced")
        if kind == 0: open_count = 0; yield "begin", h, None
        elif kind == 2:
            if h["records"] != open_count: raise ValueError("end record count differs from records read")
            open_count = None; yield "end", h, None
        else:
            raw, open_count = (_inflate(payload, rlen, chunk) if flags else payload), open_count + 1
            yield "tensor", h, np.frombuffer(raw, dtype=np.dtype(h["dtype"])).reshape(h["shape"])

def load(source):
    """(arrays by name, meta); a later stream's record replaces an earlier one of the same name."""
    f = open(source, "rb") if isinstance(source, str) else source
    arrays, meta = {}, {"kind": None, "stream": {}, "records": {}, "end": []}
    for kind, h, arr in records(f):
        if kind == "begin": meta["kind"], meta["stream"] = h["kind"], h["meta"]
        elif kind == "end": meta["end"].append(h["meta"])
        else: arrays[h["name"]], meta["records"][h["name"]] = arr, h["meta"]
    return arrays, meta

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "-"
    try:
        for kind, h, arr in records(sys.stdin.buffer if path == "-" else open(path, "rb")):
            if kind == "tensor": print(h["name"], tuple(arr.shape), arr.dtype, flush=True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"ddt.py: {path}: {e}", file=sys.stderr); sys.exit(65)
