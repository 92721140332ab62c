"""The mode contract: what a mode must provide, what it may override, and what each part receives and returns.

A mode answers one question built on MI (one estimate, a corrected estimate, a scan over lags or embedding sizes,
a transfer entropy...). It is a subclass of `Mode` in its own module under `analysis/modes/`, registered by one
line in `analysis/modes/__init__.py`, with its own options in the options schema and named in `own_options`.
The shared machinery does the rest, the same for every mode:

1. `points(options, channels)`: the mode's points, each a small JSON-able dict of settings (a lag, a grid
   point, an embedding size and channel split, a term of a chain rule). `analysis/points.py` adds the
   permutation null's surrogate points and builds every point's samples (`point_samples`, cached by
   `sample_key`, rank-transformed per feature).
2. `plan(n, options, seed, point)`: the fits of one point on its n samples, as labels (gamma, repeat, subset,
   n_samples, seed) and `FitSpec`s (training and held-out indices, seed); `fit_gammas(options)` says the gamma
   of each planned fit before the data are read (the workflow groups the first round's training jobs by them).
3. Training: points whose samples have one shape and whose options agree train as one vectorised stack
   (`training.trainer.train_fits`); every fit gets a row of the fit table (`analysis/fits.py`).
4. `summarise(fits, curves, options, units)`: the result (an `MIResult`, or a subclass the mode defines with
   its answer) from the observed fits; `reported_column(options)` names the fit-table column it reports and
   `statistics(fits, options, units)` the statistic a permutation null compares, one row per point.
5. Rounds (optional): a mode whose later points are chosen from earlier results (network mode's greedy selection)
   says so by `in_rounds(options)`; `next_points(options, channels, fits)` then gives the next round's points
   from the fits of every round before, and steps 2-3 run again on them until it gives none. The first round is
   `points`; later rounds take no permutation null (the mode refuses one).

Every value a mode returns must be a function of its arguments (and the seed they carry): a fit trained in any
job, in any stack, gives the same numbers.
"""

from __future__ import annotations

import abc

import pandas as pd

from neuralmi.data.processing import Source, samples
from neuralmi.training.specs import FitSpec


class Mode(abc.ABC):
    """A mode: the required methods are abstract; the hooks below them have defaults that fit most modes.

    Class attributes declare what the shared machinery needs to know about the mode before any data are read.
    """

    name: str = ""
    """The `mode` argument of `neuralmi.run` and of a workflow analysis."""
    question: str = ""
    """The question it answers, in one line (the CLI's help, the documentation's table of modes)."""
    own_options: tuple = ()
    """The options only this mode takes (each has an entry in the options schema); set in any other mode they
    are an error."""
    x_alone: bool = False
    """Whether it may run on X alone (Y left out)."""
    takes_z: bool = False
    """Whether it needs a conditioning side Z (and only modes that take one may be given one)."""
    time_ordered: bool = False
    """Whether its samples are time points in order whatever the data: split 'auto' is then blocked and the
    null's 'auto' a circular shift."""
    channel_points: bool = False
    """Whether its points depend on the sides' channel counts (`points` then gets them; the workflow reads the
    dataset to plan its jobs)."""
    keeps_y: bool = False
    """Whether Y reaches the critic as given, so that a known entropy of Y (`y_entropy_nats`) applies."""
    brackets: bool = False
    """Whether its result is one MI value that a bracket (an upper bound trained beside it) can bound."""
    reference: bool = False
    """Whether its points are checked against the k-nearest-neighbour reference where that is dependable, and its
    fits against the linear-critic lower bound on their own splits."""
    peak: bool = False
    """Whether its headline is the largest of its points (a scan): the null's headline p is then the peak's,
    against each surrogate's largest point."""
    point_keys: tuple = ()
    """The columns of `to_frame()` that name a point of the mode's table (a lag, a pair...): the group level
    (`analysis/group.py`) pools each point across sessions; empty: the reported value alone."""
    point_noun: str = "points"
    """What its points are called in a finding ("lags", "pairs")."""
    null_default: str | None = None
    """The null's surrogates for `null_method: auto`; None: 'shift' for time-ordered samples, else 'permute'."""
    refused_nulls: dict = {"local": "'local' reorders X among samples with similar Z, so it needs conditional mode, "
                                    "not {mode!r}; use 'permute' or 'shift'"}
    """Null methods the mode refuses, each with the reason (formatted with `mode`, the mode's name)."""

    # The required methods.

    @abc.abstractmethod
    def points(self, options, channels: tuple | None) -> list[dict]:
        """The mode's points, in order. `channels`: (X's, Y's) channel counts when `channel_points`, else None."""

    @abc.abstractmethod
    def fit_gammas(self, options) -> list[int]:
        """The gamma of each fit `plan` makes for one point, in plan order (known before the data are read)."""

    @abc.abstractmethod
    def plan(self, n: int, options, seed: int, point: dict) -> tuple[list[dict], list[FitSpec]]:
        """The fits of one point with n samples: labels (gamma, repeat, subset, n_samples, seed) and FitSpecs."""

    @abc.abstractmethod
    def reported_column(self, options) -> str:
        """The fit-table column the mode reports: 'val_mi' (held-out) or 'train_mi' (training subset)."""

    @abc.abstractmethod
    def statistics(self, fits: pd.DataFrame, options, units: str) -> pd.DataFrame:
        """The permutation null's statistic: one row per tested point, its key columns and `statistic`."""

    @abc.abstractmethod
    def summarise(self, fits: pd.DataFrame, curves: pd.DataFrame, options, units: str):
        """The result (an `MIResult`) from the observed fits (a bracket's lower or upper fits alone) and their
        curves."""

    # Hooks: override where the default does not fit.

    def resolve(self, options, source: Source):
        """The options with the mode's own data-dependent defaults and checks (before the shared ones: split,
        gap, spike slots). Default: unchanged."""
        return options

    def point_options(self, options, point: dict):
        """The options one point trains with (a sweep's grid point, a dimensionality scan's embedding size).
        Default: the analysis's."""
        return options

    def point_samples(self, source: Source, point: dict, options, seed: int):
        """A point's (x, y) samples, rows aligned. Default: the processed sides as given."""
        return samples(source, options)

    def sample_key(self, point: dict) -> dict:
        """What a point's samples depend on: points with equal keys share one array pair. Default: the point."""
        return point

    def null_point(self, point: dict) -> bool:
        """Whether the permutation null tests this point (gives it surrogates). Default: every point."""
        return True

    def null_variants(self, point: dict) -> list[dict]:
        """The points whose surrogates make up this point's null, each given surrogates 1..K: the point itself
        where `null_point` (the default), or several variants (network mode: one per driver to rotate)."""
        return [point] if self.null_point(point) else []

    def surrogate(self, source: Source, point: dict, options, seed: int):
        """A surrogate point's (x, y) samples, for modes that break the dependence themselves (before any
        transform); None (the default): the observed point's arrays with Y's rows reordered
        (`null.surrogate_order`)."""
        return None

    def clean_rows(self, length: int, options) -> int | None:
        """How many leading rows of a point's samples the rank transform is fitted on. Default (None): all."""
        return None

    def keeps_terms(self, options) -> bool:
        """Whether fits keep their held-out per-sample terms (`Fit.val_terms`). Default: no."""
        return False

    def in_rounds(self, options) -> bool:
        """Whether the analysis trains in rounds, each chosen from the fits before it (`next_points`). Default: no."""
        return False

    def next_points(self, options, channels: tuple | None, fits: pd.DataFrame) -> list[dict]:
        """The next round's points, chosen from the observed fits of every earlier round (their fit table); none
        when the analysis is complete. `channels` as for `points`. Default: none (one round)."""
        return []

    def probed(self, spec: FitSpec, n: int, options) -> FitSpec:
        """A fit's spec with probes of its held-out set (`FitSpec.probes`; n: the point's rows). Default: none."""
        return spec
