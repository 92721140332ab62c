"""Named benchmark tasks with known MI: data, not code, so any estimator can be run over all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from neuralmi.data.generators import correlated_gaussian, latent_observation, transformed


@dataclass(frozen=True)
class Task:
    """A sampler of (x, y) with known MI in bits."""

    name: str
    mi: float
    dim_x: int
    dim_y: int
    transform: str | None = None
    latent_dim: int | None = None
    extra: dict = field(default_factory=dict)

    def sample(self, n: int, seed: int = 0):
        if self.latent_dim:
            return latent_observation(n, self.latent_dim, self.dim_x, self.dim_y, self.mi, "bits", seed)
        x, y = correlated_gaussian(n, self.dim_x, self.dim_y, self.mi, "bits", seed)
        if self.transform:
            x, y = transformed(x, self.transform), transformed(y, self.transform)
        return x, y


TASKS = [
    Task("gauss-1d-1bit", 1.0, 1, 1),
    Task("gauss-5d-0bit", 0.0, 5, 5),
    Task("gauss-5d-0.5bit", 0.5, 5, 5),
    Task("gauss-5d-2bit", 2.0, 5, 5),
    Task("gauss-5d-4bit", 4.0, 5, 5),
    Task("gauss-5d-8bit", 8.0, 5, 5),
    Task("gauss-20d-2bit", 2.0, 20, 20),
    Task("cubed-5d-2bit", 2.0, 5, 5, transform="cube"),
    Task("asinh-5d-2bit", 2.0, 5, 5, transform="asinh"),
    Task("latent-3d-in-50d-2bit", 2.0, 50, 50, latent_dim=3),
]


def task(name: str) -> Task:
    """The task of that name."""
    for t in TASKS:
        if t.name == name:
            return t
    raise KeyError(f"no task named {name!r}; known: {[t.name for t in TASKS]}")
