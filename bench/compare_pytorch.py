#!/usr/bin/python3
"""Run reclag's Google Benchmark suite AND the same operations in PyTorch (CPU), in one go,
and print ratio tables (PyTorch time / reclag time, and reclag vs its own yardsticks).

    /usr/bin/python3 bench/compare_pytorch.py                       # configure + build + full run
    /usr/bin/python3 bench/compare_pytorch.py --build-dir build-bench --quick
    /usr/bin/python3 bench/compare_pytorch.py --build-dir build-bench --threads 1,2

Both sides use the same thread count: OMP_NUM_THREADS=t for the C++ binaries (Eigen's OpenMP)
and torch.set_num_threads(t). Both sides repeat every measurement in a random interleaved
order and report the median repetition. Times are process CPU time by default for 1 thread
(robust on a shared machine: other jobs' load does not count) and wall time for > 1 thread
(the only way threads can show a gain); --metric forces one.

Needs: /usr/bin/python3 with python3-torch and python3-numpy (Debian), CMake, a C++17
compiler, Eigen 3.4 and Google Benchmark 1.7.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARIES = ["bench_score", "bench_dynamics", "bench_train", "bench_metrics", "bench_io"]
D, H, C = 512, 250, 10
N_TEST = 10000
KNN_BANK = 2000

# Benchmarks left out by --quick (the heaviest; the ratios they give are in the README).
QUICK_SKIP = ["score_mhe_5000", "sfnn_epoch_exact/50000", "sfnn_epoch_mc/50000"]
# --quick on the PyTorch side (reference BLAS: ~2 GFLOP/s): the 10-step dynamics run is left out
# (26 s a call; its ratio is reclag-internal, run / step), the N = 12 000 epochs are timed on
# N = QUICK_EPOCH_N rows and scaled by the number of batches (an epoch is N / 128 identical
# steps), and an operation whose first call takes > QUICK_SINGLE_S is timed by that call alone.
# The GEMM-heavy PyTorch scorers (KNN, MHE, Mahalanobis, ViM) and the dynamics step are timed
# on QUICK_ROWS of the 10 000 test rows and scaled by 10 000 / QUICK_ROWS (row-wise, linear in
# n); ViM's and Mahalanobis's subspaces are fitted on QUICK_FIT_ROWS rows (scoring cost does not
# depend on it).
QUICK_TORCH_SKIP = ["dyn_run10/10000"]
QUICK_EPOCH_N = 2000
QUICK_ROWS = 2000
QUICK_FIT_ROWS = 3000
QUICK_SINGLE_S = 0.1
# Workspace benchmarks (/n/threads) compared with PyTorch's one-shot operation of the same n.
TORCH_ALIAS = {"reclag_global_ws/1/1": "reclag_global/1", "reclag_routed_ws/1/1": "reclag_routed/1",
               "reclag_global_ws/10000/1": "reclag_global/10000", "reclag_routed_ws/10000/1": "reclag_routed/10000"}
TORCH_ALIAS.update({f"score_{s}_ws": f"score_{s}" for s in ("react", "ash", "dice", "mhe_1200", "knn", "mahalanobis", "vim")})


# --------------------------------------------------------------------------------------------
# C++ side
# --------------------------------------------------------------------------------------------

def build(build_dir, configure):
    if configure:
        subprocess.run(["cmake", "-S", REPO, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                        "-DRECLAG_BUILD_BENCHMARKS=ON", "-DRECLAG_BUILD_TESTS=OFF",
                        "-DRECLAG_BUILD_EXAMPLES=OFF", "-DRECLAG_INSTALL=OFF"], check=True)
    subprocess.run(["cmake", "--build", build_dir, "-j2", "--target"] + BINARIES, check=True)


def find_binary(build_dir, name):
    for cand in (os.path.join(build_dir, "bench", name), os.path.join(build_dir, name)):
        if os.path.exists(cand):
            return cand
    raise SystemExit(f"compare_pytorch: {name} not found under {build_dir} (build it with "
                     f"-DRECLAG_BUILD_BENCHMARKS=ON)")


def run_cpp(build_dir, threads, reps, min_time, skip):
    """Returns {benchmark name: {"cpu": s, "real": s, "gflops": x or None}} (medians) and the
    context of the first binary."""
    out, context = {}, None
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    for name in BINARIES:
        args = [find_binary(build_dir, name), "--benchmark_format=json",
                f"--benchmark_repetitions={reps}", "--benchmark_enable_random_interleaving=true",
                "--benchmark_report_aggregates_only=true", f"--benchmark_min_time={min_time}"]
        if skip:
            args.append("--benchmark_filter=-(" + "|".join(s.replace("/", ".") for s in skip) + ")")
        print(f"  [C++ {threads} thread(s)] {name} ...", file=sys.stderr, flush=True)
        res = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
        data = json.loads(res.stdout)
        context = context or data["context"]
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
        for b in data["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            key = b["run_name"].replace("/real_time", "").replace("/process_time", "")
            s = scale[b["time_unit"]]
            out[key] = {"cpu": b["cpu_time"] * s, "real": b["real_time"] * s,
                        "gflops": b.get("GFLOPs")}
    return out, context


# --------------------------------------------------------------------------------------------
# PyTorch side: the same shapes, the same recipe for synthetic data (post-ReLU-like features)
# --------------------------------------------------------------------------------------------

def features(n, seed, centres):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % C
    x = torch.clamp(centres[labels] + torch.randn(n, D, generator=g), min=0)
    return x, labels


def make_xi(n, seed, centres):
    x, _ = features(n, seed, centres)
    return x * (10.0 / x.norm(dim=1, keepdim=True))


class TorchSuite:
    """Builds every operation once (data and fits outside the timed code) and returns a dict of
    name -> zero-argument callable, names matching the C++ benchmark names."""

    def __init__(self, quick):
        g = torch.Generator().manual_seed(7)
        self.centres = torch.clamp(torch.randn(C, D, generator=g), min=0) * 1.5
        self.quick = quick
        self.epoch_scale = {}  # name -> factor the measured time is multiplied by (--quick)
        self.notes = {}        # name -> how it was scaled, printed in the tables

    def ops(self):
        ops = {}
        cen = self.centres
        x, _ = features(N_TEST, 11, cen)
        w = 0.1 * (cen - cen.mean(0, keepdim=True))
        b = torch.zeros(C)
        z = x @ w.T + b
        xi = make_xi(H, 202, cen)
        xi_c = [make_xi(H, 300 + c, cen) for c in range(C)]
        fit_x, fit_y = features(1200 * C, 23, cen)
        fit_z = fit_x @ w.T + b
        fit_z[torch.arange(fit_x.shape[0]), fit_y] += 100.0

        # yardsticks and RecLag
        for n in (1, 16, 256, N_TEST):
            xn, zn = x[:n].contiguous(), z[:n].contiguous()
            ops[f"gemm/{n}"] = lambda xn=xn: xn @ xi.T
            ops[f"reclag_global/{n}"] = lambda xn=xn: reclag_score(xn, xi)
            ops[f"reclag_routed/{n}"] = lambda xn=xn, zn=zn: reclag_routed(xn, zn, xi_c)
        x0 = x[0].contiguous()
        ops["gemv/1"] = lambda: xi @ x0

        # logit-only scorers
        ops["score_msp"] = lambda: torch.softmax(z, 1).max(1).values
        ops["score_energy"] = lambda: torch.logsumexp(z, 1)
        ops["score_maxlogit"] = lambda: z.max(1).values
        ops["score_gen"] = lambda: gen_score(z)
        # head-based scorers
        clip = float(np.percentile(fit_x.numpy(), 90))
        ops["score_react"] = lambda: torch.logsumexp(x.clamp(max=clip) @ w.T + b, 1)
        ops["score_ash"] = lambda: ash_b(x, w, b, 90.0)
        contrib = fit_x.double().mean(0)[None, :] * w.double()
        mask = contrib > float(np.percentile(contrib.numpy(), 90))
        wm = w * mask
        ops["score_dice"] = lambda: torch.logsumexp(x @ wm.T + b, 1)
        # class-conditional scorers
        means = torch.stack([fit_x[fit_y == c].double().mean(0) for c in range(C)]).float()
        ops["score_she"] = lambda: (x * means[z.argmax(1)]).sum(1)
        pats = [fit_x[fit_y == c].contiguous() for c in range(C)]
        # --quick: the GEMM-heavy scorers on QUICK_ROWS rows, scaled (see QUICK_ROWS)
        xq, zq = (x[:QUICK_ROWS].contiguous(), z[:QUICK_ROWS].contiguous()) if self.quick else (x, z)
        fq_x, fq_y = (fit_x[:QUICK_FIT_ROWS], fit_y[:QUICK_FIT_ROWS]) if self.quick else (fit_x, fit_y)
        if self.quick:
            for k in ("score_mhe_1200", "score_knn", "score_mahalanobis", "score_vim", "dyn_step/10000"):
                self.epoch_scale[k] = N_TEST / QUICK_ROWS
                self.notes[k] = f"PyTorch: {QUICK_ROWS} rows x {N_TEST / QUICK_ROWS:.3g}, --quick"
        ops["score_mhe_1200"] = lambda: mhe_score(xq, zq, pats)
        if not self.quick:
            big_x, big_y = features(5000 * C, 23, cen)
            pats5 = [big_x[big_y == c].contiguous() for c in range(C)]
            ops["score_mhe_5000"] = lambda: mhe_score(x, z, pats5)
        bank = fit_x[:KNN_BANK]
        bank = bank / bank.norm(dim=1, keepdim=True)
        ops["score_knn"] = lambda: knn_score(xq, bank, 50)
        ops["score_mahalanobis"] = maha_op(fq_x, fq_y, xq)
        ops["score_vim"] = vim_op(fq_x, w, b, xq, zq)

        # dynamics on 10 000 states scaled to norm 10
        v = xq / xq.norm(dim=1, keepdim=True) * 10.0
        ops["dyn_step/10000"] = lambda: dyn_step(v, xi)
        if not self.quick:
            ops["dyn_run10/10000"] = lambda: dyn_run(v, xi, 10)

        # SFNN
        bx, _ = features(128, 53, cen)
        bx = bx / bx.norm(dim=1, keepdim=True) * 10.0
        ops["gemm/128"] = lambda: bx @ xi.T
        ops["sfnn_kernel_exact/128"] = sfnn_kernel_op(bx, xi, exact=True)
        ops["sfnn_kernel_mc/128"] = sfnn_kernel_op(bx, xi, exact=False)
        sizes = (12000,) if self.quick else (12000, 50000)
        for n in sizes:
            rows = QUICK_EPOCH_N if self.quick else n  # quick: a shorter epoch, scaled (see tables)
            tx, _ = features(rows, 41 if n == 12000 else 43, cen)
            ops[f"sfnn_epoch_exact/{n}"] = lambda tx=tx: sfnn_epoch(tx, True)
            ops[f"sfnn_epoch_mc/{n}"] = lambda tx=tx: sfnn_epoch(tx, False)
            if rows != n:
                for k in (f"sfnn_epoch_exact/{n}", f"sfnn_epoch_mc/{n}"):
                    self.epoch_scale[k] = math.ceil(n / 128) / math.ceil(rows / 128)
                    self.notes[k] = f"PyTorch: {rows}-row epoch x {self.epoch_scale[k]:.3g} batches, --quick"

        # metrics on 1e6 scores
        gs = torch.Generator().manual_seed(61)
        sid = 1.0 + torch.randn(500000, generator=gs)
        sood = torch.randn(500000, generator=gs)
        ops["metrics_roc/1000000"] = lambda: torch_roc(sid, sood)
        ops["metrics_auroc/1000000"] = lambda: torch_auroc(sid, sood)
        ops["metrics_fpr95/1000000"] = lambda: torch_fpr(sid, sood, 0.95)
        ops["torch_sort/1000000"] = lambda: torch.sort(torch.cat([sid, sood]))
        return ops


def reclag_score(x, xi, beta=5.0, norm=10.0):
    c = beta * norm / x.norm(dim=1)
    return torch.logsumexp((x @ xi.T) * c[:, None], 1)


def reclag_routed(x, z, xis):
    pred = z.argmax(1)
    out = torch.empty(x.shape[0])
    for c, xi in enumerate(xis):
        idx = (pred == c).nonzero().squeeze(1)
        if idx.numel():
            out[idx] = reclag_score(x[idx], xi)
    return out


def gen_score(z, gamma=0.1, m=100):
    p = torch.softmax(z, 1)
    top = p.topk(min(m, z.shape[1]), 1).values
    return -(top ** gamma * (1 - top) ** gamma).sum(1)


def ash_b(x, w, b, pct):
    d = x.shape[1]
    k = d - int(np.round(d * pct / 100.0))
    s1 = x.sum(1)
    _, idx = torch.topk(x, k, 1)
    t = torch.zeros_like(x).scatter_(1, idx, (s1 / k)[:, None].expand(-1, k))
    return torch.logsumexp(t @ w.T + b, 1)


def mhe_score(x, z, pats, beta=1.0):
    pred = z.argmax(1)
    out = torch.empty(x.shape[0])
    for c, s in enumerate(pats):
        idx = (pred == c).nonzero().squeeze(1)
        if idx.numel():
            out[idx] = torch.logsumexp(beta * (x[idx] @ s.T), 1)
    return out


def knn_score(x, bank, k):
    q = x / x.norm(dim=1, keepdim=True)
    d2 = (q * q).sum(1, keepdim=True) - 2 * (q @ bank.T) + (bank * bank).sum(1)[None, :]
    return -torch.kthvalue(d2.clamp(min=0), k, 1).values.sqrt()


def maha_op(fit_x, fit_y, x):
    xd = fit_x.double()
    means = torch.stack([xd[fit_y == c].mean(0) for c in range(C)])
    cen = xd - means[fit_y]
    cov = torch.cov(cen.T, correction=0)
    lam, vec = torch.linalg.eigh(cov)
    keep = lam.abs() > D * np.finfo(np.float64).eps * lam.abs().max()
    basis, inv_lam = vec[:, keep].contiguous(), 1.0 / lam[keep]
    pm = means @ basis

    def op():
        proj = x.double() @ basis
        best = None
        for c in range(C):
            m = ((proj - pm[c]) ** 2) @ inv_lam
            best = m if best is None else torch.minimum(best, m)
        return (-best).float()
    return op


def vim_op(fit_x, w, b, x, z, dim=256):
    wd, bd = w.double(), b.double()
    u = -torch.linalg.pinv(wd) @ bd
    cen = fit_x.double() - u
    _, _, vh = torch.linalg.svd(cen, full_matrices=False)
    ns = vh[dim:].T.contiguous()
    alpha = (fit_x.double() @ wd.T + bd).max(1).values.mean() / (cen @ ns).norm(dim=1).mean()

    def op():
        r = ((x.double() - u) @ ns).norm(dim=1)
        return (torch.logsumexp(z.double(), 1) - alpha * r).float()
    return op


def dyn_step(v, xi, beta=0.05, log_gamma=0.0):
    h = beta * (v @ xi.T)
    lse = torch.logsumexp(h, 1)
    gate = (lse - log_gamma >= 0).to(v.dtype)
    return (torch.softmax(h, 1) * gate[:, None]) @ xi


def dyn_run(v, xi, steps):
    for _ in range(steps):
        vn = dyn_step(v, xi)
        moved = (vn - v).abs().amax(1)  # the convergence test reclag's run() makes per state
        v = vn
    return v, moved


LOG2PI = math.log(2 * math.pi)


def sfnn_loss(X, xi, lv, exact, beta=5.0, M=5):
    p = torch.exp(-lv)
    cst = -0.5 * (D * LOG2PI + lv.sum())
    logph = torch.log_softmax(beta * (X @ xi.T), 1)
    if exact:
        Xp = X * p
        lpv = cst - 0.5 * ((X * Xp).sum(1, keepdim=True) - 2 * (Xp @ xi.T) + (xi * xi * p).sum(1)[None, :])
        return -torch.logsumexp(logph + lpv, 1).mean()
    idx = torch.multinomial(logph.detach().exp(), M, replacement=True)  # B x M
    diff = X[:, None, :] - xi[idx]                                       # B x M x D
    lpv = cst - 0.5 * (diff * diff * p).sum(2)
    wgt = torch.softmax(lpv, 1).detach()
    return -(wgt * (lpv + logph.gather(1, idx))).sum(1).mean()


def sfnn_kernel_op(X, xi0, exact):
    xi = xi0.clone().requires_grad_(True)
    lv = torch.zeros(D, requires_grad=True)

    def op():
        xi.grad = None
        lv.grad = None
        sfnn_loss(X, xi, lv, exact).backward()
        return xi.grad
    return op


def sfnn_epoch(X, exact, batch=128, lr=3e-3):
    """One epoch of the paper-default SFNN training: features scaled to norm 10, xi from 250
    random rows, diagonal log-variances, Adam, batch 128, shuffled."""
    g = torch.Generator().manual_seed(1)
    Xs = X * (10.0 / X.norm(dim=1, keepdim=True))
    init = torch.randperm(X.shape[0], generator=g)[:H]
    xi = Xs[init].clone().requires_grad_(True)
    lv = torch.zeros(D, requires_grad=True)
    opt = torch.optim.Adam([xi, lv], lr=lr)
    perm = torch.randperm(X.shape[0], generator=g)
    for s in range(0, X.shape[0], batch):
        xb = Xs[perm[s:s + batch]]
        opt.zero_grad()
        sfnn_loss(xb, xi, lv, exact).backward()
        opt.step()
    return xi


def torch_roc(sid, sood):
    s = torch.cat([sid, sood]).double()
    y = torch.cat([torch.ones_like(sid), torch.zeros_like(sood)]).double()
    s, order = torch.sort(s, descending=True)
    y = y[order]
    distinct = torch.nonzero(s[1:] != s[:-1]).squeeze(1)
    ends = torch.cat([distinct, torch.tensor([s.numel() - 1])])
    tps = torch.cumsum(y, 0)[ends]
    fps = (ends + 1).double() - tps
    tpr = torch.cat([torch.zeros(1, dtype=torch.float64), tps / tps[-1]])
    fpr = torch.cat([torch.zeros(1, dtype=torch.float64), fps / fps[-1]])
    return fpr, tpr, s[ends]


def torch_auroc(sid, sood):
    fpr, tpr, _ = torch_roc(sid, sood)
    return torch.trapz(tpr, fpr)


def torch_fpr(sid, sood, t):
    fpr, tpr, _ = torch_roc(sid, sood)
    return fpr[torch.nonzero(tpr >= t)[0, 0]]


def run_torch(ops, threads, reps, min_time, quick=False, scale=None, notes=None):
    torch.set_num_threads(threads)
    names = list(ops)
    # calibrate: iterations per repetition so that one repetition lasts >= min_time (wall)
    iters = {}
    samples = {n: [] for n in names}
    single = set()
    for n in names:
        f = ops[n]
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        first = (time.perf_counter() - w0, time.process_time() - c0)
        if quick and first[0] > QUICK_SINGLE_S:  # heavy: this call is the measurement
            samples[n].append(first)
            single.add(n)
            continue
        t0 = time.perf_counter()
        f()
        dt = max(time.perf_counter() - t0, 1e-7)
        iters[n] = max(1, int(math.ceil(min_time / dt)))
    names = [n for n in names if n not in single]
    for r in range(reps):
        random.shuffle(names)  # random interleaving, as on the C++ side
        for n in names:
            print(f"  [torch {threads} thread(s)] rep {r + 1}/{reps} {n}" + " " * 20, end="\r",
                  file=sys.stderr, flush=True)
            f, k = ops[n], iters[n]
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(k):
                f()
            samples[n].append(((time.perf_counter() - w0) / k, (time.process_time() - c0) / k))
    print(file=sys.stderr)
    scale, notes = scale or {}, notes or {}
    return {n: {"real": statistics.median(s[0] for s in v) * scale.get(n, 1.0),
                "cpu": statistics.median(s[1] for s in v) * scale.get(n, 1.0), "single": n in single,
                "note": notes.get(n)}
            for n, v in samples.items()}


def run_numpy_load(reps, metric):
    """numpy.load of a 100 MiB float32 .npy (the Python side of bench_io)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        path = os.path.join(d, "a.npy")
        np.save(path, np.zeros((51200, 512), np.float32) + 0.25)
        ts = []
        for _ in range(reps):
            w0, c0 = time.perf_counter(), time.process_time()
            a = np.load(path)
            ts.append(time.perf_counter() - w0 if metric == "real" else time.process_time() - c0)
            del a
        return statistics.median(ts)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

def fmt_t(s):
    if s is None:
        return "-"
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def verdict(ok):
    return "yes" if ok else "**no**"


def tables(cpp, tor, metric, threads, npy_py):
    rows = []
    t = lambda d, k: d.get(k, {}).get(metric)

    def ratio_row(label, a, b, goal=None, test=None):
        if a is None or b is None:
            return
        r = a / b
        rows.append((label, fmt_t(a), fmt_t(b), f"{r:.2f}", goal or "", verdict(test(r)) if test else ""))

    lines = [f"\n### {threads} thread(s), {metric} time, medians of interleaved repetitions\n",
             "#### reclag vs its yardsticks (ratio = reclag / yardstick)\n",
             "| reclag | yardstick | reclag | yardstick | ratio | goal | met |",
             "|---|---|---|---|---|---|---|"]
    yard = [("reclag_global/10000", "gemm/10000", "<= 1.2", lambda r: r <= 1.2),
            ("reclag_routed/10000", "gemm/10000", "<= 1.2", lambda r: r <= 1.2),
            ("reclag_global/256", "gemm/256", "", None),
            ("reclag_global/16", "gemm/16", "", None),
            ("reclag_global/1", "gemv/1", "<= 2", lambda r: r <= 2),
            ("reclag_routed/1", "gemv/1", "<= 2", lambda r: r <= 2),
            ("reclag_global_alloc/1", "gemv/1", "", None),
            ("reclag_global_ws/10000/1", "gemm/10000", "<= 1.2", lambda r: r <= 1.2),
            ("reclag_routed_ws/10000/1", "gemm/10000", "<= 1.2", lambda r: r <= 1.2),
            ("reclag_global_ws/1/1", "gemv/1", "<= 2", lambda r: r <= 2),
            ("reclag_routed_ws/1/1", "gemv/1", "<= 2", lambda r: r <= 2),
            ("dyn_step/10000", "dyn_gemm/10000", "(2 GEMMs: 2.0 ideal)", None),
            ("dyn_run10/10000", "dyn_step/10000", "(10.0 ideal)", None),
            ("metrics_roc/1000000", "std_sort/1000000", "<= 2", lambda r: r <= 2),
            ("metrics_auroc/1000000", "std_sort/1000000", "<= 2", lambda r: r <= 2),
            ("metrics_fpr95/1000000", "std_sort/1000000", "<= 2", lambda r: r <= 2),
            ("metrics_all/1000000", "std_sort/1000000", "", None),
            ("npy_load", "fread_fresh", "<= 1.5", lambda r: r <= 1.5),
            ("npy_load", "fread_reuse", "", None),
            ("npy_load", "fread_hugepage", "", None),
            ("check_finite", "check_finite_redux", "", None),
            ("score_she", "check_finite", "", None)]
    for a, b, goal, test in yard:
        va, vb = t(cpp, a), t(cpp, b)
        if va is not None and vb is not None:
            lines.append(f"| {a} | {b} | {fmt_t(va)} | {fmt_t(vb)} | {va / vb:.2f} | {goal} | "
                         f"{verdict(test(va / vb)) if test else ''} |")
    # GEMM efficiency of the SFNN kernels (GFLOP/s counted on their GEMM FLOPs only)
    def gflops(k):
        # the counter is FLOPs / wall time; rescale to the metric in use
        e = cpp.get(k, {})
        return e["gflops"] * e["real"] / e[metric] if e.get("gflops") else None
    g_ref = gflops("gemm/128")
    lines += [f"\n#### GEMM-shaped work: achieved GFLOP/s ({metric} time) vs the GEMM yardstick of the "
              "batch shape\n",
              "| kernel | GFLOP/s | yardstick gemm/128 GFLOP/s | fraction | goal | met |", "|---|---|---|---|---|---|"]
    for k in ("gemm_grad/128", "sfnn_kernel_exact/128", "sfnn_kernel_mc/128", "sfnn_epoch_exact/12000",
              "sfnn_epoch_mc/12000", "sfnn_epoch_exact/50000", "sfnn_epoch_mc/50000", "dyn_step/10000"):
        g = gflops(k)
        if g and g_ref:
            lines.append(f"| {k} | {g:.1f} | {g_ref:.1f} | {g / g_ref:.2f} | >= 0.5 | {verdict(g / g_ref >= 0.5)} |")

    lines += ["\n#### reclag vs PyTorch (speed-up = PyTorch time / reclag time)\n",
              "| operation | reclag | PyTorch | speed-up | goal | met |", "|---|---|---|---|---|---|"]
    goals = {"reclag_global/1": (10, ">= 10"), "reclag_routed/1": (10, ">= 10"),
             "reclag_global_ws/1/1": (10, ">= 10"), "reclag_routed_ws/1/1": (10, ">= 10")}
    for k in cpp:
        tk = TORCH_ALIAS.get(k, k)
        if tk not in tor:
            continue
        a, b = t(cpp, k), t(tor, tk)
        if a is None or b is None:
            continue
        s = b / a
        if k in goals:
            g, gs = goals[k]
        elif k.startswith("score_") or tk in ("reclag_global/10000", "reclag_routed/10000"):
            g, gs = 2, ">= 2"
        elif k.startswith("sfnn_epoch"):
            g, gs = 3, ">= 3"
        else:
            g, gs = None, ""
        note = ""
        if tk != k:
            note += f" (PyTorch: {tk})"
        if tor[tk].get("note"):
            note += f" ({tor[tk]['note']})"
        if tor[tk].get("single"):
            note += " (PyTorch: 1 call)"
        lines.append(f"| {k}{note} | {fmt_t(a)} | {fmt_t(b)} | {s:.2f} | {gs} | {verdict(s >= g) if g else ''} |")
    if "npy_load" in cpp and npy_py is not None:
        a = t(cpp, "npy_load")
        lines.append(f"| npy_load (vs numpy.load) | {fmt_t(a)} | {fmt_t(npy_py)} | {npy_py / a:.2f} |  |  |")
    if "std_sort/1000000" in cpp and "torch_sort/1000000" in tor:
        a, b = t(cpp, "std_sort/1000000"), t(tor, "torch_sort/1000000")
        lines.append(f"| std::sort vs torch.sort (1e6) | {fmt_t(a)} | {fmt_t(b)} | {b / a:.2f} |  |  |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", help="reuse this CMake build (configured with -DRECLAG_BUILD_BENCHMARKS=ON); "
                                        "default: configure and build <repo>/build-bench")
    ap.add_argument("--quick", action="store_true",
                    help="2 repetitions, short min time, skip the heaviest cases, shorter PyTorch epochs (< 2 min)")
    ap.add_argument("--threads", default=None, help="comma-separated thread counts (default 1; full run: 1,2)")
    ap.add_argument("--repetitions", type=int, default=None)
    ap.add_argument("--metric", choices=["auto", "cpu", "real"], default="auto")
    ap.add_argument("--no-build", action="store_true", help="do not run cmake --build on --build-dir")
    ap.add_argument("--json", help="also write the raw medians here")
    a = ap.parse_args()

    threads = [int(s) for s in (a.threads or ("1" if a.quick else "1,2")).split(",")]
    reps = a.repetitions or (2 if a.quick else 5)
    min_time = 0.02 if a.quick else 0.2
    skip = QUICK_SKIP if a.quick else []

    build_dir = os.path.abspath(a.build_dir or os.path.join(REPO, "build-bench"))
    if not a.no_build:
        build(build_dir, configure=a.build_dir is None or not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")))

    suite = TorchSuite(a.quick)
    print("preparing PyTorch data ...", file=sys.stderr, flush=True)
    ops = suite.ops()
    report, raw = [], {}
    for th in threads:
        metric = a.metric if a.metric != "auto" else ("cpu" if th == 1 else "real")
        cpp, ctx = run_cpp(build_dir, th, reps, min_time, skip)
        tor = run_torch(ops, th, reps, min_time, quick=a.quick, scale=suite.epoch_scale, notes=suite.notes)
        npy_py = run_numpy_load(max(reps, 3), metric)
        raw[th] = {"cpp": cpp, "torch": tor, "numpy_load": npy_py, "context": ctx}
        report.append(tables(cpp, tor, metric, th, npy_py))
    if len(threads) > 1:
        report.append("\n#### thread scaling (wall time, t=1 / t=n; 2.0 = perfect on 2 threads)\n")
        report.append("| operation | reclag | PyTorch |\n|---|---|---|")
        t1 = raw[threads[0]]
        for th in threads[1:]:
            tn = raw[th]
            for k in ("gemm/10000", "reclag_global/10000", "reclag_routed/10000", "score_mhe_1200",
                      "dyn_step/10000", "sfnn_epoch_exact/12000", "sfnn_epoch_mc/12000", "metrics_all/1000000"):
                if k in t1["cpp"] and k in tn["cpp"]:
                    c = t1["cpp"][k]["real"] / tn["cpp"][k]["real"]
                    p = (t1["torch"][k]["real"] / tn["torch"][k]["real"]) if k in t1["torch"] else None
                    report.append(f"| {k} ({th} threads) | {c:.2f} | {'-' if p is None else f'{p:.2f}'} |")
    # the library's own lanes (ReclagWorkspace num_threads), measured inside each run
    lane_rows = []
    for th in threads:
        c = raw[th]["cpp"]
        for k in ("reclag_global_ws/10000", "reclag_routed_ws/10000"):
            if f"{k}/1" in c and f"{k}/2" in c:
                lane_rows.append(f"| {k} (OMP_NUM_THREADS={th}) | {fmt_t(c[f'{k}/1']['real'])} | "
                                 f"{fmt_t(c[f'{k}/2']['real'])} | {c[f'{k}/1']['real'] / c[f'{k}/2']['real']:.2f} |")
    if lane_rows:
        report.append("\n#### RecLag workspace lanes: wall time, 1 lane / 2 lanes (2.0 = perfect)\n")
        report.append("| operation | 1 lane | 2 lanes | scaling |\n|---|---|---|---|")
        report.extend(lane_rows)
    ctx = raw[threads[0]]["context"]
    print(f"\nC++: {ctx.get('host_name', '')} {ctx.get('num_cpus')} CPUs, load {ctx.get('load_avg')}, "
          f"Eigen SIMD: {ctx.get('eigen_simd')}, AVX2+FMA: {ctx.get('avx2_fma')}, OpenMP: {ctx.get('eigen_openmp')}, "
          f"NDEBUG: {ctx.get('ndebug')}; PyTorch {torch.__version__}, repetitions {reps}")
    if a.quick:
        print(f"--quick: {reps} repetitions, min time {min_time} s; left out: {', '.join(QUICK_SKIP)} (both sides), "
              f"{', '.join(QUICK_TORCH_SKIP)} (PyTorch); PyTorch epochs timed on N = {QUICK_EPOCH_N} rows and "
              f"scaled by the batch count, KNN/MHE/Mahalanobis/ViM/dyn_step on {QUICK_ROWS} rows and scaled; "
              f"PyTorch operations slower than {QUICK_SINGLE_S} s timed by one call")
    print("\n".join(report))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(raw, f, indent=1, default=str)


if __name__ == "__main__":
    main()
