#!/usr/bin/python3
"""Generates the small .npy files that tests/io/npy_test.cpp reads, with real numpy.

Run from anywhere: /usr/bin/python3 tests/data/npy/make_npy_files.py
The expected values are written out literally here AND in npy_test.cpp (never derived from
the reader under test); this script asserts that numpy reads each file back to those values.
"""
import os

import numpy as np
from numpy.lib import format as npf

HERE = os.path.dirname(os.path.abspath(__file__))

# 2 x 3 values, exactly representable in f2/f4/f8; row-major order.
M23 = [[1.5, -2.0, 0.25], [3.0, 4.5, -0.125]]
I23 = [[1, -2, 3], [-4, 5, 2147483647]]
I64 = [0, -1, 9007199254740993, -9223372036854775808, 9223372036854775807]
U8 = [[0, 1], [128, 255]]
B1 = [True, False, False, True]
# float16 specials: zeros, 1, -2, the largest finite, the smallest normal, the smallest
# subnormal, the largest subnormal, a mid subnormal, +-inf, nan.
F2 = [0.0, -0.0, 1.0, -2.0, 65504.0, 2.0**-14, 2.0**-24, 1023 * 2.0**-24, 3 * 2.0**-24,
      float("inf"), float("-inf"), float("nan")]


def save(name, a, version=None):
    path = os.path.join(HERE, name)
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            npf.write_array(f, a, version=version)
    b = np.load(path)
    assert b.dtype == a.dtype and b.shape == a.shape, name
    assert np.array_equal(b, a, equal_nan=a.dtype.kind == "f"), name
    return path


def main():
    save("f4_c_2x3.npy", np.array(M23, dtype="<f4"))
    save("f8_c_2x3.npy", np.array(M23, dtype="<f8"))
    save("f8_fortran_2x3.npy", np.asfortranarray(np.array(M23, dtype="<f8")))
    save("f4_fortran_2x3.npy", np.asfortranarray(np.array(M23, dtype="<f4")))
    save("f2_1d.npy", np.array(F2, dtype="<f2"))
    save("f2_be_1d.npy", np.array(F2, dtype=">f2"))
    save("f4_be_2x3.npy", np.array(M23, dtype=">f4"))
    save("f8_be_fortran_2x3.npy", np.asfortranarray(np.array(M23, dtype=">f8")))
    save("i4_c_2x3.npy", np.array(I23, dtype="<i4"))
    save("i4_be_2x3.npy", np.array(I23, dtype=">i4"))
    save("i8_1d.npy", np.array(I64, dtype="<i8"))
    save("i8_be_1d.npy", np.array(I64, dtype=">i8"))
    save("u1_2x2.npy", np.array(U8, dtype="|u1"))
    save("b1_1d.npy", np.array(B1, dtype="|b1"))
    save("f8_v2_2x3.npy", np.array(M23, dtype="<f8"), version=(2, 0))
    save("f4_v3_2x3.npy", np.array(M23, dtype="<f4"), version=(3, 0))
    save("f8_empty_0x3.npy", np.zeros((0, 3), dtype="<f8"))
    save("f8_scalar.npy", np.array(2.5, dtype="<f8"))
    save("f4_row_1x4.npy", np.array([[1.0, 2.0, 3.0, 4.0]], dtype="<f4"))
    # save_npy reproduces f4_c_2x3, f8_c_2x3, i4_c_2x3, i8_1d, u1_2x2, b1_1d and f8_empty_0x3
    # byte for byte (npy_test.cpp): same header text, padding and data.
    # Header versions as written by numpy (sanity: the magic's version bytes).
    for name, ver in (("f8_v2_2x3.npy", 2), ("f4_v3_2x3.npy", 3), ("f4_c_2x3.npy", 1)):
        with open(os.path.join(HERE, name), "rb") as f:
            assert f.read(8)[6] == ver, name


if __name__ == "__main__":
    main()
