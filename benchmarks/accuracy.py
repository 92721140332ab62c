"""Truth vs. estimate vs. interval over the known-MI task suite (neuralmi/data/tasks.py), rigorous mode with
default options, this checkout beside an earlier revision (the old protocol) run on the same draws, and the
Gaussian and KSG references.

For each protocol: mean |error|, mean signed error, coverage of the interval, misses flagged unreliable,
correct results flagged anyway, mean half-width and wall time, over all tasks and per family (nats).
Each run is its own subprocess with 2 torch threads, timed inside (import excluded; benchmarks/revisions.py).
Writes benchmarks/results/accuracy.md and the table of every run as accuracy.csv.

Each task's draw has its own seed (`draw_seed`), so the runs are independent draws.

With --new-options, the new protocol is the new revision with those options (JSON) and the old one, unless
--old-rev says otherwise, the new revision with its defaults; --out names the report (default accuracy.md).

With --from-csv, the report is rebuilt from a table an earlier run wrote (the same arguments name its protocols),
without running anything.

Usage: python benchmarks/accuracy.py [--old-rev REV] [--new-rev REV] [--new-options JSON] [--seeds 0,1] [--n 5000]
[--out FILE] [--from-csv FILE]
"""

import argparse
import ast
import contextlib
import json
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data.tasks import TASKS
from neuralmi.reference import gaussian_mi, ksg_mi
from revisions import checkout, run_rigorous

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "accuracy.md"
KSG_MAX_DIMS = 20


def measure(protocols: dict, seeds: list[int], n: int) -> pd.DataFrame:
    """Every task's draw at every seed under each protocol (name: (package directory, options))."""
    rows = []
    for seed in seeds:
        for task in TASKS:
            x, y = task.sample(n, draw_seed(task.name, seed))
            row = {"task": task.name, "family": task.family, "seed": seed, "truth": task.mi,
                   "Gaussian": gaussian_mi(x, y, "nats"),
                   "KSG": ksg_mi(x, y, units="nats") if task.dim_x + task.dim_y <= KSG_MAX_DIMS else np.nan}
            for name, (package, options) in protocols.items():
                r = run_rigorous(package, x, y, seed, options=options)
                row.update({f"{name} {k}": v for k, v in r.items() if k != "fit_epochs"})
            rows.append(row)
            print(" | ".join(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()
                             if "reasons" not in k), flush=True)
    return pd.DataFrame(rows)


def draw_seed(name: str, seed: int) -> int:
    """The seed of a task's draw: independent across tasks, so that tasks built on the same sampler (a Gaussian
    and its monotone transforms) are not one draw counted several times in the coverage."""
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode())]).generate_state(1)[0])


def scores(table: pd.DataFrame, name: str) -> dict:
    err = table[f"{name} mi"] - table["truth"]
    covered = (table[f"{name} ci_low"] <= table["truth"]) & (table["truth"] <= table[f"{name} ci_high"])
    flagged = ~table[f"{name} reliable"].astype(bool)
    return {"protocol": name, "runs": len(table), "mean |error|": err.abs().mean(), "mean signed error": err.mean(),
            "coverage": covered.mean(), "misses": int((~covered).sum()),
            "misses flagged": int((~covered & flagged).sum()), "covered but flagged": int((covered & flagged).sum()),
            "mean half-width": ((table[f"{name} ci_high"] - table[f"{name} ci_low"]) / 2).mean(),
            "wall s (sum)": table[f"{name} seconds"].sum()}


def identical(table: pd.DataFrame, old: str, new: str) -> str:
    """How many runs gave the same estimate, interval, verdict and reasons under both protocols, to the last bit."""
    columns = ["mi", "ci_low", "ci_high", "reliable", "reasons"]
    same = pd.concat([table[f"{old} {c}"].astype(str) == table[f"{new} {c}"].astype(str) for c in columns], axis=1)
    return (f"Runs identical to the last bit under both protocols (estimate, interval, verdict and reasons): "
            f"{int(same.all(axis=1).sum())} of {len(table)}.")


def markdown(frame: pd.DataFrame) -> list[str]:
    cells = frame.map(lambda v: f"{v:.3f}" if isinstance(v, float) else str(v))
    return ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)] + \
        ["| " + " | ".join(r) + " |" for r in cells.to_numpy().tolist()]


def report(table: pd.DataFrame, names: list[str], header: str) -> str:
    lines = [header, "", "## Summary (nats)", ""]
    lines += markdown(pd.DataFrame([scores(table, n) for n in names]))
    if len(names) == 2:
        lines += ["", identical(table, *names)]
    lines += ["", "## By family: mean signed error / coverage / mean half-width / misses flagged of misses", ""]
    fam = []
    for family, part in table.groupby("family", sort=False):
        entry = {"family": family, "runs": len(part)}
        for n in names:
            s = scores(part, n)
            entry[n] = (f"{s['mean signed error']:+.3f} / {s['coverage']:.2f} / {s['mean half-width']:.3f} / "
                        f"{s['misses flagged']} of {s['misses']}")
        fam.append(entry)
    lines += markdown(pd.DataFrame(fam))
    lines += ["", "## Every run", ""]
    shown = table[["task", "seed", "truth", "Gaussian", "KSG"]].copy()
    for n in names:
        shown[n] = [f"{m:.3f} [{lo:.3f}, {hi:.3f}]{'' if lo <= t <= hi else ' MISS'}{'' if ok else ' (flagged)'}"
                    for m, lo, hi, t, ok in zip(table[f"{n} mi"], table[f"{n} ci_low"], table[f"{n} ci_high"],
                                                table["truth"], table[f"{n} reliable"])]
    lines += markdown(shown)
    lines += ["", "## Reasons given (new protocol)", ""]
    for r in table.to_dict("records"):
        if r[f"{names[-1]} reasons"]:
            lines.append(f"- {r['task']} (seed {r['seed']}): " + "; ".join(r[f"{names[-1]} reasons"]))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old-rev", help="git revision (or a checkout's directory) of the old protocol")
    parser.add_argument("--new-rev", help="revision (or directory) of the new protocol; default: this working tree")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--new-options", type=json.loads, default={}, help="options of the new protocol (JSON)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--from-csv", type=Path, help="rebuild the report from this table instead of running")
    args = parser.parse_args()
    if args.from_csv:
        table = pd.read_csv(args.from_csv)
        protocols = [n for n in ("old", "new") if f"{n} mi" in table]
        for n in protocols:
            table[f"{n} reasons"] = table[f"{n} reasons"].map(ast.literal_eval)
    else:
        table, protocols = run_protocols(args, [int(s) for s in args.seeds.split(",")])
    here = args.new_rev or subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                          capture_output=True, text=True).stdout.strip() + " (+ working tree)"
    revs = {"new": here + (f" with {json.dumps(args.new_options)}" if args.new_options else "")}
    if "old" in protocols:
        revs["old"] = args.old_rev or here
    which = "options as below" if args.new_options else "default options"
    seeds = ",".join(str(s) for s in sorted(table["seed"].unique()))
    header = (f"# Accuracy: rigorous mode, {which}, N = {args.n}, seeds {seeds}, {len(TASKS)} tasks, "
              f"{time.strftime('%Y-%m-%d')}\n\nProtocols: " + ", ".join(f"{k} = {v}" for k, v in revs.items()) +
              ". Truth, estimates and intervals in nats; a miss is an interval that does not hold the truth.")
    text = report(table, list(protocols), header)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    table.to_csv(args.out.with_suffix(".csv"), index=False)


def run_protocols(args, seeds: list[int]) -> tuple[pd.DataFrame, list[str]]:
    """Every draw under the protocols the arguments name: the table and the protocols' names."""
    with contextlib.ExitStack() as stack:
        new = stack.enter_context(checkout(args.new_rev)) if args.new_rev else ROOT
        protocols = {"old": (stack.enter_context(checkout(args.old_rev)), {})} if args.old_rev else {}
        if args.new_options and not args.old_rev:
            protocols["old"] = (new, {})
        protocols["new"] = (new, args.new_options)
        return measure(protocols, seeds, args.n), list(protocols)


if __name__ == "__main__":
    main()
