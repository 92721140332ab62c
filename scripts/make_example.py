"""Regenerate resources/: the embedded examples the README's main command analyses.

example/: X and Y are 5-D correlated Gaussians (I = 2 bits exactly), Y's coordinates cubed (an invertible map,
so the MI stays 2 bits); 5000 samples, seed 2026.
recording/: 120 s of 16 spike trains and a 4-channel field potential at 100 Hz, both driven by one smooth
2-D latent; the potential follows the latent 0.1 s after the spikes do (seed 2026).
study/: a study of 2 mice x 2 sessions, one NWB file each (sub-<mouse>/sub-<mouse>_ses-<n>.nwb), as a lab's
pipeline writes them: 60 s of 12 sorted units (8 in CA1, 4 in CA3; unit ids 101...), a 4-channel LFP (an
ElectricalSeries in processing/ecephys) following the units' latent 0.1 s later with noise that differs between
sessions, the animal's speed (processing/behavior), and 10 trials of 5 s.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data.generators import correlated_gaussian, latent_spikes, transformed
from neuralmi.data.nwb import write_nwb

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

STUDY = {"duration": 60.0, "sample_rate": 100.0, "n_neurons": 12, "latent_dim": 2, "n_signal": 4, "timescale": 0.1,
         "delay": 0.1}
SESSIONS = {("01", "1"): 0.4, ("01", "2"): 0.6, ("02", "1"): 0.5, ("02", "2"): 0.8}  # LFP noise per session


def make_study(out: Path) -> None:
    for k, ((mouse, session), noise) in enumerate(SESSIONS.items()):
        spikes, lfp = latent_spikes(**STUDY, noise=noise, seed=2026 + k)
        speed = np.convolve(np.abs(lfp[:, 0]), np.ones(50) / 50, mode="same") * 10
        write_nwb(out / f"sub-{mouse}" / f"sub-{mouse}_ses-{session}.nwb",
                  spikes={101 + i: t for i, t in enumerate(spikes)},
                  series={"processing/ecephys/LFP/lfp": (lfp.astype(np.float32), STUDY["sample_rate"]),
                          "processing/behavior/BehavioralTimeSeries/speed": (speed.astype(np.float32),
                                                                             STUDY["sample_rate"])},
                  units_columns={"location": ["CA1"] * 8 + ["CA3"] * 4},
                  trials=[(6 * i + 0.5, 6 * i + 5.5) for i in range(10)], subject_id=f"mouse{mouse}",
                  session_id=session)


if __name__ == "__main__":
    make_example(RESOURCES / "example")
    make_recording(RESOURCES / "recording")
    make_study(RESOURCES / "study")
