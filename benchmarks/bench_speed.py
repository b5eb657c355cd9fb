"""Speed at the users' image sizes (issue 34): overhead, profile, default fits.

Parts, each appending JSON lines to benchmarks/results/speed.jsonl:

- ``--part overhead``: the library's seconds per step (epoch ``duration`` of
  ``history_``, first epoch skipped, over steps per epoch) beside a bare
  torch loop of the same fitted networks on batches of the same size, the
  same losses and Adam settings, in the memory layout the library trained
  in (benchmarks/_speed_loops.py), timed an epoch's worth of steps at a
  time; library and bare loop alternate turn by turn in one process.
  ``overhead`` is the ratio of the median epochs, minus 1 (a median, so
  that another process's burst on a shared machine weighs less); the
  means are recorded too. About 10 minutes on 2 cores.
- ``--part profile``: torch.profiler over short fits of each estimator at
  its defaults (``--steps`` optimizer steps, whole epochs), self-CPU time
  bucketed by op name and caller: forward convolutions, other ops, backward,
  optimizer, batch drawing/indexing/copies, augmentation, numpy<->torch,
  loss checks/progress, and python/other (wall time minus profiled ops).
  Approximate: the profiler adds its own cost per op, the first epoch's
  one-off costs are included, and a bucket is only as good as the op names.
  About 15 minutes on 2 cores for all six sizes.
- ``--part defaults``: wall time of default fits (the issue's targets);
  ``--cases`` picks some, since dcgan128 takes hours on older code.
- ``--report``: markdown tables of the results (mean +- std over turns, and
  the ratio B/A of paired runs, turn by turn).

``--code PATH`` measures the checkout at PATH (in a subprocess importing
gansampler from there); ``--pair A B`` alternates two checkouts per case and
turn (A, B, A, B ...). For example:

    python benchmarks/bench_speed.py --part overhead
    python benchmarks/bench_speed.py --part profile --sizes 28 128rgb
    python benchmarks/bench_speed.py --part defaults --cases dcgan_digits \\
        --pair /tmp/base . --label b8f319b
    python benchmarks/bench_speed.py --report
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings
from datetime import date, datetime
from pathlib import Path

import _speed_loops as loops
import numpy as np
import torch
import torch.nn.functional as F
from _common import RESULTS, ROOT, data_path, machine, mean_std

import gansampler
from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)

# Imports gansampler from the checkout in argv[1], past an editable install's
# finder (which would otherwise win over PYTHONPATH), then runs argv[2].
BOOT = (
    "import os, runpy, sys; code, script = sys.argv[1], sys.argv[2]; "
    "sys.meta_path[:] = [f for f in sys.meta_path if not "
    "getattr(f, '__module__', '').startswith('__editable__')]; "
    "sys.path[:0] = [code, os.path.dirname(os.path.abspath(script))]; "
    "sys.argv = sys.argv[2:]; runpy.run_path(script, run_name='__main__')"
)
SIZES = ("28", "28rgb", "64", "64rgb", "128", "128rgb")
OVERHEAD_SIZES = ("28", "64rgb", "128rgb")
# Library epochs per image side in the overhead part (the first is warm-up).
EPOCHS = {28: 6, 64: 3, 128: 2}
GANS = {"DCGANSampler": DCGANSampler, "InfoGANSampler": InfoGANSampler}
OVERHEAD = [
    *((name, s) for s in OVERHEAD_SIZES for name in GANS),
    ("FeatureSMOTESampler", "28"),
    *(("CNNClassifier", s) for s in OVERHEAD_SIZES),
]
PROFILED = {
    "DCGANSampler": lambda e: DCGANSampler(n_epochs=e, random_state=0),
    "InfoGANSampler": lambda e: InfoGANSampler(n_epochs=e, random_state=0),
    "FeatureGANSampler": lambda e: FeatureGANSampler(
        encoder_epochs=e, n_epochs=e, random_state=0
    ),
    "FeatureSMOTESampler": lambda e: FeatureSMOTESampler(
        encoder_epochs=e, random_state=0
    ),
    "VarianceTransferSampler": lambda e: VarianceTransferSampler(
        encoder_epochs=e, random_state=0
    ),
    "M2mSampler": lambda e: M2mSampler(
        classifier=CNNClassifier(n_epochs=e, random_state=0), random_state=0
    ),
    "CNNClassifier": lambda e: CNNClassifier(n_epochs=e, random_state=0),
    "SuperpixelSampler": lambda e: SuperpixelSampler(random_state=0),
}
DEFAULT_CASES = ("dcgan128", "featuresmote128", "dcgan_digits", "cnn_full")
DEFAULT_CASES += ("quickstart",)


def pneumonia(args, size="28", n=220):
    """The first ``n`` PneumoniaMNIST training images as uint8, upsampled
    bilinearly to ``size`` (``"128rgb"``: 128 px, grey stacked to RGB)."""
    with np.load(data_path(args.data)) as data:
        X, y = data["train_images"][:n], data["train_labels"][:n].ravel()
    side = int(size.removesuffix("rgb"))
    if side != X.shape[1]:
        x = torch.from_numpy(X)[:, None].float()
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
        X = x.round().clamp(0, 255)[:, 0].to(torch.uint8).numpy()
    if size.endswith("rgb"):
        X = np.repeat(X[..., None], 3, axis=-1)
    return X, y.astype(np.int64)


def digits():
    """The quickstart's training digits: classes 0 and 1 whole, a tenth of
    every other class (flat rows of 64 pixels)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    rng = np.random.RandomState(0)
    keep = np.concatenate(
        [
            idx
            if label in (0, 1)
            else rng.choice(idx, max(2, len(idx) // 10), replace=False)
            for label in np.unique(y)
            for idx in [np.flatnonzero(y == label)]
        ]
    )
    return X[keep], y[keep]


def steps_per_epoch(name, n):
    if name in ("CNNClassifier", "M2mSampler"):
        return math.ceil(n / max(16, min(128, n // 8)))
    return math.ceil(n / min(64, n))


def overhead(args, case):
    """One turn: the library's fit, then the bare loop of its networks."""
    name, size = case.split("@")
    X, y = pneumonia(args, size)
    epochs = args.epochs or EPOCHS[int(size.removesuffix("rgb"))]
    with loops.layout_probe() as seen:
        if name == "CNNClassifier":
            est = CNNClassifier(n_epochs=epochs, random_state=0).fit(X, y)
        elif name == "FeatureSMOTESampler":
            est = FeatureSMOTESampler(encoder_epochs=epochs, random_state=0)
            est.fit_resample(X, y)
        else:
            est = GANS[name](n_epochs=epochs, random_state=0).fit(X, y)
    last = seen.get("channels_last", False)
    if name == "CNNClassifier":
        history = est.history_
        per_epoch = len(loops.epoch_batches(len(y), est.batch_size_))
    else:
        history = getattr(est, "encoder_history_", None) or est.history_
        per_epoch = steps_per_epoch(name, len(y))
    steps = (len(history) - 1) * per_epoch
    library = [r["duration"] / per_epoch for r in history[1:]]
    if name == "CNNClassifier":
        total = epochs * per_epoch
        bare = loops.cnn_bare(est, X, y, steps, last, per_epoch, total_steps=total)
    elif name == "FeatureSMOTESampler":
        bare = loops.autoencoder_bare(est, X, y, steps, last, per_epoch)
    else:
        bare = loops.gan_bare(est, X, y, steps, last, per_epoch)
    return {
        "library_s_step": float(np.mean(library)),
        "bare_s_step": float(np.mean(bare)),
        "overhead": float(np.median(library) / np.median(bare) - 1),
        "library_epochs_s_step": library,
        "bare_epochs_s_step": bare,
        "steps": steps,
        "epochs": epochs,
        "channels_last": last,
        "device": f"{loops.device_of(est).type}-{torch.get_num_threads()}",
    }


def profile(args, case):
    name, size = case.split("@")
    X, y = pneumonia(args, size)
    epochs = max(1, math.ceil(args.steps / steps_per_epoch(name, len(y))))
    est = PROFILED[name](epochs)
    fit = (lambda: est.fit(X, y)) if name == "CNNClassifier" else None
    fit = fit or (lambda: est.fit_resample(X, y))
    modules = [m for k, m in sys.modules.items() if k.startswith("gansampler")]
    wall, seconds = loops.profile(fit, modules)
    return {"wall_s": wall, "epochs": epochs, "seconds": seconds}


def defaults(args, case, turn, code):
    """Wall seconds of one default fit, random_state=turn."""
    if case == "quickstart":
        script = str(Path(code) / "examples" / "quickstart.py")
        start = time.perf_counter()
        command = [sys.executable, "-c", BOOT, str(code), script]
        subprocess.run(command, cwd=code, check=True, stdout=subprocess.DEVNULL)
        return {"wall_s": time.perf_counter() - start}
    if case == "cnn_full":
        X, y = pneumonia(args, "28", n=None)
        fit = CNNClassifier(random_state=turn).fit
    elif case == "dcgan_digits":
        X, y = digits()
        fit = DCGANSampler(random_state=turn).fit_resample
    else:
        X, y = pneumonia(args, "128rgb")
        sampler = DCGANSampler if case == "dcgan128" else FeatureSMOTESampler
        fit = sampler(random_state=turn).fit_resample
    start = time.perf_counter()
    fit(X, y)
    return {"wall_s": time.perf_counter() - start}


def git(code, *command):
    done = subprocess.run(["git", "-C", str(code), *command], capture_output=True)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def device_tag():
    kind = "cuda" if torch.cuda.is_available() else "cpu"
    return f"{kind}-{torch.get_num_threads()}"


def measure(args, case, turn):
    """Run one case and turn in this process; append its line to --out."""
    code = Path(args.code_dir or ROOT).resolve()
    where = Path(gansampler.__file__).resolve()
    if not where.is_relative_to(code):
        sys.exit(f"gansampler was imported from {where}, not from {code}")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.part == "overhead":
            numbers = overhead(args, case)
        elif args.part == "profile":
            numbers = profile(args, case)
        else:
            numbers = defaults(args, case, turn, code)
    status = git(code, "status", "--porcelain", "--untracked-files=no")
    commit = git(code, "rev-parse", "--short", "HEAD") or "unknown"
    row = {
        "part": args.part,
        "case": case,
        "label": args.label[0] or commit,
        "turn": turn,
        **numbers,
        "commit": commit,
        "clean": status == "" if status is not None else None,
        "code": str(code),
        "pair": args.pair_id,
        "side": args.side or None,
        "vs": args.vs or None,
        "device": numbers.get("device", device_tag()),
        "machine": machine(),
        "date": date.today().isoformat(),
    }
    with Path(args.out).open("a") as f:
        f.write(json.dumps(row) + "\n")
    shown = {k: v for k, v in row.items() if k not in ("machine", "seconds")}
    print(json.dumps(shown), flush=True)


def spawn(args, case, turn, code, label, pair_id, side, vs):
    """Run one case and turn in a subprocess that imports ``code``'s gansampler."""
    command = [sys.executable, "-c", BOOT, str(code), __file__, "--worker"]
    command += ["--part", args.part, "--cases", case, "--turn", str(turn)]
    command += ["--label", label, "--out", str(args.out), "--code-dir", str(code)]
    command += ["--steps", str(args.steps), "--epochs", str(args.epochs or 0)]
    command += ["--pair-id", pair_id or "", "--side", side if pair_id else ""]
    command += ["--vs", vs or ""]
    command += ["--data", args.data] if args.data else []
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run(command, env=env, check=True)


def cases_of(args):
    if args.part == "defaults":
        return list(args.cases or DEFAULT_CASES)
    if args.cases:
        return list(args.cases)
    if args.part == "overhead":
        chosen = [f"{n}@{s}" for n, s in OVERHEAD]
    else:
        chosen = [f"{n}@{s}" for s in SIZES for n in PROFILED]
    keep = [c for c in chosen if c.split("@")[1] in (args.sizes or SIZES)]
    return [
        c for c in keep if not args.estimators or c.split("@")[0] in args.estimators
    ]


def load(path):
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


# ------------------------------------------------------------------ report

METRIC = {"overhead": "library_s_step", "profile": "wall_s", "defaults": "wall_s"}


def report(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["part"], r["case"], r["label"], r["device"]), []).append(r)
    parts = {}
    for (part, case, label, device), rs in groups.items():
        parts.setdefault(part, []).append((case, label, device, rs))
    if "overhead" in parts:
        print(
            "\n| case | code | device | library ms/step | bare ms/step | overhead | n |"
        )
        print("|---|---|---|---|---|---|---|")
        for case, label, device, rs in parts["overhead"]:
            lib = [1e3 * r["library_s_step"] for r in rs]
            bare = [1e3 * r["bare_s_step"] for r in rs]
            over = [100 * r["overhead"] for r in rs]
            print(
                f"| {case} | {label} | {device} | {mean_std(lib)} | {mean_std(bare)} "
                f"| {mean_std(over)} % | {len(rs)} |"
            )
    if "defaults" in parts:
        print("\n| case | code | device | wall s | n |\n|---|---|---|---|---|")
        for case, label, device, rs in parts["defaults"]:
            wall = mean_std([r["wall_s"] for r in rs])
            print(f"| {case} | {label} | {device} | {wall} | {len(rs)} |")
    by_size = {}
    for case, label, device, rs in parts.get("profile", []):
        name, size = case.split("@")
        by_size.setdefault(size, []).append((name, label, device, rs[-1]))
    for size in sorted(by_size, key=lambda s: (int(s.removesuffix("rgb")), s)):
        head = " | ".join(loops.BUCKETS)
        print(f"\n{size} px, % of wall time (latest run)\n")
        print(f"| estimator | code | device | wall s | {head} |")
        print("|---" * (4 + len(loops.BUCKETS)) + "|")
        for name, label, device, r in by_size[size]:
            shares = [100 * r["seconds"][b] / r["wall_s"] for b in loops.BUCKETS]
            cells = " | ".join(f"{v:.0f}" for v in shares)
            print(f"| {name} | {label} | {device} | {r['wall_s']:.1f} | {cells} |")
    ratios(rows)


def ratios(rows):
    """B/A of paired runs, turn by turn: one line per part, case and pair."""
    sides = {}
    for r in rows:
        if r.get("pair"):
            key = (r["part"], r["case"], r["device"], r["pair"])
            sides.setdefault(key, {}).setdefault(r["side"], {})[r["turn"]] = r
    if not sides:
        return
    print("\n| part | case | device | B / A | measure | B/A per turn | turns |")
    print("|---|---|---|---|---|---|---|")
    for (part, case, device, _), by_side in sides.items():
        a, b = by_side.get("A", {}), by_side.get("B", {})
        turns = sorted(set(a) & set(b))
        if not turns:
            continue
        metric = METRIC[part]
        values = [b[t][metric] / a[t][metric] for t in turns]
        names = f"{b[turns[0]]['label']} / {a[turns[0]]['label']}"
        print(
            f"| {part} | {case} | {device} | {names} | {metric} | "
            f"{mean_std(values)} | {len(values)} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["overhead", "profile", "defaults"])
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--sizes", nargs="+", choices=SIZES)
    parser.add_argument("--estimators", nargs="+", choices=list(PROFILED))
    parser.add_argument(
        "--cases", nargs="+", help="e.g. DCGANSampler@64rgb, quickstart"
    )
    parser.add_argument("--turns", type=int, help="default 3 (profile: 1)")
    parser.add_argument("--steps", type=int, default=8, help="profile: steps a fit")
    parser.add_argument("--epochs", type=int, help="overhead: library epochs")
    parser.add_argument("--code", help="checkout to measure (default: this one)")
    parser.add_argument("--pair", nargs=2, metavar=("PATH_A", "PATH_B"))
    parser.add_argument("--label", nargs="+", help="names of --code or --pair")
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=str(RESULTS / "speed.jsonl"))
    parser.add_argument("--force", action="store_true", help="redo what is done")
    for hidden in ("--worker", "--turn", "--code-dir", "--pair-id", "--side", "--vs"):
        kind = {"action": "store_true"} if hidden == "--worker" else {}
        parser.add_argument(hidden, help=argparse.SUPPRESS, **kind)
    args = parser.parse_args()
    args.out = Path(args.out)
    if args.report:
        report(load(args.out))
        return
    if args.worker:
        args.label, args.pair_id = args.label or ["?"], args.pair_id or None
        measure(args, args.cases[0], int(args.turn))
        return
    if args.part is None:
        parser.error("give --part or --report")
    codes = [Path(p).resolve() for p in (args.pair or [args.code or ROOT])]
    names = args.label or []
    labels = [
        names[i] if i < len(names) else git(c, "rev-parse", "--short", "HEAD") or c.name
        for i, c in enumerate(codes)
    ]
    turns = args.turns or (1 if args.part == "profile" else 3)
    pair_id = datetime.now().isoformat(timespec="seconds") if args.pair else None
    done = {
        (r["part"], r["case"], r["label"], r["device"], r["turn"], r.get("vs"))
        for r in load(args.out)
    }
    print(f"# {machine()} -> {args.out}", flush=True)
    partners = labels[::-1] if args.pair else [None]
    runs = list(zip("AB", codes, labels, partners, strict=False))
    for case in cases_of(args):
        for turn in range(turns):
            # A pair's turn is run whole (both sides) or not at all.
            keys = [(args.part, case, r[2], device_tag(), turn, r[3]) for r in runs]
            if all(k in done for k in keys) and not args.force:
                continue
            for side, code, label, vs in runs:
                if args.pair or args.code:
                    spawn(args, case, turn, code, label, pair_id, side, vs)
                else:
                    args.label, args.code_dir = [names[0] if names else None], None
                    args.pair_id = args.side = args.vs = None
                    measure(args, case, turn)


if __name__ == "__main__":
    main()
