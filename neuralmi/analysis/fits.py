"""Tables shared by the modes: the plan (one row per fit to train), the fits, and the per-epoch curves.

The plan carries each fit's labels and sample indices, so a fit can be trained anywhere (a notebook, one
workflow job) and its row of the fit table is the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuralmi.training.smoothing import smooth
from neuralmi.training.specs import FitSpec
from neuralmi.units import from_nats

LABEL_DOCS = {
    "fit_id": "the fit's number, in plan order",
    "point": "the point it belongs to (a lag, grid point, embedding dimension and split, pair, term, surrogate...)",
    "params": "the point's settings as JSON",
    "null": "0 for the data's fits, k for surrogate k of a permutation null",
    "bound": "the estimator the fit trains (the upper bound for a bracket's twins)",
    "gamma": "the number of disjoint subsets the data were cut into (1: all samples)",
    "repeat": "which repeat (partition, channel split or fresh seed)",
    "subset": "which of the gamma subsets (cross-fitted: which fold)",
    "n_samples": "samples in the fit's subset (training and held-out)",
    "seed": "the fit's seed (initialisation, batch order, held-out blocks)",
}
LABEL_COLUMNS = list(LABEL_DOCS)
PLAN_DOCS = {**LABEL_DOCS, "train": "sample indices of the training set", "val": "sample indices of the held-out set"}
PLAN_COLUMNS = list(PLAN_DOCS)
_OUTCOME_DOCS = {
    "n_train": "training samples",
    "n_val": "held-out samples",
    "eval_n": "the fewest held-out samples a held-out row is scored against (InfoNCE's ceiling is log eval_n)",
    "mi": "the mode's reported quantity (val_mi or train_mi, `estimate_on`)",
    "se": "the held-out standard error at the selected evaluation",
    "val_mi": "held-out value, smoothed, at the selected evaluation",
    "train_mi": "training-subset value, smoothed, at the selected evaluation",
    "bound_gap": "the bound's own measured bias on the held-out set at the selected evaluation",
    "best_epoch": "the selected evaluation's epoch (0-based)",
    "n_epochs": "epochs trained",
    "stopped_early": "whether its curve had stopped improving for `patience` evaluations when it finished (early, or at "
                     "max_epochs while patience_fraction kept it training)",
    "seconds": "wall time of the fit's stack (kept apart in timings.parquet when saved)",
    "device": "the device it trained on",
    "reference_mi": "the point's KSG estimate (few dimensions, independent samples; else NaN)",
    "reference_se": "its standard error",
    "linear_mi": "a held-out InfoNCE lower bound on the fit's own split with a linear-Gaussian critic fitted in closed "
                 "form (`neuralmi.reference.linear_bound`; modes with a reference, observed fits; else NaN)",
    "linear_se": "its standard error",
    "heavy_tails_x": "how many of X's features, before the rank transform, have a tail index below 1.5 (a Cauchy's "
                     "is 1) and one scale with another such feature (`neuralmi.data.arrays.shared_heavy_tails`; "
                     "modes with a reference, observed points, rank_transform on, at most 512 features, at least "
                     "100 samples; else NaN)",
    "heavy_tails_y": "the same for Y",
    "val_terms": "held-out per-sample terms of the selected evaluation in sample order, where a mode differences "
                 "fits sample by sample (else empty)",
    "probe_mi": "precision mode: each perturbed copy's held-out value (else empty)",
    "probe_se": "precision mode: their standard errors (else empty)",
}
FIT_COLUMNS = [
    "fit_id", "point", "params", "null", "bound", "gamma", "repeat", "subset", "n_samples", "n_train", "n_val",
    "eval_n", "seed", "mi", "se", "val_mi", "train_mi", "bound_gap", "best_epoch", "n_epochs", "stopped_early",
    "seconds", "device", "reference_mi", "reference_se", "linear_mi", "linear_se", "heavy_tails_x", "heavy_tails_y",
    "val_terms", "probe_mi", "probe_se",
]
FIT_DOCS = {column: {**LABEL_DOCS, **_OUTCOME_DOCS}[column] for column in FIT_COLUMNS}
SAVED_FIT_COLUMNS = [c for c in FIT_COLUMNS if c != "seconds"]  # a saved fit table: wall times are kept apart
CURVE_DOCS = {
    "fit_id": "the fit",
    "epoch": "the evaluated epoch (0-based)",
    "val_mi": "held-out value",
    "val_se": "its standard error",
    "train_mi": "training-subset value",
    "val_smoothed": "the smoothed held-out curve that stopping and selection follow",
    "val_gap": "the bound's measured bias on the held-out set",
    "train_gap": "the same on the training samples scored",
}
CURVE_COLUMNS = list(CURVE_DOCS)


def plain(value):
    """A numpy scalar as the Python value (JSON-ready)."""
    return value.item() if hasattr(value, "item") else value


def plan_table(labels: list[dict], specs: list[FitSpec], first: int = 0) -> pd.DataFrame:
    """One row per planned fit: labels (LABEL_COLUMNS, with fit_id in plan order from `first`) and its sample
    indices."""
    rows = [{"fit_id": i, **lab, "train": spec.train.tolist(), "val": spec.val.tolist()}
            for i, (lab, spec) in enumerate(zip(labels, specs), start=first)]
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def plan_specs(plan: pd.DataFrame) -> list[FitSpec]:
    """The FitSpecs of a plan table's rows."""
    return [FitSpec(np.asarray(r.train, dtype=np.int64), np.asarray(r.val, dtype=np.int64), int(r.seed))
            for r in plan.itertuples()]


def reported_quantity(options, mode_default: str) -> str:
    """'val_mi' or 'train_mi': the column options.estimate_on names, or the mode's own choice for 'auto'."""
    choice = mode_default if options.estimate_on == "auto" else options.estimate_on
    return "val_mi" if choice == "validation" else "train_mi"


def held_out_by_default(options) -> str:
    """`reported_quantity` of a mode that reports held-out values unless estimate_on says otherwise (a mode's
    `reported_column`)."""
    return reported_quantity(options, "validation")


def training_by_default(options) -> str:
    """`reported_quantity` of a mode that reports the training subset unless estimate_on says otherwise."""
    return reported_quantity(options, "train")


def fit_table(plan: pd.DataFrame, fits, units: str, device: str, references: dict, linear: list,
              tails: dict) -> pd.DataFrame:
    """One row per fit: the plan's labels and the fit's outcome (`mi` is left for the mode to choose), the
    device it trained on, its point's reference estimate and error (`references`: point -> nats), its own
    linear-critic bound and error (`linear`: one (nats, nats) per fit) and its point's heavy-tailed features
    (`tails`: point -> (X's, Y's))."""
    rows = []
    for labels, fit, (linear_mi, linear_se) in zip(plan[LABEL_COLUMNS].to_dict("records"), fits, linear):
        reference_mi, reference_se = references[labels["point"]]
        heavy_x, heavy_y = tails[labels["point"]]
        rows.append({
            **labels,
            "n_train": fit.n_train,
            "n_val": fit.n_val,
            "eval_n": fit.eval_n,
            "mi": np.nan,
            "se": from_nats(fit.se, units),
            "val_mi": from_nats(fit.val_mi, units),
            "train_mi": from_nats(fit.train_mi, units),
            "bound_gap": from_nats(fit.bound_gap, units),
            "best_epoch": fit.best_epoch,
            "n_epochs": fit.n_epochs,
            "stopped_early": fit.stopped_early,
            "seconds": fit.seconds,
            "device": device,
            "reference_mi": from_nats(reference_mi, units),
            "reference_se": from_nats(reference_se, units),
            "linear_mi": from_nats(linear_mi, units),
            "linear_se": from_nats(linear_se, units),
            "heavy_tails_x": heavy_x,
            "heavy_tails_y": heavy_y,
            "val_terms": np.empty(0) if fit.val_terms is None else from_nats(fit.val_terms.astype(np.float64), units),
            "probe_mi": np.empty(0) if fit.probe_mi is None else from_nats(fit.probe_mi, units),
            "probe_se": np.empty(0) if fit.probe_se is None else from_nats(fit.probe_se, units),
        })
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def with_reported(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """The fit table with `mi` set to the reported quantity's column."""
    return table.assign(mi=table[column]).sort_values("fit_id", ignore_index=True)


def curve_table(plan: pd.DataFrame, fits, options, units: str) -> pd.DataFrame:
    """Per-epoch validation and training-subset MI of every fit, with the smoothed validation curve."""
    frames = []
    for fit_id, fit in zip(plan["fit_id"], fits):
        frames.append(pd.DataFrame({
            "fit_id": fit_id,
            "epoch": fit.eval_epochs,
            "val_mi": from_nats(fit.val_curve, units),
            "val_se": from_nats(fit.val_se_curve, units),
            "train_mi": from_nats(fit.train_curve, units),
            "val_smoothed": from_nats(smooth(fit.val_curve, options.median_window, options.smoothing_sigma), units),
            "val_gap": from_nats(fit.val_gap_curve, units),
            "train_gap": from_nats(fit.train_gap_curve, units),
        }))
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]
