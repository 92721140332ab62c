"""The fixed CPU kernel paths (neuralmi/kernels.py) against the ones torch chooses by itself, side by side in one run:
wall time of a few standard runs, and whether the same run twice gives the same bits.

Each run is its own process (the paths are read once per process), 2 torch threads, timed inside (import
excluded). "native" (NEURALMI_KERNELS=native): what torch and MKL pick for this CPU, MKL in its default mode;
"fixed": neuralmi's defaults (MKL_CBWR=AVX2,STRICT, ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2).

Writes benchmarks/results/kernels.md. Usage: python benchmarks/kernels.py [--repeats 2]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "kernels.md"
PATHS = {"native": {"NEURALMI_KERNELS": "native"}, "fixed": {}}
RUNNER = """
import json, sys, time
import neuralmi
from neuralmi import kernels
from neuralmi.data.generators import correlated_gaussian, population
case = sys.argv[1]
if case == "dimensionality":
    x, y, kwargs = population(4000, 12, latent_dim=2, noise=0.3, seed=1), None, {"mode": "dimensionality"}
else:
    x, y = correlated_gaussian(5000, 5, 5, 2.0, seed=0)
    kwargs = {"rigorous": {"mode": "rigorous"}, "flo": {"bound": "flo"}, "joint": {"critic": "joint"}}[case]
start = time.perf_counter()
r = neuralmi.run(x, y, seed=0, threads=2, progress=False, **kwargs)
print(json.dumps({"seconds": time.perf_counter() - start, "mi": repr(r.mi), "paths": kernels.in_use()}))
"""
CASES = ("rigorous", "flo", "joint", "dimensionality")


def run(case: str, path: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")}
    done = subprocess.run([sys.executable, "-c", RUNNER, case], env={**env, **PATHS[path], "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for case in CASES:
        for path in PATHS:
            runs = [run(case, path) for _ in range(args.repeats)]
            rows.append({"case": case, "path": path, "seconds": [round(r["seconds"], 2) for r in runs],
                         "same bits": len({r["mi"] for r in runs}) == 1, "mi": runs[0]["mi"],
                         "kernels": runs[0]["paths"]})
            print(rows[-1], flush=True)
    lines = [f"# Kernel paths: fixed against native ({platform.processor() or platform.machine()}, {os.cpu_count()} "
             f"cores, 2 torch threads, {args.repeats} runs each)", "",
             "| case | paths | seconds per run | same bits run to run | MI (bits) | ATen, MKL mode |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['case']} | {r['path']} | {', '.join(map(str, r['seconds']))} | {r['same bits']} | {r['mi']} | "
              f"{r['kernels']['ATEN_CPU_CAPABILITY']}, {r['kernels']['MKL_CBWR']} |" for r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
