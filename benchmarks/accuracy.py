"""Truth vs. estimate vs. interval over the known-MI task suite, beside the classical references.

For each task: neuralmi rigorous mode with default options (extrapolating the training-subset quantity), the
same fits extrapolated with the held-out quantity instead, estimate mode (held-out quantity), KSG (k=3) and the
Gaussian estimator.
Prints a table and writes it to benchmarks/results/accuracy.md. Usage: python benchmarks/accuracy.py [N]
"""

import sys
import time
from pathlib import Path

import neuralmi
from neuralmi.analysis.extrapolation import extrapolate
from neuralmi.data.tasks import TASKS
from neuralmi.reference import gaussian_mi, ksg_mi

OUT = Path(__file__).resolve().parent / "results" / "accuracy.md"


def row(task, n: int, seed: int = 0) -> dict:
    x, y = task.sample(n, seed)
    start = time.perf_counter()
    rig = neuralmi.run(x, y, mode="rigorous", seed=seed)
    seconds = time.perf_counter() - start
    held_out = extrapolate(rig.fits.assign(mi=rig.fits["val_mi"]), 0.1, 5, 0.95)
    est = neuralmi.run(x, y, mode="estimate", seed=seed)
    return {
        "task": task.name,
        "truth": task.mi,
        "rigorous": f"{rig.mi:.3f} [{rig.ci_low:.3f}, {rig.ci_high:.3f}]",
        "covered": rig.ci_low <= task.mi <= rig.ci_high,
        "reliable": rig.reliable,
        "rigorous, held-out quantity": f"{held_out.mi:.3f} [{held_out.ci_low:.3f}, {held_out.ci_high:.3f}]",
        "estimate": f"{est.mi:.3f}",
        "KSG": f"{ksg_mi(x, y):.3f}",
        "Gaussian": f"{gaussian_mi(x, y):.3f}",
        "rigorous s": f"{seconds:.0f}",
        "err train": rig.mi - task.mi,
        "err held-out": held_out.mi - task.mi,
    }


def main(n: int = 5000) -> None:
    rows = []
    for task in TASKS:
        rows.append(row(task, n))
        print({k: v for k, v in rows[-1].items() if not k.startswith("err")}, flush=True)
    columns = [k for k in rows[0] if not k.startswith("err")]
    lines = [f"# Accuracy, N = {n} samples per task, seed 0, default options (bits)", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    mean_abs = {q: sum(abs(r[f"err {q}"]) for r in rows) / len(rows) for q in ("held-out", "train")}
    lines += ["", f"Mean |error| of the rigorous estimate: held-out quantity {mean_abs['held-out']:.3f} bits, "
              f"training-subset quantity {mean_abs['train']:.3f} bits."]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
