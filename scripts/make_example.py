"""Regenerate resources/example/: the embedded example the README's main command analyses.

X and Y are 5-D correlated Gaussians (I = 2 bits exactly), Y's coordinates cubed (an invertible map, so the
MI stays 2 bits); 5000 samples, seed 2026.
"""

from pathlib import Path

import numpy as np

from neuralmi.data.generators import correlated_gaussian, transformed

OUT = Path(__file__).resolve().parents[1] / "resources" / "example"

if __name__ == "__main__":
    x, y = correlated_gaussian(5000, 5, 5, 2.0, units="bits", seed=2026)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "x.npy", x.astype(np.float32))
    np.save(OUT / "y.npy", transformed(y, "cube").astype(np.float32))
