#!/usr/bin/python3
"""Writes the hand-minimised detector files that reproduce what the fuzzers found
(tests/fuzz/, issue #6 item 3); tests/io/fuzz_regression_test.cpp replays them.

Run from anywhere: /usr/bin/python3 tests/data/fuzz_regressions/make_regressions.py
Each file is the seed tests/fuzz/corpus/detector/global_f4_fitted.reclag (a fitted global
float32 detector, N_H = 4, D = 6, beta 5, norm 10, little-endian) with one or two fields
changed, then its declared size and FNV-1a checksum recomputed, exactly what the fuzzer's
"repaired" inputs look like. The layout is documented in include/reclag/io/detector_file.hpp.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "..", "fuzz", "corpus", "detector", "global_f4_fitted.reclag")

BETA, NORM, XI_DATA = 48, 56, 104  # byte offsets: f64 beta, f64 norm, first xi element (f32)
FLT_MAX = 3.4028234663852886e38


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for c in data:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def finish(b):
    b[16:24] = struct.pack("<Q", len(b))
    b[-8:] = struct.pack("<Q", fnv1a64(bytes(b[:-8])))
    return bytes(b)


def patched(**fields):
    b = bytearray(open(SEED, "rb").read())
    assert b[:8] == b"RECLAGDT" and struct.unpack("<I", b[24:28])[0] == 4
    for off, (fmt, value) in fields.items():
        o = int(off[1:])
        b[o:o + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return finish(b)


FILES = {
    # Found by fuzz_detector: a positive norm too small for float32 became 0, which means "raw
    # features", so the float scorer silently scored unscaled features (the double one scaled).
    "norm_underflows_float.reclag": patched(**{f"o{NORM}": ("<d", 1e-85)}),
    # The same for beta: the message said "invalid beta 0.000000 (must be > 0)" for beta = 1e-50.
    "beta_underflows_float.reclag": patched(**{f"o{BETA}": ("<d", 1e-50)}),
    # Found by fuzz_detector: xi holds FLT_MAX and norm = 0 (raw features): every finite field,
    # yet beta xi . x = inf for any feature of norm >= 1. Loads as double, refused as float.
    "xi_flt_max_raw_features.reclag": patched(**{f"o{NORM}": ("<d", 0.0), f"o{XI_DATA}": ("<f", FLT_MAX)}),
    # beta * norm * max ||xi_mu|| = 1e37 * 10 * 2.5 overflows float32; fine in double.
    "beta_overflows_float.reclag": patched(**{f"o{BETA}": ("<d", 1e37)}),
    # Found by fuzz_detector (with a subnormal norm, now refused): beta * norm * max ||xi_mu||
    # = 5 * 10 * 3e36 fits float32, yet the scorer's fused product x . xi_mu (the scaling by
    # norm / ||x|| comes after the GEMM) overflows for a raw row of norm 1e3. It must score
    # what x~ = 10 x / ||x|| gives, finitely.
    "xi_3e36_fused_product_overflows.reclag": patched(**{f"o{XI_DATA}": ("<f", 3e36)}),
}

if __name__ == "__main__":
    for name, data in FILES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print(name, len(data), "bytes")
