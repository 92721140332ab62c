"""What a fit is asked to do (`FitSpec`) and what it gives back (`Fit`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FitSpec:
    """One fit: global indices of its training and held-out samples, and its seed; `keep_terms` asks for the
    held-out per-sample terms at the selected evaluation (`Fit.val_terms`). `probes`: index arrays aligned with
    `val` (entry i stands for held-out sample val[i], e.g. a perturbed copy of it), each scored like the
    held-out set at every evaluation without taking part in stopping or selection (`Fit.probe_mi`).
    `member_options`: the fit's own values of options a stack may vary per member (MEMBER_OPTIONS): its critic is
    built at its embedding_dim and widened with zero outputs to the stack's (`Critic.widened`), and Adam steps
    it with its learning_rate and weight_decay; so the fits of a scan over them share one stack.
    `training_blocks`: at most this many blocks of training samples scored per evaluation (None: as many as
    TRAIN_EVAL_MAX allows); one is enough where the training-subset curve is only a diagnostic."""

    train: np.ndarray
    val: np.ndarray
    seed: int
    keep_terms: bool = False
    probes: tuple = ()
    member_options: dict = field(default_factory=dict)
    training_blocks: int | None = None


@dataclass
class Fit:
    """Outcome of one fit, MI values in nats: the smoothed held-out and training-subset curves at the selected
    evaluation (the maximum of the smoothed held-out curve), and `se`, that evaluation's held-out sampling error.
    `eval_n` is the fewest candidates a held-out row is scored against (n_val unless the set was cut in blocks),
    so InfoNCE values are at most about log(eval_n). `bound_gap` is the bound's measured bias gap on the held-out
    set at the selected evaluation (bounds.Bound.gap). Curves hold one value per evaluation, made after the
    (0-based) epochs `eval_epochs`; `best_epoch` is the selected one's epoch, `n_epochs` the epochs trained,
    `stopped_early` whether the curve had stopped improving for `patience` evaluations when it finished (early,
    or at max_epochs while `patience_fraction` kept it training). `val_terms`: with `FitSpec.keep_terms`, the
    held-out per-sample terms of the selected evaluation (float32) in sorted sample order (their mean and spread
    give that evaluation's value and `se`), so two fits on the same held-out samples can be differenced sample by
    sample; else None. A flagged fit keeps n_val terms per evaluation while it trains. `probe_mi`, `probe_se`:
    with `FitSpec.probes`, each probe's value (smoothed like the held-out curve) and standard error at the
    selected evaluation; else None."""

    se: float
    bound_gap: float
    val_mi: float
    train_mi: float
    best_epoch: int
    n_epochs: int
    stopped_early: bool
    n_train: int
    n_val: int
    eval_n: int
    seconds: float
    val_curve: np.ndarray
    val_se_curve: np.ndarray
    train_curve: np.ndarray
    val_gap_curve: np.ndarray
    train_gap_curve: np.ndarray
    eval_epochs: np.ndarray
    val_terms: np.ndarray | None = None
    probe_mi: np.ndarray | None = None
    probe_se: np.ndarray | None = None
