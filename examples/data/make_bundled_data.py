#!/usr/bin/python3
"""Build reclag's bundled real OOD-detection data set (examples/data/).

In-distribution (ID): Fashion-MNIST (Debian package dataset-fashion-mnist).
Out-of-distribution (OOD), all built only from files shipped by Debian packages:
  digits   - sklearn.datasets.load_digits() (real 8x8 handwritten digits), upsampled
  letters  - capital letters A-J rendered with Debian's DejaVu and LyX (TeX) fonts
  photos   - grayscale patches cropped from real photographs shipped by scikit-image and
             scikit-learn
  gaussian - N(0.5, 0.25^2) noise clipped to [0, 1]
  uniform  - U(0, 1) noise

A small CNN (conv-BN-ReLU blocks -> global average pool -> 128-dim non-negative feature ->
Linear(128, 10)) is trained on all 60,000 Fashion-MNIST training images on the CPU with fixed
seeds, then the penultimate features and logits of fixed subsets are written as .npy files
(float32 / int64, little endian, C order), together with the final layer (fc_weight, fc_bias),
stats.json, preview.png and README.md.

Rebuild (Debian 12):
  apt-get install -y python3-torch python3-numpy python3-sklearn python3-skimage python3-pil \
      dataset-fashion-mnist fonts-dejavu-core fonts-dejavu-extra fonts-lyx
  /usr/bin/python3 examples/data/make_bundled_data.py            # --out DIR, default: here

Every output file is written to a temporary name in the output directory and then renamed
(os.replace), so readers never see a half-written file.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
LYX_DIR = "/usr/share/fonts/truetype/lyx"
# LyX's TeX fonts whose code points A-J hold letter glyphs (the others hold symbols).
LYX_LETTER_FONTS = ["cmr10", "cmmi10", "cmsy10", "dsrom10", "eufm10", "msbm10", "rsfs10"]
LETTERS = "ABCDEFGHIJ"
DEBIAN_PACKAGES = ["dataset-fashion-mnist", "python3-sklearn", "python3-skimage",
                   "fonts-dejavu-core", "fonts-dejavu-extra", "fonts-lyx", "python3-torch",
                   "python3-numpy", "python3-pil"]

# Real photographs: (name, how to load, licence as stated by the shipping package).
PHOTOS = [
    ("skimage.data.camera", "skimage:camera", "CC0 (photographer Lav Varshney)"),
    ("skimage.data.astronaut", "skimage:astronaut", "public domain (NASA)"),
    ("skimage.data.chelsea", "skimage:chelsea", "CC0 (photographer Stefan van der Walt)"),
    ("skimage.data.coffee", "skimage:coffee", "CC0 (photographer Rachel Michetti)"),
    ("skimage.data.coins", "skimage:coins", "no known copyright restrictions (Brooklyn Museum collection)"),
    ("skimage.data.rocket", "skimage:rocket", "public domain (SpaceX)"),
    ("skimage.data.clock", "skimage:clock", "public domain (photographer Stefan van der Walt)"),
    ("skimage.data.hubble_deep_field", "skimage:hubble_deep_field", "public domain (NASA)"),
    ("skimage.data.retina", "skimage:retina", "CC0 1.0 (Mikael Haggstrom, Wikimedia Commons)"),
    ("skimage.data.grass", "skimage:grass", "CC0 (CC0Textures)"),
    ("skimage.data.gravel", "skimage:gravel", "CC0 (CC0Textures)"),
    ("skimage.data.brick", "skimage:brick", "CC0 (CC0Textures)"),
    ("sklearn china.jpg", "sklearn:china.jpg", "CC BY 2.0 (Flickr user danielbuechele)"),
    ("sklearn flower.jpg", "sklearn:flower.jpg", "CC BY 2.0 (Flickr user vultilion)"),
]


# --------------------------------------------------------------------------- small helpers
def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def atomic_write_bytes(path, data):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(np.asarray(arr).astype(np.dtype(dtype).newbyteorder("<"),
                                                      copy=False))
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def deb_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True,
                              capture_output=True, text=True).stdout.strip()
    except Exception:
        return "unknown"


def machine_description():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} x {model}"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# --------------------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist():
    f = lambda n: os.path.join(FMNIST_DIR, n)
    xtr = read_idx(f("train-images-idx3-ubyte.gz"))
    ytr = read_idx(f("train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(f("t10k-images-idx3-ubyte.gz"))
    yte = read_idx(f("t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    return xtr, ytr, xte, yte


def stratified_indices(labels, per_class, rng):
    idx = []
    for c in range(10):
        members = np.flatnonzero(labels == c)
        idx.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(idx)).astype(np.int64)


def make_digits(n, rng):
    """Real handwritten digits (sklearn load_digits, 8x8, 0..16), white ink on black.
    Upsampled bilinearly to 20x20 and centred in 28x28, like MNIST's 20x20 box."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    d = load_digits()
    imgs = d.images.astype(np.float32) / 16.0                       # 1797 x 8 x 8 in [0, 1]
    sel = np.sort(rng.choice(len(imgs), size=n, replace=False))
    t = torch.from_numpy(imgs[sel])[:, None]
    up = F.interpolate(t, size=(20, 20), mode="bilinear", align_corners=False)
    out = F.pad(up, (4, 4, 4, 4)).clamp_(0, 1)[:, 0].numpy()
    info = {"source": "sklearn.datasets.load_digits()", "available": int(len(imgs)),
            "selected": int(n), "digit_counts": np.bincount(d.target[sel], minlength=10).tolist()}
    return out.astype(np.float32), info


def letter_fonts():
    from PIL import ImageFont
    paths = sorted(os.path.join(DEJAVU_DIR, f) for f in os.listdir(DEJAVU_DIR)
                   if f.endswith(".ttf"))
    paths += [os.path.join(LYX_DIR, n + ".ttf") for n in LYX_LETTER_FONTS
              if os.path.exists(os.path.join(LYX_DIR, n + ".ttf"))]
    fonts = []
    for p in paths:
        font = ImageFont.truetype(p, 64)
        glyphs = [render_glyph(font, ch) for ch in LETTERS]
        if all(g is not None for g in glyphs) and \
                len({g.tobytes() for g in glyphs}) == len(LETTERS):
            fonts.append(p)
    return fonts


def render_glyph(font, ch):
    from PIL import Image, ImageDraw
    img = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(img).text((40, 30), ch, fill=255, font=font)
    box = img.getbbox()
    return None if box is None else img.crop(box)


def make_letters(n, rng):
    """notMNIST-style capital letters A-J: random font, rotation U(-15, 15) degrees, glyph
    cropped to its ink, longer side scaled to 16..26 px, centred +- 2 px, white on black."""
    from PIL import Image, ImageFont
    fonts = letter_fonts()
    loaded = [ImageFont.truetype(p, 64) for p in fonts]
    out = np.zeros((n, 28, 28), np.float32)
    for i in range(n):
        ch = LETTERS[rng.integers(len(LETTERS))]
        fi = int(rng.integers(len(fonts)))
        angle = float(rng.uniform(-15, 15))
        side = int(rng.integers(16, 27))
        dx, dy = (int(v) for v in rng.integers(-2, 3, size=2))
        g = render_glyph(loaded[fi], ch)
        g = g.rotate(angle, resample=Image.BILINEAR, expand=True)
        g = g.crop(g.getbbox())
        w, h = g.size
        s = side / max(w, h)
        g = g.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
        canvas = Image.new("L", (28, 28), 0)
        canvas.paste(g, ((28 - g.size[0]) // 2 + dx, (28 - g.size[1]) // 2 + dy))
        out[i] = np.asarray(canvas, np.float32) / 255.0
    info = {"fonts": [os.path.basename(p)[:-4] for p in fonts], "letters": LETTERS}
    return out, info


def load_photo(spec):
    from PIL import Image
    kind, name = spec.split(":")
    if kind == "skimage":
        import skimage.data
        arr = getattr(skimage.data, name)()
    else:
        import sklearn.datasets
        path = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images", name)
        arr = np.asarray(Image.open(path))
    img = Image.fromarray(arr)
    return img.convert("L")  # ITU-R 601-2 luma for RGB inputs


def make_photos(n, rng):
    """Grayscale patches of real photographs: pick a photo uniformly, a square window with
    side log-uniform in [28, min(H, W) / 2] at a uniform position, area-downsampled (PIL BOX)
    to 28x28."""
    from PIL import Image
    imgs = [load_photo(spec) for _, spec, _ in PHOTOS]
    out = np.zeros((n, 28, 28), np.float32)
    counts = np.zeros(len(imgs), np.int64)
    for i in range(n):
        k = int(rng.integers(len(imgs)))
        img = imgs[k]
        w, h = img.size
        smax = min(w, h) // 2
        side = int(round(np.exp(rng.uniform(np.log(28), np.log(smax)))))
        x0 = int(rng.integers(0, w - side + 1))
        y0 = int(rng.integers(0, h - side + 1))
        patch = img.crop((x0, y0, x0 + side, y0 + side)).resize((28, 28), Image.BOX)
        out[i] = np.asarray(patch, np.float32) / 255.0
        counts[k] += 1
    info = {"photos": [{"name": nm, "size": list(im.size), "licence": lic, "patches": int(c)}
                       for (nm, _, lic), im, c in zip(PHOTOS, imgs, counts)]}
    return out, info


# --------------------------------------------------------------------------- network
def build_model(mean, std):
    import torch
    import torch.nn as nn

    def block(cin, cout, k=3):
        return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True)]

    class SmallCNN128(nn.Module):
        """Input: N x 1 x 28 x 28 in [0, 1]. feature(): N x 128, >= 0. forward(): logits."""

        def __init__(self):
            super().__init__()
            self.register_buffer("mean", torch.tensor(float(mean)))
            self.register_buffer("std", torch.tensor(float(std)))
            self.body = nn.Sequential(
                *block(1, 32), nn.MaxPool2d(2),                   # 28 -> 14
                *block(32, 64), nn.MaxPool2d(2),                  # 14 -> 7
                *block(64, 128),                                  # 7x7x128
                *block(128, 128, k=1),                            # 1x1 mixing, 7x7x128
                nn.AdaptiveAvgPool2d(1), nn.Flatten())            # global average pool
            self.fc = nn.Linear(128, 10)

        def feature(self, x):
            return self.body((x - self.mean) / self.std)

        def forward(self, x):
            return self.fc(self.feature(x))

    return SmallCNN128()


def augment(x, gen):
    """Random crop with 2-px zero padding + horizontal flip; x: B x 1 x 28 x 28 in [0, 1]."""
    import torch
    import torch.nn.functional as F
    b = x.shape[0]
    p = F.pad(x, (2, 2, 2, 2))
    off = torch.randint(0, 5, (b, 2), generator=gen)
    ar = torch.arange(28)
    rows = (off[:, 0:1] + ar)[:, :, None]
    cols = (off[:, 1:2] + ar)[:, None, :]
    out = p[torch.arange(b)[:, None, None], 0, rows, cols][:, None]
    flip = torch.rand(b, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


def train(model, xtr, ytr, xte, yte, args):
    import torch
    import torch.nn.functional as F
    gen = torch.Generator().manual_seed(args.seed + 1)
    xt = torch.from_numpy(xtr.astype(np.float32) / 255.0)[:, None]
    yt = torch.from_numpy(ytr)
    n = xt.shape[0]
    steps_per_epoch = (n + args.batch - 1) // args.batch
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                          weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    history = []
    t0 = time.time()
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot_loss, tot_ok = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            xb = augment(xt[idx], gen)
            yb = yt[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += float(loss) * len(idx)
            tot_ok += int((logits.argmax(1) == yb).sum())
        _, test_logits = extract(model, xte)
        acc = float((test_logits.argmax(1) == yte).mean())
        rec = {"epoch": ep + 1, "train_loss": tot_loss / n, "train_acc_augmented": tot_ok / n,
               "test_acc": acc, "elapsed_s": round(time.time() - t0, 1)}
        history.append(rec)
        log(f"epoch {ep + 1}/{args.epochs}: loss {rec['train_loss']:.4f} "
            f"train acc {rec['train_acc_augmented']:.4f} test acc {acc:.4f} "
            f"({rec['elapsed_s']} s)")
    return history


def extract(model, x_u8_or_float, batch=500):
    """Features and logits in eval mode; x is uint8 (0..255) or float in [0, 1], N x 28 x 28."""
    import torch
    model.eval()
    x = np.asarray(x_u8_or_float)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    feats, logits = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch])[:, None]
            f = model.feature(xb)
            feats.append(f.numpy())
            logits.append(model.fc(f).numpy())
    return (np.concatenate(feats).astype(np.float32),
            np.concatenate(logits).astype(np.float32))


# --------------------------------------------------------------------------- metrics
def msp(z):
    z = z.astype(np.float64)
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return (p / p.sum(1, keepdims=True)).max(1)


def energy(z):
    z = z.astype(np.float64)
    m = z.max(1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]


def max_cosine(f, ref):
    a = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    b = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    return (a.astype(np.float64) @ b.astype(np.float64).T).max(1)


def auroc_fpr95(s_id, s_ood):
    """ID = positive class; higher score = more ID. FPR95 = FPR at the first ROC point
    (thresholds from high to low) with TPR >= 0.95."""
    from sklearn.metrics import roc_auc_score, roc_curve
    y = np.r_[np.ones(len(s_id)), np.zeros(len(s_ood))]
    s = np.r_[s_id, s_ood]
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(roc_auc_score(y, s)), float(fpr[np.argmax(tpr >= 0.95)])


def feature_stats(f):
    return {"n": int(f.shape[0]), "min": float(f.min()), "max": float(f.max()),
            "mean": float(f.mean()), "frac_zeros": float((f == 0).mean()),
            "mean_l2": float(np.linalg.norm(f, axis=1).mean())}


def preview_png(sets):
    """One row of 16 images per set (28x28, 1-px gaps), scaled x2."""
    from PIL import Image
    rows = len(sets)
    canvas = np.full((rows * 29 + 1, 16 * 29 + 1), 128, np.uint8)
    for r, (_, imgs) in enumerate(sets):
        for c in range(min(16, len(imgs))):
            canvas[1 + r * 29:1 + r * 29 + 28, 1 + c * 29:1 + c * 29 + 28] = \
                np.clip(np.asarray(imgs[c]) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    img = Image.fromarray(canvas).resize((canvas.shape[1] * 2, canvas.shape[0] * 2),
                                         Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# --------------------------------------------------------------------------- README
def human(nbytes):
    return f"{nbytes / 1024:.1f} KB" if nbytes < 1024 * 1024 else f"{nbytes / 1048576:.2f} MB"


def write_readme(out, st):
    L = []
    a = L.append
    a("# Bundled real data: Fashion-MNIST CNN features for post-hoc OOD detection")
    a("")
    a("Penultimate-layer features and logits of a small CNN trained on Fashion-MNIST, for the")
    a("examples and tests of reclag (MSP, Energy, ReAct, MHE, SHE, RecLag, ... on real data).")
    a("In-distribution (ID) = Fashion-MNIST (10 classes); out-of-distribution (OOD) = real")
    a("handwritten digits, font-rendered letters, patches of real photographs, and two noise sets.")
    a("Every input comes only from files shipped by Debian 12 packages (listed below).")
    a("")
    a("**This file is generated by `make_bundled_data.py`** (edit the script, not this file).")
    a("")
    a("## Rebuild")
    a("")
    a("```sh")
    a("apt-get install -y python3-torch python3-numpy python3-sklearn python3-skimage python3-pil \\")
    a("    dataset-fashion-mnist fonts-dejavu-core fonts-dejavu-extra fonts-lyx")
    a("/usr/bin/python3 examples/data/make_bundled_data.py          # --out DIR (default: this folder)")
    a("```")
    a("")
    a(f"Wall time of the run that produced these files: **{st['wall_time_s'] / 60:.1f} min** "
      f"(training {st['train_time_s'] / 60:.1f} min, data preparation + feature extraction + "
      f"checks {(st['wall_time_s'] - st['train_time_s']):.0f} s) on {st['machine']}, "
      f"torch.set_num_threads({st['args']['threads']}).")
    if st.get("run_note"):
        a(st["run_note"])
    if "loadavg_1min_start_end" in st:
        l0, l1 = st["loadavg_1min_start_end"]
        a(f"The machine's 1-minute load average was {l0:.1f} at the start and {l1:.1f} at the end "
          "of the run; on a busy machine the wall time grows accordingly (the results do not "
          "change).")
    a("The seeds are fixed (`--seed`, default 1234) and the script uses no data loader workers,")
    a("so a rerun on the same machine and package versions reproduces the files; across CPUs or")
    a("library versions results agree closely but not bitwise (floating-point kernels).")
    a("Every file is written under a temporary name and renamed into place (`os.replace`).")
    a("")
    a("## Files")
    a("")
    a("All float arrays are float32, labels/indices int64, little endian, C order (`np.load`).")
    a(f"`logits == features @ fc_weight.T + fc_bias` holds for every set (max abs diff "
      f"{st['logit_check_max_abs_diff']:.2e}, computed in float64 from the float32 files).")
    a("")
    a("| file | shape | dtype | size |")
    a("|---|---|---|---|")
    for f in st["files"]:
        a(f"| {f['name']} | {f['shape']} | {f['dtype']} | {human(f['bytes'])} |")
    a("")
    a(f"Total of all files in the folder (this README included): {human(st['total_bytes'])}.")
    a("")
    nte = st["sizes"]["id_test"]
    ntr = st["sizes"]["id_train"]
    a(f"* `id_train_*` - a stratified fixed subset of the Fashion-MNIST *train* split, "
      f"{ntr // 10} images per class ({ntr} in all); `id_train_indices.npy` = their indices "
      "into the 60,000 training images (sorted ascending, rows in that order). Use it to fit "
      "detectors that need ID statistics (MHE/SHE/RecLag memories, ReAct percentile, class means). "
      "The network was trained on all 60,000 images, these included.")
    a(f"* `id_test_*` - a stratified fixed subset of the *test* split, {nte // 10} images per "
      f"class ({nte} in all); `id_test_indices.npy` = their indices into the 10,000 test images "
      "(sorted ascending). Labels are the classes 0..9:")
    a("  " + ", ".join(f"{i} {n}" for i, n in enumerate(CLASS_NAMES)) + ".")
    a("* `fc_weight.npy` (10x128), `fc_bias.npy` (10) - the final `Linear(128, 10)`.")
    di = st["ood_info"]["digits"]
    a(f"* `ood_digits_*` - {di['selected']} of the {di['available']} real 8x8 handwritten digits "
      "of `sklearn.datasets.load_digits()` (fixed random subset; values 0..16 divided by 16), "
      "bilinearly upsampled to 20x20 and centred in 28x28 with a 4-px black border (white ink on "
      f"black, like MNIST). Digit counts 0..9: {di['digit_counts']}.")
    li = st["ood_info"]["letters"]
    a(f"* `ood_letters_*` - {st['sizes']['ood_letters']} capital letters A-J rendered with PIL, "
      f"notMNIST-style: random letter, random font out of {len(li['fonts'])} "
      f"({', '.join(li['fonts'])}), rotation U(-15, 15) degrees, glyph cropped to its ink and "
      "scaled so its longer side is 16..26 px, centred with a U{-2..2} px offset, white on black.")
    a(f"* `ood_photos_*` - {st['sizes']['ood_photos']} grayscale patches of real photographs: "
      "a photograph chosen uniformly, a square window whose side is log-uniform in "
      "[28, min(H, W)/2] px at a uniform position, area-downsampled (PIL BOX) to 28x28; colour "
      "photographs converted to luma (PIL `L`, ITU-R 601-2). Photographs (size, licence, patches):")
    for p in st["ood_info"]["photos"]["photos"]:
        a(f"  * {p['name']} ({p['size'][0]}x{p['size'][1]}, {p['licence']}): {p['patches']}")
    a(f"* `ood_gaussian_*` - {st['sizes']['ood_gaussian']} images of N(0.5, 0.25^2) pixel noise "
      "clipped to [0, 1].")
    a(f"* `ood_uniform_*` - {st['sizes']['ood_uniform']} images of U(0, 1) pixel noise.")
    a("* `stats.json` - every number in this README (training log, statistics, AUROC/FPR95, "
      "package versions, sha256 of the Fashion-MNIST files), machine readable.")
    a("* `preview.png` - the first 16 inputs of ID test and of each OOD set (one row each, in the "
      "order id_test, " + ", ".join(st["ood_names"]) + ").")
    a("")
    a("The trained weights are not bundled (rerun the script; `--save-model PATH` writes the "
      "`state_dict`).")
    a("")
    a("## Network and training")
    a("")
    a(f"* Input: 28x28 grayscale in [0, 1] (uint8 / 255), normalised inside the network as "
      f"(x - {st['norm_mean']:.4f}) / {st['norm_std']:.4f} (mean/std of all training pixels); the "
      "same network, hence the same normalisation, produced every set.")
    a(f"* `SmallCNN128` ({st['n_params']:,} parameters): conv3x3(32)-BN-ReLU -> maxpool -> "
      "conv3x3(64)-BN-ReLU -> maxpool -> conv3x3(128)-BN-ReLU -> conv1x1(128)-BN-ReLU (7x7) -> "
      "global average pool = **128-dim feature (mean of ReLU outputs, so >= 0, like a ResNet "
      "penultimate layer)** -> `Linear(128, 10)`. Convolutions have no bias (BatchNorm follows).")
    ar = st["args"]
    n_fit = st.get("n_train_images", 60000)
    a(f"* Training: {'all 60,000' if n_fit == 60000 else n_fit} training images, {ar['epochs']} epoch{'s' if ar['epochs'] != 1 else ''}, batch {ar['batch']}, SGD "
      f"with Nesterov momentum 0.9, one-cycle learning rate (max {ar['lr']}), weight decay "
      f"{ar['wd']}, cross-entropy; augmentation = random crop with 2-px zero padding + horizontal "
      f"flip. Seed {ar['seed']} (`torch.manual_seed`, a `torch.Generator` for shuffling and "
      f"augmentation, `numpy.random.default_rng` for subsets and OOD sets). "
      f"torch {st['versions']['torch']}, CPU, {ar['threads']} thread(s).")
    a("")
    a("| epoch | train loss | train acc (augmented) | test acc | elapsed s |")
    a("|---|---|---|---|---|")
    for h in st["history"]:
        a(f"| {h['epoch']} | {h['train_loss']:.4f} | {h['train_acc_augmented']:.4f} | "
          f"{h['test_acc']:.4f} | {h['elapsed_s']:.0f} |")
    a("")
    a(f"**Test accuracy: {100 * st['test_acc_full']:.2f}%** on all 10,000 test images "
      f"({100 * st['acc']['id_test']:.2f}% on the id_test subset, "
      f"{100 * st['acc']['id_train']:.2f}% on the id_train subset).")
    a("")
    a("## Sanity checks")
    a("")
    a("Feature statistics (128-dim penultimate features):")
    a("")
    a("| set | N | min | max | mean | frac zeros | mean L2 norm |")
    a("|---|---|---|---|---|---|---|")
    for name, s in st["feature_stats"].items():
        a(f"| {name} | {s['n']} | {s['min']:.4f} | {s['max']:.4f} | {s['mean']:.4f} | "
          f"{s['frac_zeros']:.4f} | {s['mean_l2']:.3f} |")
    a("")
    a("Baseline detectors, id_test (positive class) against each OOD set; larger score = more ID. "
      "MSP = max softmax probability; Energy = logsumexp(logits) (T = 1); MaxCos = largest cosine "
      "similarity of the feature to the id_train features (a feature-space reference). AUROC = "
      "`sklearn.metrics.roc_auc_score`; FPR95 = FPR at the first point of "
      "`sklearn.metrics.roc_curve` whose TPR >= 0.95.")
    a("")
    a("| OOD set | N | MSP AUROC | MSP FPR95 | Energy AUROC | Energy FPR95 | MaxCos AUROC | MaxCos FPR95 |")
    a("|---|---|---|---|---|---|---|---|")
    for name, r in st["baselines"].items():
        a(f"| {name} | {r['n']} | {r['msp_auroc']:.4f} | {r['msp_fpr95']:.4f} | "
          f"{r['energy_auroc']:.4f} | {r['energy_fpr95']:.4f} | {r['maxcos_auroc']:.4f} | "
          f"{r['maxcos_fpr95']:.4f} |")
    a("")
    a("## Provenance and licences")
    a("")
    a("Debian 12 packages used (versions of the run above):")
    a("")
    for p, v in st["debian_packages"].items():
        a(f"* `{p}` {v}")
    a("")
    a("* Fashion-MNIST: (c) 2017 Zalando SE, MIT (Expat) licence; files "
      "`/usr/share/datasets/fashion-mnist/*-ubyte.gz` of `dataset-fashion-mnist` (sha256 in "
      "stats.json).")
    a("* sklearn digits: the test part of the UCI \"Optical Recognition of Handwritten Digits\" "
      "data set (E. Alpaydin, C. Kaynak), CC BY 4.0; shipped inside scikit-learn (BSD-3-Clause), "
      "`python3-sklearn`.")
    a("* Letters are renderings of glyphs, not copies of the font programs. Fonts: DejaVu "
      "(`fonts-dejavu-core`, `fonts-dejavu-extra`; Bitstream Vera licence + public-domain "
      "changes) and the TeX fonts packaged with LyX (`fonts-lyx`: Computer Modern, AMS, Euler, "
      "dsfont in TrueType by Basil K. Malyshev, BaKoMa fonts licence; rsfs10 public domain; "
      "see `/usr/share/doc/fonts-lyx/copyright`).")
    a("* Photographs: scikit-image's sample data (`python3-skimage`, BSD-3-Clause code; each "
      "image's licence as stated in `skimage/data/_fetchers.py`, listed above: CC0 or public "
      "domain) and scikit-learn's two sample images `china.jpg` and `flower.jpg` "
      "(`python3-sklearn`, `sklearn/datasets/images/README.txt`: Creative Commons "
      "Attribution 2.0, by Flickr users danielbuechele and vultilion). The bundled files hold "
      "only CNN features of 28x28 patches, no pixels; `preview.png` shows 16 such patches.")
    a("* Noise sets, features, logits, weights, preview: generated by this script; free to use.")
    a("")
    atomic_write_bytes(os.path.join(out, "README.md"), ("\n".join(L)).encode("utf-8"))


# --------------------------------------------------------------------------- main
def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=here, help="output directory (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1, help="one-cycle maximum learning rate")
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--train-per-class", type=int, default=500)
    ap.add_argument("--test-per-class", type=int, default=500)
    ap.add_argument("--ood-size", type=int, default=1000)
    ap.add_argument("--train-limit", type=int, default=0,
                    help="train on only the first N training images (smoke tests only)")
    ap.add_argument("--save-model", default="", help="also write the trained state_dict here")
    ap.add_argument("--readme-only", action="store_true",
                    help="only regenerate README.md from the stats.json already in --out")
    args = ap.parse_args()
    if args.readme_only:
        with open(os.path.join(args.out, "stats.json")) as f:
            finish(args.out, json.load(f))
        return

    t_start = time.time()
    load_start = os.getloadavg()[0]
    os.makedirs(args.out, exist_ok=True)
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    np.random.seed(args.seed)

    log("loading Fashion-MNIST")
    xtr, ytr, xte, yte = load_fmnist()
    mean = float((xtr.astype(np.float64) / 255.0).mean())
    std = float((xtr.astype(np.float64) / 255.0).std())

    rng = np.random.default_rng(args.seed)
    train_idx = stratified_indices(ytr, args.train_per_class, rng)
    test_idx = stratified_indices(yte, args.test_per_class, rng)

    log("building OOD sets")
    ood = {}
    info = {}
    ood["digits"], info["digits"] = make_digits(args.ood_size, np.random.default_rng(args.seed + 10))
    ood["letters"], info["letters"] = make_letters(args.ood_size, np.random.default_rng(args.seed + 11))
    ood["photos"], info["photos"] = make_photos(args.ood_size, np.random.default_rng(args.seed + 12))
    g = np.random.default_rng(args.seed + 13)
    ood["gaussian"] = np.clip(g.normal(0.5, 0.25, (args.ood_size, 28, 28)), 0, 1).astype(np.float32)
    g = np.random.default_rng(args.seed + 14)
    ood["uniform"] = g.uniform(0, 1, (args.ood_size, 28, 28)).astype(np.float32)
    log(f"letters fonts: {len(info['letters']['fonts'])}")

    log("training")
    model = build_model(mean, std)
    n_params = sum(p.numel() for p in model.parameters())
    xfit, yfit = (xtr, ytr) if args.train_limit <= 0 else (xtr[:args.train_limit], ytr[:args.train_limit])
    t_train = time.time()
    history = train(model, xfit, yfit, xte, yte, args)
    train_time = time.time() - t_train
    if args.save_model:
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        atomic_write_bytes(args.save_model, buf.getvalue())

    log("extracting features")
    W = model.fc.weight.detach().numpy().astype(np.float32)
    b = model.fc.bias.detach().numpy().astype(np.float32)
    _, test_logits_full = extract(model, xte)
    test_acc_full = float((test_logits_full.argmax(1) == yte).mean())
    sets = {"id_train": extract(model, xtr[train_idx]), "id_test": extract(model, xte[test_idx])}
    for k, v in ood.items():
        sets["ood_" + k] = extract(model, v)

    # logits == features @ W.T + b, checked in float64 on the float32 arrays that are saved
    max_diff = 0.0
    for f, z in sets.values():
        ref = f.astype(np.float64) @ W.astype(np.float64).T + b.astype(np.float64)
        max_diff = max(max_diff, float(np.abs(ref - z.astype(np.float64)).max()))
    assert max_diff < 1e-4, max_diff
    log(f"logit check: max abs diff {max_diff:.3e}")

    # write arrays
    out = args.out
    save_npy(os.path.join(out, "fc_weight.npy"), W, np.float32)
    save_npy(os.path.join(out, "fc_bias.npy"), b, np.float32)
    save_npy(os.path.join(out, "id_train_indices.npy"), train_idx, np.int64)
    save_npy(os.path.join(out, "id_train_labels.npy"), ytr[train_idx], np.int64)
    save_npy(os.path.join(out, "id_test_indices.npy"), test_idx, np.int64)
    save_npy(os.path.join(out, "id_test_labels.npy"), yte[test_idx], np.int64)
    for name, (f, z) in sets.items():
        save_npy(os.path.join(out, f"{name}_features.npy"), f, np.float32)
        save_npy(os.path.join(out, f"{name}_logits.npy"), z, np.float32)
    atomic_write_bytes(os.path.join(out, "preview.png"), preview_png(
        [("id_test", xte[test_idx[:16]].astype(np.float32) / 255.0)] +
        [(k, v[:16]) for k, v in ood.items()]))

    # sanity statistics
    acc = {"id_train": float((sets["id_train"][1].argmax(1) == ytr[train_idx]).mean()),
           "id_test": float((sets["id_test"][1].argmax(1) == yte[test_idx]).mean())}
    fstats = {k: feature_stats(f) for k, (f, _) in sets.items()}
    f_id, z_id = sets["id_test"]
    ref = sets["id_train"][0]
    cos_id = max_cosine(f_id, ref)
    baselines = {}
    for k in ood:
        f, z = sets["ood_" + k]
        r = {"n": int(len(f))}
        r["msp_auroc"], r["msp_fpr95"] = auroc_fpr95(msp(z_id), msp(z))
        r["energy_auroc"], r["energy_fpr95"] = auroc_fpr95(energy(z_id), energy(z))
        r["maxcos_auroc"], r["maxcos_fpr95"] = auroc_fpr95(cos_id, max_cosine(f, ref))
        baselines[k] = r
        log(f"{k}: " + " ".join(f"{a}={v:.4f}" for a, v in r.items() if a != "n"))

    import PIL
    import sklearn
    import skimage
    st = {
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "args": {k: v for k, v in vars(args).items() if k not in ("out", "save_model")},
        "machine": machine_description(),
        "versions": {"torch": torch.__version__, "numpy": np.__version__,
                     "sklearn": sklearn.__version__, "skimage": skimage.__version__,
                     "PIL": PIL.__version__, "python": platform.python_version()},
        "debian_packages": {p: deb_version(p) for p in DEBIAN_PACKAGES},
        "fmnist_sha256": {n: sha256(os.path.join(FMNIST_DIR, n)) for n in sorted(os.listdir(FMNIST_DIR))},
        "norm_mean": mean, "norm_std": std, "n_params": int(n_params), "n_train_images": int(len(xfit)),
        "history": history, "test_acc_full": test_acc_full, "acc": acc,
        "logit_check_max_abs_diff": max_diff,
        "sizes": {k: int(len(v[0])) for k, v in sets.items()},
        "ood_names": list(ood), "ood_info": info,
        "feature_stats": fstats, "baselines": baselines,
        "train_time_s": round(train_time, 1),
        "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "class_names": CLASS_NAMES,
    }
    # wall time up to here (README/stats writing takes well under a second)
    st["wall_time_s"] = round(time.time() - t_start, 1)
    atomic_write_bytes(os.path.join(out, "stats.json"),
                       (json.dumps(st, indent=1) + "\n").encode("utf-8"))
    finish(out, st)
    log(f"done in {st['wall_time_s']:.0f} s; test accuracy {test_acc_full:.4f}; "
        f"total {human(st['total_bytes'])}")


def finish(out, st):
    """Lists the files in out and writes README.md from the statistics st."""
    files = []
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name)
        if not os.path.isfile(p) or name.startswith("."):
            continue
        if name.endswith(".npy"):
            a = np.load(p, mmap_mode="r")
            files.append({"name": name, "shape": "x".join(map(str, a.shape)), "dtype": a.dtype.str,
                          "bytes": os.path.getsize(p)})
        elif name in ("stats.json", "preview.png"):
            files.append({"name": name, "shape": "-", "dtype": "-", "bytes": os.path.getsize(p)})
    st["files"] = files
    st["total_bytes"] = 0
    write_readme(out, st)   # README first so its size is counted in the total below
    st["total_bytes"] = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out)
                            if os.path.isfile(os.path.join(out, n)) and not n.startswith("."))
    write_readme(out, st)


if __name__ == "__main__":
    main()
