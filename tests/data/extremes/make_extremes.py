#!/usr/bin/python3
"""Golden values for tests/reliability/numerical_extremes_test.cpp, computed independently of
reclag with Python's `decimal` module at 50 significant digits (no max-shift tricks needed:
decimal's exponent range holds exp(1e4) and exp(-1e4) directly).

Writes extremes.json next to this file:
  reclag[]   RecLag r(x) = LSE_mu(beta xi_mu . x~), x~ = s x / ||x|| (s = norm; 0 = raw x),
             paper Eqs. 11-13, with beta * xi . x~ up to 1e4 and ||x|| up to 1.3e6.
  raw        MHE = LSE_mu(beta S^c_mu . x) (Eq. 9), SHE = mean_mu(S^c_mu) . x (Eq. 10) and
             Energy = T LSE(z / T) on raw features / logits of norm up to ~1.4e6.
  logits[]   MSP = max softmax(z), Energy = T LSE(z / T), MaxLogit = max z and
             GEN = -sum_{top M} p^g (1 - p)^g on logits of magnitude 1e4 (and one 1e300 case
             that float cannot represent: float_ok = false, tested in double only).

Every input is chosen exactly representable in float32 (checked below, unless float_ok is
false), so the float and double tests score the very same numbers and one golden value serves
both. Run:  /usr/bin/python3 tests/data/extremes/make_extremes.py
"""
import json
import os
import struct
from decimal import Decimal, getcontext

getcontext().prec = 50

D = Decimal


def f32_exact(v):
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0] == v
    except OverflowError:  # beyond float32's range (3.4e38)
        return False


def check_f32(values, name):
    for v in values:
        assert f32_exact(float(v)), f"{name}: {v!r} is not exactly representable in float32"


def lse(values):
    # Shifted by the maximum only so that exp(1e300) stays inside decimal's exponent range; at
    # 50 digits the identity LSE(v) = m + LSE(v - m) costs no accuracy.
    m = max(values)
    return m + sum(((v - m).exp() for v in values), D(0)).ln()


def dot(a, b):
    return sum((D(x) * D(y) for x, y in zip(a, b)), D(0))


def norm(a):
    return dot(a, a).sqrt()


def array(rows):
    """The golden.hpp ARRAY object: {"shape": [...], "data": nested lists}."""
    if rows and isinstance(rows[0], list):
        return {"shape": [len(rows), len(rows[0])], "data": rows}
    return {"shape": [len(rows)], "data": rows}


def num(d):
    """A Decimal as a JSON number with 25 significant digits (more than double's 17)."""
    return float(format(d, ".25g")) if abs(d) > D("1e-300") or d == 0 else 0.0


def reclag_case(name, beta, s, xi, xs, note):
    check_f32([beta, s] + [v for r in xi for v in r] + [v for r in xs for v in r], name)
    out = []
    for x in xs:
        scale = D(1) if s == 0 else D(s) / norm(x)
        h = [D(beta) * dot(m, x) * scale for m in xi]
        out.append(lse(h))
    return {
        "name": name, "note": note, "beta": beta, "norm": s, "xi": array(xi), "x": array(xs),
        "expected": [num(v) for v in out], "max_beta_h": num(max(abs(D(beta) * dot(m, x) * (D(1) if s == 0 else D(s) / norm(x)))
                                                                 for m in xi for x in xs)),
        "float_ok": True,
    }


def softmax(z):
    m = max(z)
    e = [(v - m).exp() for v in z]
    t = sum(e, D(0))
    return [v / t for v in e]


def gen(z, g, top_m):
    p = sorted(softmax(z), reverse=True)[: min(top_m, len(z))]
    # 1 - p at 50 digits: exact enough for every p here (the smallest 1 - p_max is e^-1 ~ 0.37
    # except in the 1e300 case, where p_max = 1 and 1 - p_max = 0 to any precision).
    return -sum(((q ** D(g)) * ((D(1) - q) ** D(g)) if q > 0 else D(0) for q in p), D(0))


def logit_case(name, z, temperatures, gen_params, float_ok=True):
    if float_ok:
        check_f32(z, name)
    zd = [D(v) for v in z]
    c = {"name": name, "z": z, "float_ok": float_ok,
         "msp": num(max(softmax(zd))), "maxlogit": num(max(zd)),
         "energy": [{"temperature": t, "value": num(D(t) * lse([v / D(t) for v in zd]))} for t in temperatures],
         "gen": [{"gamma": g, "top_m": m, "value": num(gen(zd, g, m))} for g, m in gen_params]}
    return c


def main():
    two = D(2)
    cases = []
    # 1. Scaled features (norm s = 10), beta = 5: x~ = (6, 8, 0) for every row of the first four
    #    (the same direction at ||x|| = 5/1024, 5, 5 * 2^18 = 1.3e6 and 1e6 * (0.6, 0.8): norm
    #    scaling makes them one input, Theorem-free invariance), so beta xi_1 . x~ = 5 * 2000 = 1e4.
    #    Row 5 (4, 3, 0): 9600 / 9585-ish; row 6 (-3, -4, 0): the maximum is memory 3 (3000) and
    #    the others sit 1.3e4 below it (exp underflows in any naive evaluation).
    xi = [[120.0, 160.0, 0.0], [120.0, 159.875, 0.0], [-100.0, 0.0, 50.0]]
    k = 2.0 ** -10
    xs = [[3.0, 4.0, 0.0], [3 * k, 4 * k, 0.0], [3.0 * 2 ** 18, 4.0 * 2 ** 18, 0.0], [600000.0, 800000.0, 0.0],
          [4.0, 3.0, 0.0], [-3.0, -4.0, 0.0]]
    cases.append(reclag_case("scaled_beta_h_1e4", 5.0, 10.0, xi, xs,
                             "rows 0-3: one direction at norms 5/1024 .. 1.3e6; r = 1e4 + log(1 + e^-5 + e^-13000)"))
    # 2. All h near -1e4 (scaled): LSE = -9995 + log(1 + e^-5); exp(-1e4) is 0 in double.
    cases.append(reclag_case("scaled_all_negative_1e4", 5.0, 10.0, [[-120.0, -160.0, 0.0], [-120.0, -159.875, 0.0]],
                             [[3.0, 4.0, 0.0], [3.0 * 2 ** 18, 4.0 * 2 ** 18, 0.0]], "every beta h <= -9995"))
    # 3. Raw features (norm 0, the public code's set-up): tiny xi (entries 2^-10 .. 2^-8) and
    #    huge x (||x|| = 5 * 2^18 = 1.3e6), beta = 1.5625: beta xi_1 . x = 1.5625 * 6400 = 1e4.
    xi_raw = [[3 * k, 4 * k, 0.0], [4 * k, 3 * k, 0.0], [0.0, 0.0, k], [-3 * k, -4 * k, 0.0]]
    xs_raw = [[3.0 * 2 ** 18, 4.0 * 2 ** 18, 0.0], [4.0 * 2 ** 18, 3.0 * 2 ** 18, 2.0 ** 18], [1.0, 2.0, 3.0]]
    cases.append(reclag_case("raw_tiny_xi_huge_x", 1.5625, 0.0, xi_raw, xs_raw,
                             "raw features: row 0 beta xi_1.x = 1e4, row 1 9600 + ..., row 2 a plain small case"))

    # Raw features for MHE / SHE / Energy. C = 2, D = 3, head W = [[1, 0, 0], [0, 1, 0]], b = 0,
    # so z = (x_0, x_1) and the prediction is the larger of the first two features (first max).
    fit_x = [[1.0, 0.0, 0.5], [0.75, 0.25, 0.0], [0.0, 1.0, 0.25], [0.25, 0.75, 0.5], [0.25, 0.75, 0.0]]
    fit_y = [0, 0, 1, 1, 0]  # the last row is label 0 but predicted 1: in no S^c
    test_x = [[3.0 * 2 ** 18, 4.0 * 2 ** 18, 0.0], [4.0 * 2 ** 18, 3.0 * 2 ** 18, 0.0], [1e6, -1e6, 5e5],
              [-1e6, -1e6 + 64, 1e6], [0.375, 0.125, 0.5]]
    check_f32([v for r in fit_x + test_x for v in r], "raw")
    z_of = lambda x: [x[0], x[1]]  # noqa: E731  (exact: W is a selection)
    pred = lambda z: 0 if z[0] >= z[1] else 1  # noqa: E731  (first maximum)
    fit_z = [z_of(x) for x in fit_x]
    test_z = [z_of(x) for x in test_x]
    S = {c: [fit_x[i] for i in range(len(fit_x)) if fit_y[i] == c and pred(fit_z[i]) == c] for c in (0, 1)}
    assert len(S[0]) == 2 and len(S[1]) == 2
    raw = {"fit_x": array(fit_x), "fit_z": array(fit_z), "fit_y": fit_y, "x": array(test_x), "z": array(test_z),
           "mhe": [], "she": [], "energy": []}
    for beta in (1.0, 2.0 ** -20):
        vals = [lse([D(beta) * dot(p, x) for p in S[pred(z)]]) for x, z in zip(test_x, test_z)]
        raw["mhe"].append({"beta": beta, "value": [num(v) for v in vals]})
    mean = {c: [sum((D(p[j]) for p in S[c]), D(0)) / len(S[c]) for j in range(3)] for c in (0, 1)}
    raw["she"] = [num(dot(mean[pred(z)], x)) for x, z in zip(test_x, test_z)]
    for t in (1.0, 2.0 ** 20):
        raw["energy"].append({"temperature": t, "value": [num(D(t) * lse([D(v) / D(t) for v in z])) for z in test_z]})

    logits = [
        logit_case("top_1e4", [1e4, 1e4 - 1, 1e4 - 3, -1e4, 0.0], [1.0, 0.5, 100.0], [(0.1, 100), (0.1, 2), (0.5, 3)]),
        logit_case("all_near_minus_1e4", [-1e4, -1e4 - 0.5, -1e4 - 0.5, -2e4, -1e4 - 10], [1.0, 0.5],
                   [(0.1, 100), (0.1, 1)]),
        logit_case("five_equal_1e4", [1e4] * 5, [1.0, 0.25], [(0.1, 100)]),
        logit_case("spread_2e4", [1e4, -1e4, 9999.5, 1e4 - 0.25], [1.0, 1000.0], [(0.1, 100)]),
        # 1e300 overflows float (max 3.4e38): this input exists only in double.
        logit_case("double_only_1e300", [1e300, 0.0, -1e300, 1e300 - 1e284], [1.0, 1e290], [(0.1, 100)], float_ok=False),
    ]
    assert not f32_exact(1e300)

    out = {"generator": "tests/data/extremes/make_extremes.py (decimal, 50 digits)",
           "reclag": cases, "raw": raw, "logits": logits}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extremes.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
