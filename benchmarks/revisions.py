"""Run neuralmi of another revision beside this checkout: a detached git worktree (or a directory holding a
checkout), and one subprocess per run that imports the package from that directory, timed inside (the import
excluded), so two revisions are measured on the same machine in one benchmark."""

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNNER = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import neuralmi
data = np.load(sys.argv[2])
options = json.loads(sys.argv[5])
start = time.perf_counter()
r = neuralmi.run(data["x"], data["y"] if "y" in data else None, mode=sys.argv[7], units=sys.argv[6],
                 seed=int(sys.argv[3]), threads=int(sys.argv[4]), **options)
print(json.dumps({"mi": r.mi, "ci_low": r.ci_low, "ci_high": r.ci_high, "reliable": bool(r.reliable),
                  "reasons": list(r.reasons), "seconds": time.perf_counter() - start,
                  "fit_epochs": int(r.fits["n_epochs"].sum()), "fits": len(r.fits),
                  "dimensionality": getattr(r, "dimensionality", None),
                  "dimensionality_ci": list(getattr(r, "dimensionality_ci", ()) or ())}))
"""


@contextlib.contextmanager
def checkout(rev: str):
    """A directory with the package of `rev`: the directory itself when `rev` is one, else a temporary detached
    worktree of this repository (removed afterwards)."""
    if Path(rev).is_dir():
        yield Path(rev).resolve()
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rev"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True,
                       capture_output=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)


def run_mode(package_dir: Path, x, y, mode: str, seed: int = 0, threads: int = 2, units: str = "nats",
             options: dict | None = None) -> dict:
    """neuralmi.run(x, y, mode=mode) of the package in `package_dir`, in a fresh process (y may be None): the
    result's numbers, reasons, wall seconds of the call, fits and fit-epochs trained, and a dimensionality mode's
    answer."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "draw.npz"
        np.savez(data, x=x, **({} if y is None else {"y": y}))
        done = subprocess.run([sys.executable, "-c", RUNNER, str(package_dir), str(data), str(seed), str(threads),
                               json.dumps(options or {}), units, mode], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_rigorous(package_dir: Path, x, y, seed: int = 0, threads: int = 2, units: str = "nats",
                 options: dict | None = None) -> dict:
    """`run_mode` in rigorous mode."""
    return run_mode(package_dir, x, y, "rigorous", seed, threads, units, options)
