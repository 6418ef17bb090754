#!/usr/bin/python3
"""Generates sklearn_cases.json: scikit-learn's own OOD metric values on random and heavily tied
score sets, the oracle for tests/metrics/ood_metrics_test.cpp.

    /usr/bin/python3 tests/data/metrics/make_sklearn_cases.py      (writes next to this file)

Same schema as the golden files (shared/golden/README.md). Conventions: ID = label 1 = positive,
higher score = ID. Each expected value is computed by sklearn directly:
  auroc            roc_auc_score(y, s)
  ap_in, ap_out    average_precision_score(y, s), average_precision_score(1 - y, -s)
  trapz_in/out     auc(recall, precision) of precision_recall_curve(y, s) / (1 - y, -s)
  fpr_drop[k]      fpr[argmax(tpr >= tprs[k])] of roc_curve(y, s) (drop_intermediate=True)
  fpr_nodrop[k]    the same with drop_intermediate=False; thr_* = thresholds at that point
  ood_fpr_*[k]     the same with (1 - y, -s): OpenOOD's OOD-positive FPR; ood_thr_* = -threshold
  roc_* (only when the curve is short): the curves, thresholds without the first (max + 1) entry
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (auc, average_precision_score, precision_recall_curve, roc_auc_score,
                             roc_curve)

TPRS = [0.5, 0.8, 0.9, 0.95, 0.99, 1.0]


def arr(x, dtype="float64"):
    x = np.asarray(x, dtype=np.float64)
    return {"shape": list(x.shape), "dtype": dtype, "data": x.tolist()}


def first_at(fpr, tpr, thr, t):
    i = int(np.argmax(tpr >= t))
    return fpr[i], thr[i]


def case(name, sid, sood, curves=None):
    sid = np.asarray(sid, dtype=np.float64)
    sood = np.asarray(sood, dtype=np.float64)
    y = np.r_[np.ones(len(sid)), np.zeros(len(sood))]
    s = np.r_[sid, sood]
    exp = {"auroc": arr(roc_auc_score(y, s)),
           "ap_in": arr(average_precision_score(y, s)),
           "ap_out": arr(average_precision_score(1 - y, -s))}
    p, r, _ = precision_recall_curve(y, s)
    exp["trapz_in"] = arr(auc(r, p))
    p, r, _ = precision_recall_curve(1 - y, -s)
    exp["trapz_out"] = arr(auc(r, p))
    for tag, drop in (("drop", True), ("nodrop", False)):
        fpr, tpr, thr = roc_curve(y, s, drop_intermediate=drop)
        pts = [first_at(fpr, tpr, thr, t) for t in TPRS]
        exp["fpr_" + tag] = arr([a for a, _ in pts])
        exp["thr_" + tag] = arr([b for _, b in pts])
        ofpr, otpr, othr = roc_curve(1 - y, -s, drop_intermediate=drop)
        pts = [first_at(ofpr, otpr, -othr, t) for t in TPRS]
        exp["ood_fpr_" + tag] = arr([a for a, _ in pts])
        exp["ood_thr_" + tag] = arr([b for _, b in pts])
        if curves is None and len(fpr) <= 400 or curves:
            exp["roc_fpr_" + tag] = arr(fpr)
            exp["roc_tpr_" + tag] = arr(tpr)
            exp["roc_thr_tail_" + tag] = arr(thr[1:])
    return {"name": name, "params": {},
            "inputs": {"score_id": arr(sid), "score_ood": arr(sood), "tprs": arr(TPRS)}, "expected": exp}


def main():
    rng = np.random.default_rng(20250101)
    cases = []
    # Continuous, overlapping Gaussians (no ties).
    cases.append(case("gauss_1200_800", rng.normal(1.0, 1.0, 1200), rng.normal(0.0, 1.0, 800)))
    # float32-rounded scores: the values a float32 scorer would output (test feeds them as float).
    f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)
    cases.append(case("float32_1500_500", f32(rng.normal(0.5, 1.0, 1500) * 1e-3 + 3.0),
                      f32(rng.normal(0.0, 1.0, 500) * 1e-3 + 3.0)))
    # Heavy ties: small integers, ID shifted up.
    cases.append(case("int_ties_700_500", rng.integers(0, 10, 700) + (rng.random(700) < 0.3),
                      rng.integers(0, 10, 500)))
    # Decimals rounded to 1 place then to float32: ties plus inexact binary values.
    cases.append(case("round1_float32_600_900", f32(np.round(rng.normal(0.8, 1.0, 600), 1)),
                      f32(np.round(rng.normal(0.0, 1.0, 900), 1))))
    # Very heavy ties: three values only, with ties straddling 95% TPR.
    cases.append(case("three_values_40_25", rng.choice([0.0, 1.0, 2.0], 40, p=[0.04, 0.36, 0.6]),
                      rng.choice([0.0, 1.0, 2.0], 25, p=[0.5, 0.3, 0.2])))
    # OOD ranked above ID mostly (a bad scorer), with some ties.
    cases.append(case("reversed_ties_300_300", np.round(rng.normal(-1.0, 1.0, 300), 2),
                      np.round(rng.normal(0.5, 1.0, 300), 2)))
    # Many small tie groups of varying sizes (exercises drop_intermediate's second differences).
    cases.append(case("mixed_groups_150_120", np.round(rng.gamma(2.0, 1.0, 150), 1),
                      np.round(rng.gamma(1.5, 1.0, 120), 1), curves=True))
    # Groups with random small (n_id, n_ood) compositions: equal consecutive compositions are
    # dropped by drop_intermediate, so the two FPR definitions differ here (first seed found
    # by the loop below where both conventions differ at some target).
    for seed in range(1000):
        g = np.random.default_rng(seed)
        comp = [((1, 0), (0, 1), (1, 1), (2, 1), (1, 2))[k] for k in g.integers(0, 5, 60)]
        vals = np.arange(60, 0, -1) * 0.25
        sid = np.concatenate([[v] * a for v, (a, _) in zip(vals, comp)])
        sood = np.concatenate([[v] * b for v, (_, b) in zip(vals, comp)])
        c = case("paired_groups_seed%d" % seed, sid, sood, curves=True)
        e = c["expected"]
        if e["fpr_drop"]["data"] != e["fpr_nodrop"]["data"] and \
                e["ood_fpr_drop"]["data"] != e["ood_fpr_nodrop"]["data"]:
            cases.append(c)
            break
    # Tiny ones.
    cases.append(case("tiny_3_2", [0.9, 0.4, 0.4], [0.4, 0.1]))
    cases.append(case("single_id_single_ood", [1.0], [1.0]))
    out = {"file": "sklearn_cases.json",
           "generator": "tests/data/metrics/make_sklearn_cases.py (scikit-learn %s, numpy %s)"
                        % (sklearn.__version__, np.__version__),
           "description": __doc__.strip(), "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_cases.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
