"""Tables shared by the modes: the plan (one row per fit to train), the fits, and the per-epoch curves.

The plan carries each fit's labels and sample indices, so a fit can be trained anywhere (a notebook, one
workflow job) and its row of the fit table is the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuralmi.bounds import KNOWN_ENTROPY, BarberAgakov, DifferenceOfEntropies, InfoNCE
from neuralmi.training.smoothing import smooth
from neuralmi.training.trainer import FitSpec
from neuralmi.units import from_nats

LABEL_DOCS = {
    "fit_id": "the fit's number, in plan order",
    "point": "the point it belongs to (a lag, grid point, embedding dimension and split, pair, term, surrogate...)",
    "params": "the point's settings as JSON",
    "null": "0 for the data's fits, k for surrogate k of a permutation null",
    "bound": "the estimator the fit trains (the upper bound for a bracket's twins)",
    "gamma": "the number of disjoint subsets the data were cut into (1: all samples)",
    "repeat": "which repeat (partition, channel split or fresh seed)",
    "subset": "which of the gamma subsets",
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
    "stopped_early": "whether patience ran out before max_epochs",
    "seconds": "wall time of the fit's stack (kept apart in timings.parquet when saved)",
    "device": "the device it trained on",
    "reference_mi": "the point's KSG estimate (few dimensions, independent samples; else NaN)",
    "reference_se": "its standard error",
    "val_terms": "held-out per-sample terms of the selected evaluation in sample order, where a mode differences "
                 "fits sample by sample (else empty)",
    "probe_mi": "precision mode: each perturbed copy's held-out value (else empty)",
    "probe_se": "precision mode: their standard errors (else empty)",
}
FIT_COLUMNS = [
    "fit_id", "point", "params", "null", "bound", "gamma", "repeat", "subset", "n_samples", "n_train", "n_val",
    "eval_n", "seed", "mi", "se", "val_mi", "train_mi", "bound_gap", "best_epoch", "n_epochs", "stopped_early",
    "seconds", "device", "reference_mi", "reference_se", "val_terms", "probe_mi", "probe_se",
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


def plan_table(labels: list[dict], specs: list[FitSpec]) -> pd.DataFrame:
    """One row per planned fit: labels (LABEL_COLUMNS, with fit_id in plan order) and its sample indices."""
    rows = [{"fit_id": i, **lab, "train": spec.train.tolist(), "val": spec.val.tolist()}
            for i, (lab, spec) in enumerate(zip(labels, specs))]
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


def fit_table(plan: pd.DataFrame, fits, units: str, device: str, references: dict) -> pd.DataFrame:
    """One row per fit: the plan's labels and the fit's outcome (`mi` is left for the mode to choose), the
    device it trained on, and its point's reference estimate and error (`references`: point -> nats)."""
    rows = []
    for labels, fit in zip(plan[LABEL_COLUMNS].to_dict("records"), fits):
        reference_mi, reference_se = references[labels["point"]]
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


def fit_warnings(table: pd.DataFrame, bound_name: str, units: str) -> list[str]:
    """Reasons to distrust the fits themselves, shared by every mode."""
    reasons = []
    if not np.isfinite(table[["val_mi", "train_mi", "se"]].to_numpy(float)).all():
        reasons.append("a fit's MI is not finite (the critic diverged): try infonce, smile or a lower learning_rate")
    ran_out = ~table["stopped_early"].to_numpy(bool)
    on_most_data = (table["gamma"] == table["gamma"].min()).to_numpy()
    if ran_out.sum() > len(table) / 2 or ran_out[on_most_data].all():
        reasons.append("most fits, or all fits on the most data (the smallest gamma), reached max_epochs before "
                       "their validation curve peaked: the critic is still learning; raise max_epochs")
    if bound_name in KNOWN_ENTROPY:
        reasons += entropy_warnings(table, units)
    ceiling = from_nats(np.log(table["eval_n"].to_numpy(float)), units)
    if bound_name == "infonce" and (table["val_mi"].to_numpy() > 0.8 * ceiling).any():
        reasons.append(
            "an InfoNCE estimate exceeds 80% of its log(n) ceiling (n: the held-out samples each is scored "
            "against): the estimate is likely capped; use more samples or a larger eval_block_size"
        )
    return reasons


def entropy_warnings(table: pd.DataFrame, units: str) -> list[str]:
    """Barber-Agakov: a reason when a fit's `bound_gap`, y_entropy_nats + mean log q(y) on its held-out samples,
    lies more than two of its held-out standard errors above 0. The learned marginal's cross-entropy cannot be
    below the true entropy, so the given entropy is then too high, and every value with it."""
    excess = table["bound_gap"].to_numpy(float) - 2 * table["se"].to_numpy(float)
    if not np.nanmax(excess, initial=-np.inf) > 0:
        return []
    worst = float(np.nanmax(table["bound_gap"].to_numpy(float)))
    return [f"y_entropy_nats lies {worst:.3f} {units} above the cross-entropy of the learned marginal density of Y, "
            f"which cannot be below the true entropy: the given entropy is too high (check its units and that it "
            f"is the entropy of Y as given), and the estimate too high by at least as much"]


def bias_warnings(table: pd.DataFrame, bound, half_width: float, units: str) -> list[str]:
    """Reasons to distrust a held-out value whose bound's own bias, measured at the selected evaluation
    (`bound_gap`), is larger than its interval's half-width (largest over the fits). An upper bound's gap is the
    width of its critic's own bracket, no reason to distrust it; Barber-Agakov's checks its entropy
    (`entropy_warnings`, every mode)."""
    gap = table["bound_gap"].to_numpy(float)
    if bound.direction == "upper" or isinstance(bound, BarberAgakov) or not np.isfinite(gap).any():
        return []
    if isinstance(bound, DifferenceOfEntropies):
        worst = float(gap[np.nanargmax(np.abs(gap))])
        if abs(worst) <= half_width:
            return []
        if worst < 0:
            return [f"the difference of entropies lies {-worst:.3f} {units} below the Donsker-Varadhan lower bound of "
                    f"its own densities, more than the interval's half-width: it under-estimates the MI by at least "
                    f"that much (q(y) is too high where the conditionals put mass); try critic 'flow', more "
                    f"mixture_components or the bound l1out"]
        return [f"the difference of entropies lies {worst:.3f} {units} above the Donsker-Varadhan lower bound of its "
                f"own densities, more than the interval's half-width: q(y) is too low where the conditionals put "
                f"mass (an under-fit marginal, or Y near a lower-dimensional set, where no density exists), so it "
                f"may over-estimate the MI by up to that much; try critic 'flow', more mixture_components or a "
                f"contrastive bound"]
    if np.nanmax(gap) <= half_width:
        return []
    size, name = f"{np.nanmax(gap):.3f} {units}", type(bound).__name__
    if isinstance(bound, InfoNCE):
        return [f"InfoNCE is limited by its negatives: leaving each positive pair out of its row's normaliser "
                f"raises the held-out value by {size}, more than the interval's half-width; the value is a lower "
                f"bound that may fall short of the MI by about that much: use more samples"]
    if bound.direction == "lower":
        return [f"{name} is a loose lower bound here: the same critic scored with InfoNCE gives {size} more, more "
                f"than the interval's half-width (its partition term is poorly estimated); use infonce"]
    return [f"{name}'s clipping raises the estimate {size} above its critic's own lower bound, more than the "
            f"interval's half-width: it is not a bound and likely overestimates the MI; use a larger smile_tau or "
            f"a lower bound (infonce)"]


def reference_warnings(table: pd.DataFrame, ci_high: float, units: str) -> list[str]:
    """A reason when the k-nearest-neighbour reference (`reference_mi`, few dimensions only) lies above the
    interval by more than twice its own standard error: k-NN estimates are dependable there and rarely too
    high, so the critic likely misses part of the dependence."""
    ref, se = float(table["reference_mi"].iloc[0]), float(table["reference_se"].iloc[0])
    if not np.isfinite(ref) or ref - 2 * se <= ci_high:
        return []
    return [f"a k-nearest-neighbour estimate of the same samples (KSG, k = 3), {ref:.3f} +- {se:.3f} {units}, lies "
            f"above the interval: the critic likely misses part of the dependence (sharp or bounded densities are "
            f"hard for smooth critics); try critic='joint' or a wider network"]
