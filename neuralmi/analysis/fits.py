"""Tables shared by the modes: one row per fit, and the long table of per-epoch curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuralmi.training.smoothing import smooth
from neuralmi.units import from_nats

FIT_COLUMNS = [
    "fit_id", "gamma", "repeat", "subset", "n_samples", "n_train", "n_val", "seed", "mi", "se", "val_mi",
    "train_mi", "best_epoch", "n_epochs", "stopped_early", "seconds",
]
CURVE_COLUMNS = ["fit_id", "epoch", "val_mi", "val_se", "train_mi", "val_smoothed"]


def reported_quantity(options, mode_default: str) -> str:
    """'validation' or 'train': options.estimate_on, or the mode's own choice when it is 'auto'."""
    return mode_default if options.estimate_on == "auto" else options.estimate_on


def fit_table(plan: list[dict], fits, units: str, quantity: str) -> pd.DataFrame:
    """One row per fit: the plan's labels (gamma, repeat, subset, n_samples, seed) and the fit's outcome;
    `mi` is the `quantity` ('validation' or 'train') at the selected epoch."""
    rows = []
    for fit_id, (labels, fit) in enumerate(zip(plan, fits)):
        rows.append({
            "fit_id": fit_id,
            **labels,
            "n_train": fit.n_train,
            "n_val": fit.n_val,
            "mi": from_nats(fit.val_mi if quantity == "validation" else fit.train_mi, units),
            "se": from_nats(fit.se, units),
            "val_mi": from_nats(fit.val_mi, units),
            "train_mi": from_nats(fit.train_mi, units),
            "best_epoch": fit.best_epoch,
            "n_epochs": fit.n_epochs,
            "stopped_early": fit.stopped_early,
            "seconds": fit.seconds,
        })
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def curve_table(fits, options, units: str) -> pd.DataFrame:
    """Per-epoch validation and training-subset MI of every fit, with the smoothed validation curve."""
    frames = []
    for fit_id, fit in enumerate(fits):
        frames.append(pd.DataFrame({
            "fit_id": fit_id,
            "epoch": np.arange(fit.n_epochs),
            "val_mi": from_nats(fit.val_curve, units),
            "val_se": from_nats(fit.val_se_curve, units),
            "train_mi": from_nats(fit.train_curve, units),
            "val_smoothed": from_nats(smooth(fit.val_curve, options.median_window, options.smoothing_sigma), units),
        }))
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def fit_warnings(fits, bound_name: str) -> list[str]:
    """Reasons to distrust the fits themselves, shared by every mode."""
    reasons = []
    if sum(not f.stopped_early for f in fits) > len(fits) / 2:
        reasons.append("most fits reached max_epochs before their validation curve peaked: raise max_epochs")
    if bound_name == "infonce" and any(f.val_mi > 0.8 * np.log(f.n_val) for f in fits):
        reasons.append(
            "an InfoNCE estimate exceeds 80% of its log(n_held_out) ceiling: the estimate is likely capped; "
            "use more samples"
        )
    return reasons
