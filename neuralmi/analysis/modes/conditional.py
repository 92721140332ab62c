"""Conditional mode: I(X;Y|Z) = I([X, Z]; Y) - I(Z; Y), what X tells about Y beyond what Z already does.

The two chain-rule terms are two points whose fits share every subset and split (the subsample plan depends
only on the number of samples, the options and the seed), so each (gamma, repeat, subset) gives a paired
difference; the differences are extrapolated like the fits of rigorous mode (`correction.corrected`), giving the
conditional MI with its interval, and each term is corrected too. With `conditional_correction: none` each term
is one fit per repeat on all samples and the held-out difference gets a paired standard error from the two
critics' per-sample terms on the same held-out samples. Z is processed like X and Y (its own processor_z, the
same windows) and joins X along the feature axis in the joint term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuralmi.analysis import null
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.correction import corrected
from neuralmi.analysis.fits import reported_quantity, with_reported
from neuralmi.analysis.paired import (below_zero, difference_summary, held_out_difference, held_out_value,
                                      intervals, paired_difference, quantity_row)
from neuralmi.analysis.planning import repeated_fits, subset_fits, subset_gammas
from neuralmi.analysis.plots import plot_differences
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.summaries import params_frame
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import sample_ndim, side_samples
from neuralmi.errors import InputError

TERMS = ("joint", "own")


@dataclass
class ConditionalResult(MIResult):
    """Conditional mode: `mi` is I(X;Y|Z); `to_frame()` holds it and both chain-rule terms, I([X,Z];Y) and
    I(Z;Y), each with its interval; `details['terms']` the same as a dict."""

    @property
    def answer(self) -> str:
        names = {"conditional": "I(X;Y|Z)", "joint": "I([X,Z];Y)", "own": "I(Z;Y)"}
        return "; ".join(f"{names[r.quantity]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
                         for r in self.frame.itertuples())


def _extrapolated(options) -> bool:
    return options.conditional_correction == "extrapolate"


class Conditional(Mode):
    name = "conditional"
    point_keys = ("quantity",)
    question = "What does X tell about Y beyond what Z already does (conditional MI)?"
    own_options = ("processor_z", "conditional_correction")
    takes_z = True
    null_default = "local"
    refused_nulls = {}

    def points(self, options, channels):
        """The joint term I([X, Z]; Y) and Z's own term I(Z; Y)."""
        return [{"term": t} for t in TERMS]

    def fit_gammas(self, options):
        return subset_gammas(options) if _extrapolated(options) else [1] * (options.repeats or 1)

    def plan(self, n, options, seed, point):
        """The subsample plan, or one fit on all samples per repeat; the same for both terms."""
        if _extrapolated(options):
            return subset_fits(n, options, seed)
        if options.split == "indices" and (options.repeats or 1) > 1:
            raise InputError("repeats: with split='indices' every repeat holds out the same samples, so repeats would "
                             "not be independent; use one repeat, or a random or blocked split")
        return repeated_fits(n, options, seed, range(options.repeats or 1))

    def keeps_terms(self, options):
        """Without extrapolation the terms are differenced sample by sample, so their held-out terms are kept."""
        return not _extrapolated(options)

    def point_samples(self, source, point, options, seed, x_order=None):
        """([X, Z], Y) for the joint term, (Z, Y) for Z's own; X and Z side by side on the feature axis (flattened
        windows, or the channels of windows of equal length for cnn/gru embeddings). `x_order(z)` gives the order
        of X's samples (a permutation-null surrogate)."""
        if source.z is None:
            raise InputError("z: conditional mode needs the conditioning variable z")
        x, y, z = side_samples(source, options)
        if x_order is not None:
            x = x[x_order(z)]
        if sample_ndim(options) != 3:
            x, z = x.reshape(len(x), -1), z.reshape(len(z), -1)
        elif x.shape[1:-1] != z.shape[1:-1]:
            raise InputError(f"z: its windows of shape {z.shape[1:]} (length, channels) cannot join x's "
                             f"{x.shape[1:]} for the {options.embedding} embedding: give both the same number of time "
                             f"points per window (bin_size, spike_encoding, processor_z), or use the mlp embedding")
        return (np.concatenate([x, z], axis=-1) if point["term"] == "joint" else z), y

    def null_point(self, point):
        """The null changes only the joint term: Z and Y are kept."""
        return point["term"] == "joint"

    def surrogate(self, source, point, options, seed):
        """A surrogate of the joint term: X's samples reordered among neighbours in Z (`null_method: local`, the
        default), so X keeps its relation to Z and loses any to Y beyond it; or permuted or shifted against
        (Z, Y)."""
        kind = null.method(options, self)

        def order(z):
            return null.surrogate_order(len(z), kind, options, seed, point["null"], z)

        return self.point_samples(source, null.base_point(point), options, seed, order)

    def reported_column(self, options):
        """The fit-table column this mode reports ("val_mi", held-out, or "train_mi", training subset)."""
        return reported_quantity(options, "train") if _extrapolated(options) else "val_mi"

    def statistics(self, fits, options, units):
        """The permutation null's statistic: I(X;Y|Z), corrected (or the held-out difference)."""
        _, joint, own, reported = self._terms(fits, options)
        return pd.DataFrame({"quantity": ["conditional"],
                             "statistic": [_difference(joint, own, reported, options, units).mi]})

    def _terms(self, fits: pd.DataFrame, options):
        """(fit table with the reported `mi`, joint term's fits, own term's fits, reported column)."""
        reported = self.reported_column(options)
        table = with_reported(fits, reported)
        terms = params_frame(table)["term"]
        return (table, *(table[terms == t] for t in TERMS), reported)

    def summarise(self, fits, curves, options, units):
        """The conditional MI and both terms, corrected (or held-out with paired errors), with intervals, judged."""
        table, joint, own, reported = self._terms(fits, options)
        cmi = _difference(joint, own, reported, options, units)
        if _extrapolated(options):
            term_results = [corrected(f, reported, options, units) for f in (joint, own)]
        else:
            term_results = [held_out_value(f, options.confidence) for f in (joint, own)]
        reasons = fit_warnings(table, options.bound, units) + [f"I(X;Y|Z): {r}" for r in cmi.reasons]
        reasons += below_zero("I(X;Y|Z)", cmi, units, "Z's alone")
        rows = [quantity_row("conditional", cmi)] + [quantity_row(t, r) for t, r in zip(TERMS, term_results)]
        details = {"se": cmi.details["se"], "correction": options.conditional_correction, "terms": intervals(rows)}
        if _extrapolated(options):
            details.update(slope=cmi.details["slope"], gammas_used=cmi.details["gammas_used"])
        return ConditionalResult(
            mode="conditional", mi=cmi.mi, ci_low=cmi.ci_low, ci_high=cmi.ci_high, reliable=not reasons,
            reasons=reasons, units=units, fits=table, curves=curves,
            summary=difference_summary("I(X;Y|Z)", cmi) if _extrapolated(options) else None,
            plotter=plot_differences, frame=pd.DataFrame(rows), details=details,
        )


def _difference(joint: pd.DataFrame, own: pd.DataFrame, reported: str, options, units: str):
    """I(X;Y|Z): the corrected paired difference, or without extrapolation the held-out one."""
    if _extrapolated(options):
        return corrected(paired_difference(joint, own), reported, options, units)
    return held_out_difference(joint, own, options.confidence)
