"""Wall time of estimate and rigorous mode on the 5000-sample, 5+5-D, 2-bit case, and of the rigorous fits
trained one at a time vs. as one stack. Writes benchmarks/results/speed.md. Usage: python benchmarks/speed.py
"""

import os
import platform
import time
from pathlib import Path

import pandas as pd
import torch

import neuralmi
from neuralmi.api import plan, prepare, summarise, train
from neuralmi.data.generators import correlated_gaussian
from neuralmi.options import make_options

OUT = Path(__file__).resolve().parent / "results" / "speed.md"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    x, y = correlated_gaussian(5000, 5, 5, 2.0, seed=0)
    est, t_est = timed(lambda: neuralmi.run(x, y, mode="estimate"))
    rig, t_rig = timed(lambda: neuralmi.run(x, y, mode="rigorous"))
    options = make_options({})
    xs, ys = prepare(x, y, options)
    fits_plan = plan(len(xs), "rigorous", options, 0)
    parts, t_one = timed(lambda: [train(xs, ys, fits_plan.iloc[[i]], options, "bits") for i in range(len(fits_plan))])
    one = summarise("rigorous", *(pd.concat(p, ignore_index=True) for p in zip(*parts)), options, "bits")
    lines = [
        f"# Speed: 5000 samples, 5+5 dims, 2 bits, default options ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads)",
        "",
        "| run | wall s | MI (bits) | 95% CI |",
        "|---|---|---|---|",
        f"| estimate (1 fit) | {t_est:.1f} | {est.mi:.3f} | [{est.ci_low:.3f}, {est.ci_high:.3f}] |",
        f"| rigorous, 55 fits as one stack | {t_rig:.1f} | {rig.mi:.3f} | [{rig.ci_low:.3f}, {rig.ci_high:.3f}] |",
        f"| rigorous, 55 fits one at a time | {t_one:.1f} | {one.mi:.3f} | [{one.ci_low:.3f}, {one.ci_high:.3f}] |",
        "",
        f"Stack speed-up: {t_one / t_rig:.1f}x.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
