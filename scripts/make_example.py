"""Regenerate resources/: the embedded examples the README's main command analyses.

example/: X and Y are 5-D correlated Gaussians (I = 2 bits exactly), Y's coordinates cubed (an invertible map,
so the MI stays 2 bits); 5000 samples, seed 2026.
recording/: 120 s of 16 spike trains and a 4-channel field potential at 100 Hz, both driven by one smooth
2-D latent; the potential follows the latent 0.1 s after the spikes do (seed 2026).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data.generators import correlated_gaussian, latent_spikes, transformed

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
RECORDING = {"duration": 120.0, "sample_rate": 100.0, "n_neurons": 16, "latent_dim": 2, "n_signal": 4,
             "timescale": 0.1, "delay": 0.1, "seed": 2026}


def make_example(out: Path) -> None:
    x, y = correlated_gaussian(5000, 5, 5, 2.0, units="bits", seed=2026)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "x.npy", x.astype(np.float32))
    np.save(out / "y.npy", transformed(y, "cube").astype(np.float32))


def make_recording(out: Path) -> None:
    spikes, lfp = latent_spikes(**RECORDING)
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"neuron": np.repeat(np.arange(len(spikes)), [len(t) for t in spikes]),
                          "time": np.concatenate(spikes)})
    table.to_parquet(out / "spikes.parquet", index=False)
    np.save(out / "lfp.npy", lfp.astype(np.float32))


if __name__ == "__main__":
    make_example(RESOURCES / "example")
    make_recording(RESOURCES / "recording")
