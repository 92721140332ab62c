"""The group level: one analysis run on every session of a study, combined into an answer across sessions.

Per session and point (the headline, and each point of a scan: a lag, an embedding size, a pair, a direction)
the bias-corrected value and its interval give a standard error, se = (ci_high - ci_low) / (2 z). Across sessions:

- a random-effects estimate: inverse-variance weights 1 / (se_i^2 + tau^2) with the between-session variance
  tau^2 by DerSimonian-Laird, and its interval by Hartung-Knapp (a t quantile with k - 1 degrees of freedom and a
  variance scaled by the weighted residuals), which keeps its coverage with few sessions (measured in
  tests/test_group.py: 93-95 % at 95 % for 3 to 10 sessions, with and without between-session spread); beside it I^2 (the share
  of the spread that is between sessions), Cochran's Q test of homogeneity and, from 3 sessions, the prediction
  interval of a new session's value (t with k - 2 degrees of freedom);
- for a scan whose reported value is its largest point (lag, dimensionality, pairwise), the group reports the
  largest pooled point, not the pool of each session's own maximum (biased upward, at different points);
- how many sessions are significant: each session's p-value, from its permutation null where the analysis has one
  (p >= 1 / (K + 1)), else one-sided from its interval (z = value / se), Benjamini-Hochberg q-values across the
  sessions at each point, counted at q < alpha.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.analysis.null import bh_q_values
from neuralmi.analysis.plots import axes_of
from neuralmi.analysis.style import new_figure, styled
from neuralmi.errors import InputError
from neuralmi.outputs import read_json, read_parquet, write_json, write_parquet

GROUP_FILES = ("group.json", "sessions.parquet", "group.parquet")
HEADLINE = "headline"
SESSION_DOCS = {
    "session": "the session's key",
    "point": "'headline' (the session's reported value; not for a scan that reports its largest point), or a point "
             "of the mode's table as 'key=value, ...'",
    "mi": "the session's bias-corrected value at the point",
    "ci_low": "its interval's lower end",
    "ci_high": "its interval's upper end",
    "se": "its standard error, from the interval",
    "reliable": "the session's verdict (the headline's; at a point, the headline's too)",
    "p_value": "one-sided p of no information: the session's permutation null, else its interval",
    "p_source": "'null' or 'interval'",
    "q_value": "Benjamini-Hochberg q across the sessions at the point",
    "significant": "q_value < alpha",
}
GROUP_DOCS = {
    "point": "as in the session table",
    "mi": "the random-effects estimate across sessions",
    "ci_low": "its interval's lower end (Hartung-Knapp)",
    "ci_high": "its interval's upper end",
    "se": "its standard error (Hartung-Knapp)",
    "tau": "between-session standard deviation (DerSimonian-Laird)",
    "i2": "I^2: share of the spread between sessions beyond their own errors (0 to 1)",
    "q_p_value": "Cochran's Q test of equal values in every session",
    "pi_low": "the prediction interval of a new session's value (3 sessions or more), lower end",
    "pi_high": "its upper end",
    "n_sessions": "sessions with a value at the point",
    "n_significant": "sessions with q < alpha",
    "n_reliable": "sessions whose verdict is reliable",
}


def point_label(row: dict, keys) -> str:
    """'lag=0.1', 'a=0, b=1, b_side=x': a point of a scan as one string."""
    return ", ".join(f"{k}={_plain(row[k])}" for k in keys)


def _plain(value):
    return f"{value:g}" if isinstance(value, float) else value


def session_rows(key: str, result, keys: tuple, confidence: float) -> list[dict]:
    """A session's rows: its headline, then each point of its scan (`keys`: the mode's point columns of
    `to_frame()`, empty for one value). Each interval's standard error is read back from its width: on N(0, 1), or
    on a t where the table gives its degrees of freedom (`df`: network mode's edges)."""
    null_p = {HEADLINE: result.details.get("p_value")}
    for row in result.details.get("p_values", []) if keys else []:
        if set(keys) <= set(row):
            null_p[point_label(row, keys)] = row["p_value"]
    points = [(HEADLINE, result.mi, result.ci_low, result.ci_high, None)]
    frame = result.to_frame()
    if keys and set(keys) <= set(frame.columns) and {"mi", "ci_low", "ci_high"} <= set(frame.columns):
        points += [(point_label(row, keys), row["mi"], row["ci_low"], row["ci_high"], row.get("df"))
                   for row in frame.to_dict("records")]
    rows = []
    for point, mi, low, high, df in points:
        tail = stats.norm() if df is None else stats.t(df)
        se = (high - low) / (2 * float(tail.ppf(0.5 + confidence / 2)))
        p = null_p.get(point)
        source = "null" if p is not None and np.isfinite(p) else "interval"
        if source == "interval":  # no value or interval: no p (never counted significant)
            p = float(tail.sf(mi / se)) if np.isfinite(mi) and np.isfinite(se) and se > 0 else np.nan
        rows.append({"session": key, "point": point, "mi": float(mi), "ci_low": float(low), "ci_high": float(high),
                     "se": float(se), "reliable": bool(result.reliable), "p_value": float(p), "p_source": source})
    return rows


def random_effects(values, errors, confidence: float) -> dict:
    """The random-effects estimate of values with standard errors (DerSimonian-Laird tau^2, Hartung-Knapp
    interval, I^2, Cochran's Q p-value, prediction interval)."""
    y, se = np.asarray(values, float), np.asarray(errors, float)
    finite = np.isfinite(y) & np.isfinite(se)
    y, se = y[finite], se[finite]
    k = len(y)
    out = {"n_sessions": k}
    if k == 0:
        return out | {key: np.nan for key in ("mi", "ci_low", "ci_high", "se", "tau", "i2", "q_p_value", "pi_low",
                                                "pi_high")}
    v = np.maximum(se, 1e-12) ** 2
    w = 1 / v
    fixed = float((w * y).sum() / w.sum())
    q = float((w * (y - fixed) ** 2).sum())
    c = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 and c > 0 else 0.0
    w_star = 1 / (v + tau2)
    mu = float((w_star * y).sum() / w_star.sum())
    if k > 1:
        hk = float((w_star * (y - mu) ** 2).sum() / ((k - 1) * w_star.sum()))
        se_mu = float(np.sqrt(hk if hk > 0 else 1 / w_star.sum()))  # equal values: the weights' own variance
        t = float(stats.t.ppf(0.5 + confidence / 2, k - 1))
    else:
        se_mu, t = float(np.sqrt(1 / w_star.sum())), float(stats.norm.ppf(0.5 + confidence / 2))
    out |= {"mi": mu, "ci_low": mu - t * se_mu, "ci_high": mu + t * se_mu, "se": se_mu, "tau": float(np.sqrt(tau2)),
            "i2": max(0.0, (q - (k - 1)) / q) if q > 0 and k > 1 else 0.0,
            "q_p_value": float(stats.chi2.sf(q, k - 1)) if k > 1 else np.nan}
    if k >= 3:
        half = float(stats.t.ppf(0.5 + confidence / 2, k - 2)) * float(np.sqrt(tau2 + se_mu**2))
        out |= {"pi_low": mu - half, "pi_high": mu + half}
    else:
        out |= {"pi_low": np.nan, "pi_high": np.nan}
    return out


@dataclass
class GroupResult:
    """An analysis across sessions: `sessions` (one row per session and point, SESSION_DOCS), `group` (one row
    per point, GROUP_DOCS), the headline (`mi`, `ci_low`, `ci_high`: the random-effects estimate of the sessions'
    reported values), a verdict, and each session's own result in `results` when computed here."""

    mode: str
    units: str
    sessions: pd.DataFrame
    group: pd.DataFrame
    alpha: float = 0.05
    headline_point: str = HEADLINE
    metadata: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict, repr=False)

    @property
    def headline(self) -> dict:
        """The group row reported: the sessions' reported values pooled, or for a scan whose reported value is its
        largest point, the largest pooled point."""
        return self.group[self.group["point"] == self.headline_point].iloc[0].to_dict()

    @property
    def mi(self) -> float:
        return float(self.headline["mi"])

    @property
    def ci_low(self) -> float:
        return float(self.headline["ci_low"])

    @property
    def ci_high(self) -> float:
        return float(self.headline["ci_high"])

    @property
    def reasons(self) -> list[str]:
        """Why not to trust the group's number: sessions whose own verdict says not to, too few sessions."""
        head = self.sessions[self.sessions["point"] == self.headline_point]
        out = []
        unreliable = head.loc[~head["reliable"], "session"].tolist()
        if unreliable:
            out.append(f"{len(unreliable)} of {len(head)} sessions not reliable ({', '.join(unreliable)})")
        if len(head) < 2:
            out.append("one session: no between-session variance, the interval is that session's")
        return out

    @property
    def reliable(self) -> bool:
        return not self.reasons

    @property
    def finding(self) -> str:
        h = self.headline
        k = int(h["n_sessions"])
        source = "permutation null" if (self.sessions["p_source"] == "null").all() else "interval"
        where = "" if self.headline_point == HEADLINE else f" at {self.headline_point} (the largest pooled point)"
        return (f"{k} sessions: random effects {h['mi']:.3g} [{h['ci_low']:.3g}, {h['ci_high']:.3g}] {self.units}"
                f"{where} (tau {h['tau']:.2g}, I2 {100 * h['i2']:.0f}%); {int(h['n_significant'])} of {k} sessions "
                f"significant (q < {self.alpha:g}, {source})")

    def to_dict(self) -> dict:
        return {"mi": self.mi, "ci_low": self.ci_low, "ci_high": self.ci_high, "reliable": self.reliable,
                "reasons": self.reasons, "units": self.units, "mode": self.mode, "finding": self.finding,
                "level": "group", "alpha": self.alpha, "headline_point": self.headline_point,
                "sessions": self.sessions["session"].unique().tolist()}

    def save(self, directory, **metadata) -> Path:
        """group.json (the headline, verdict, finding and `metadata`), sessions.parquet and group.parquet."""
        directory = Path(directory)
        write_parquet(directory / "sessions.parquet", self.sessions)
        write_parquet(directory / "group.parquet", self.group)
        write_json(directory / "group.json", {**self.metadata, **metadata, **self.to_dict()})
        return directory

    def plot(self, ax=None):
        """A forest plot: each session's value with its interval, the random-effects estimate as a diamond and the
        prediction interval as a bar; for a scan, a second panel with the pooled value per point."""
        return plot_forest(self, ax)


def group_results(results: dict, mode: str, units: str, keys: tuple = (), confidence: float = 0.95,
                  alpha: float = 0.05, peak: bool = False) -> GroupResult:
    """The group result of {session key: MIResult} of one analysis (`keys`: the mode's point columns; `peak`: the
    mode reports its largest point, so each session's reported value sits at its own best point and pooling those
    would be biased upward: the group reports its largest pooled point instead)."""
    if not results:
        raise InputError("group: no sessions")
    rows = [row for key, result in results.items() for row in session_rows(key, result, keys, confidence)]
    sessions = pd.DataFrame(rows)
    if peak and (sessions["point"] != HEADLINE).any():
        sessions = sessions[sessions["point"] != HEADLINE].reset_index(drop=True)
    sessions["q_value"] = sessions.groupby("point", sort=False)["p_value"].transform(
        lambda p: bh_q_values(p.to_numpy(float)))
    sessions["significant"] = sessions["q_value"] < alpha  # NaN: False
    pooled = []
    for point, at in sessions.groupby("point", sort=False):
        pooled.append({"point": point, **random_effects(at["mi"], at["se"], confidence),
                       "n_significant": int(at["significant"].sum()), "n_reliable": int(at["reliable"].sum())})
    group = pd.DataFrame(pooled)[list(GROUP_DOCS)]
    headline = HEADLINE
    if HEADLINE not in set(group["point"]):
        finite = group["mi"].dropna()
        headline = group.at[finite.idxmax() if len(finite) else 0, "point"]
    return GroupResult(mode, units, sessions, group, alpha, headline)


def load_group(directory) -> GroupResult:
    """A group result saved by `GroupResult.save`."""
    directory = Path(directory)
    saved = read_json(directory / "group.json")
    sessions, group = (read_parquet(directory / f"{name}.parquet") for name in ("sessions", "group"))
    headline = saved.get("headline_point", HEADLINE)
    made = GroupResult(saved["mode"], saved["units"], sessions, group, saved.get("alpha", 0.05), headline)
    made.metadata = {k: v for k, v in saved.items() if k not in made.to_dict()}
    return made


@styled
def plot_forest(result: GroupResult, ax=None):
    points = result.group[result.group["point"] != HEADLINE]
    if ax is None and len(points):
        fig, (ax, scan) = new_figure(2, height=max(2.4, 0.3 * result.sessions["session"].nunique() + 1.2))
    else:
        (fig, ax), scan = axes_of(ax), None
    head = result.sessions[result.sessions["point"] == result.headline_point].reset_index(drop=True)
    ys = np.arange(len(head))[::-1] + 2
    colors = np.where(head["significant"], "C0", "0.55")
    for y, row, color in zip(ys, head.to_dict("records"), colors):
        ax.errorbar([row["mi"]], [y], xerr=[[row["mi"] - row["ci_low"]], [row["ci_high"] - row["mi"]]], fmt="s",
                    color=color, capsize=2, ms=4, mfc=color if row["reliable"] else "white")
    h = result.headline
    ax.fill([h["ci_low"], h["mi"], h["ci_high"], h["mi"]], [0.5, 0.8, 0.5, 0.2], color="C1", lw=0)
    if np.isfinite(h["pi_low"]):
        ax.plot([h["pi_low"], h["pi_high"]], [0.5, 0.5], color="C1", lw=1)
    truth = result.metadata.get("truth")
    if truth is not None:
        ax.axvline(truth, color="0.3", ls="--", lw=0.8, label="truth")
        ax.legend(loc="lower right")
    ax.axvline(0, color="0.7", lw=0.6)
    ax.set_yticks([*ys, 0.5], [*head["session"], "random effects"])
    ax.set_xlabel(f"MI ({result.units})" + ("" if result.headline_point == HEADLINE else
                                              f" at {result.headline_point}"))
    ax.set_title(f"{result.mode}: {int(h['n_significant'])} of {len(head)} sessions significant", fontsize="medium")
    if scan is not None:
        x = np.arange(len(points))
        for session, at in result.sessions[result.sessions["point"] != HEADLINE].groupby("session"):
            ax_values = at.set_index("point").reindex(points["point"])["mi"]
            scan.plot(x, ax_values.to_numpy(float), color="0.75", lw=0.7)
        scan.errorbar(x, points["mi"], yerr=[points["mi"] - points["ci_low"], points["ci_high"] - points["mi"]],
                      fmt="o-", color="C1", capsize=2, ms=3, label="random effects")
        scan.set_xticks(x, points["point"], rotation=45 if len(points) > 4 else 0, ha="right" if len(points) > 4
                        else "center")
        scan.set_ylabel(f"MI ({result.units})")
        scan.legend()
    return fig
