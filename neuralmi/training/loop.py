"""The training loop of one stack: members step together, are scored every `eval_every` epochs (deferred, in
batches: training/scoring.py) and leave the stack when their stopping rule says so.

Every EVAL_EVERY steps (sooner when the kept copies reach PENDING_FLOATS numbers, or when a member reaches
max_epochs) all kept copies are scored, then replayed in order through the stopping rule (on the smoothed
held-out value; for a density bound that is no lower bound, on its densities' held-out log-likelihood:
`StackScoring._density_fit`). A member whose patience ran out at one of them is finished there, with that
evaluation's curves; the steps it trained since are dropped. Results are those of scoring each evaluation as it
comes, for up to EVAL_EVERY extra steps per member.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from neuralmi import progress
from neuralmi.bounds import Bound
from neuralmi.nets.stack import ModelStack
from neuralmi.training.adam import StackedAdam
from neuralmi.training.blocks import Blocks, eval_blocks, probe_blocks, training_eval_size
from neuralmi.training.members import critic_builder, moments, per_member
from neuralmi.training.scoring import Snapshot, StackScoring
from neuralmi.training.smoothing import PATIENCE_FRACTION, best_epoch, should_stop, smooth
from neuralmi.training.specs import Fit, FitSpec

EVAL_EVERY = 16
PENDING_FLOATS = 2**24


@dataclass
class _Member:
    """One fit while it trains: its spec, scored sets, batch order, epoch count and the curves so far."""

    spec: FitSpec
    val_set: Blocks
    train_set: Blocks
    n_batches: int
    eval_every: int
    rng: np.random.Generator
    noise: torch.Generator
    order: np.ndarray = None
    step: int = 0
    epochs: int = 0
    evaluated: list = field(default_factory=list)
    val: list = field(default_factory=list)
    val_se: list = field(default_factory=list)
    val_gap: list = field(default_factory=list)
    val_fit: list = field(default_factory=list)
    train: list = field(default_factory=list)
    train_gap: list = field(default_factory=list)
    val_terms: list = field(default_factory=list)
    probe_sets: list = field(default_factory=list)
    probes: list = field(default_factory=list)


class StackTrainer(StackScoring):
    """Trains members sharing one batch size until each stops."""

    def __init__(self, xt, yt, specs, options, bound: Bound, batch: int):
        self.x, self.y, self.options, self.bound, self.batch = xt, yt, options, bound, batch
        self.fraction = PATIENCE_FRACTION if options.patience_fraction is None else options.patience_fraction
        device = xt.device
        self.stack = ModelStack(critic_builder(options, tuple(xt.shape[1:]), tuple(yt.shape[1:]), specs),
                                [s.seed for s in specs], device)
        k = len(specs)
        self.ids = list(range(k))
        self.members = [self._member(s) for s in specs]
        moments_x = [moments(xt, s.train, options.standardize) for s in specs]
        moments_y = [moments(yt, s.train, options.standardize) for s in specs]
        self.mu_x, self.sd_x = (torch.stack(v) for v in zip(*moments_x))
        self.mu_y, self.sd_y = (torch.stack(v) for v in zip(*moments_y))
        rate = per_member(options, specs, "learning_rate", device)
        self.adam = StackedAdam(self.stack.params, rate, per_member(options, specs, "weight_decay", device))
        self.bound_params = torch.zeros(k, max(bound.n_params, 1), device=device, requires_grad=bound.n_params > 0)
        self.bound_adam = StackedAdam({"b": self.bound_params}, rate)
        self.bound_state = bound.init_state(k, device)
        self.finished: dict[int, Fit] = {}
        self.pending: list[Snapshot] = []
        self.since_flush = 0
        self.start = time.perf_counter()

    def _member(self, spec: FitSpec) -> _Member:
        rng = np.random.default_rng([spec.seed, 1])
        block_rng = np.random.default_rng([spec.seed, 2])
        val_set = eval_blocks(spec.val, self.options.eval_block_size, block_rng)
        width = val_set.index.shape[1]
        scored = training_eval_size(len(spec.train), width, spec.training_blocks)
        train_eval = spec.train
        if scored < len(spec.train):
            train_eval = np.sort(block_rng.choice(spec.train, scored, replace=False))
        train_set = eval_blocks(train_eval, width, block_rng)
        noise = torch.Generator().manual_seed(int(spec.seed) + 7919)
        n_batches = max(1, len(spec.train) // self.batch)
        eval_every = -(-self.options.eval_interval // n_batches)
        member = _Member(spec, val_set, train_set, n_batches, eval_every, rng, noise,
                         probe_sets=[probe_blocks(val_set, spec.val, probe) for probe in spec.probes])
        self._reshuffle(member)
        return member

    def _reshuffle(self, m: _Member) -> None:
        perm = m.rng.permutation(m.spec.train)[: m.n_batches * self.batch]
        m.order, m.step = perm.reshape(m.n_batches, self.batch), 0

    def run(self) -> list[Fit]:
        while self.members:
            self._step()
            self.since_flush += 1
            last, ended = False, 0
            for p, m in enumerate(self.members):
                if m.step == m.n_batches:
                    ended += 1
                    m.epochs += 1
                    at_end = m.epochs >= self.options.max_epochs
                    if at_end or m.epochs % m.eval_every == 0:
                        self.pending.append(self._snapshot(p, m.epochs - 1))
                    last |= at_end
                    self._reshuffle(m)
            if ended:
                progress.epochs_done(ended)
            full = len(self.pending) * self.stack.member_floats >= PENDING_FLOATS
            if self.pending and (last or full or self.since_flush >= EVAL_EVERY):
                self._flush()
        return [self.finished[i] for i in sorted(self.finished)]

    def _snapshot(self, p: int, epoch: int) -> Snapshot:
        return Snapshot(p, epoch, {n: t[p].detach().clone() for n, t in self.stack.params.items()},
                         self.bound_params[p].detach().clone())

    def _step(self) -> None:
        idx = torch.as_tensor(np.stack([m.order[m.step] for m in self.members]), device=self.x.device)
        xb = self._batch(self.x, idx, self.mu_x, self.sd_x)
        yb = self._batch(self.y, idx, self.mu_y, self.sd_y)
        noise_x = noise_y = None
        if self.stack.noise_dim:
            noise_x, noise_y = (self._noise() for _ in range(2))
        scores, penalty = self.stack.call("train", xb, yb, noise_x=noise_x, noise_y=noise_y)
        shift = {"shift": self.stack.call("shift", xb, yb)} if self.bound.needs_shift else {}
        objective = self.bound.objective(scores, self.bound_params, self.bound_state, **shift)
        (penalty - objective).sum().backward()
        self.adam.step(self.stack.params)
        if self.bound.n_params:
            self.bound_adam.step({"b": self.bound_params})
        for m in self.members:
            m.step += 1

    def _noise(self) -> torch.Tensor:
        shape = (self.batch, self.stack.noise_dim)
        return torch.stack([torch.randn(shape, generator=m.noise) for m in self.members]).to(self.x.device)

    def _flush(self) -> None:
        """Score every pending epoch end, then replay them in order: a member that should have stopped at one of
        them is finished there (the steps it trained since are dropped) and leaves the stack."""
        snaps, self.pending, self.since_flush = self.pending, [], 0
        sets = [(self.members[s.position].val_set, self.members[s.position].train_set) for s in snaps]
        tasks = [(s, pair[j]) for s, pair in zip(snaps, sets) for j in (0, 1)]
        keep = [j == 0 and self.members[s.position].spec.keep_terms for s in snaps for j in (0, 1)]
        probes = [(s, b) for s in snaps for b in self.members[s.position].probe_sets]
        values, terms = self._evaluate(tasks + probes, keep + [False] * len(probes))
        counts = [len(self.members[s.position].probe_sets) for s in snaps]
        starts = len(tasks) + np.concatenate([[0], np.cumsum(counts)])
        o, stopped = self.options, set()
        for i, snap in enumerate(snaps):
            p = snap.position
            if p in stopped:
                continue
            m, (v, se, gap, fit), (t, _, t_gap, _) = self.members[p], values[2 * i], values[2 * i + 1]
            m.evaluated.append(snap.epoch)
            m.val.append(v)
            m.val_fit.append(fit)
            m.val_se.append(se)
            m.val_gap.append(gap)
            m.train.append(t)
            m.train_gap.append(t_gap)
            if m.spec.keep_terms:
                m.val_terms.append(terms[2 * i])
            if m.probe_sets:
                m.probes.append(values[starts[i] : starts[i + 1], :2])
            curve, steps = np.array(m.val_fit), (np.array(m.evaluated) + 1) * m.n_batches
            stop = should_stop(curve, steps, o.patience, self.fraction, o.median_window, o.smoothing_sigma)
            if stop or snap.epoch + 1 >= o.max_epochs:
                peaked = stop or should_stop(curve, steps, o.patience, 0.0, o.median_window, o.smoothing_sigma)
                self.finished[self.ids[p]] = self._fit(m, peaked)
                progress.fit_done(m.epochs)
                stopped.add(p)
        if stopped:
            self._keep([p for p in range(len(self.members)) if p not in stopped])

    def _keep(self, positions: list[int]) -> None:
        sel = torch.as_tensor(positions, device=self.x.device, dtype=torch.long)
        self.members = [self.members[p] for p in positions]
        self.ids = [self.ids[p] for p in positions]
        if not positions:
            return
        self.stack.keep(sel)
        self.adam.keep(sel)
        self.bound_adam.keep(sel)
        self.bound_params = self.bound_params.detach()[sel].requires_grad_(self.bound.n_params > 0)
        self.bound_state = {n: v[sel] for n, v in self.bound_state.items()}
        self.mu_x, self.sd_x, self.mu_y, self.sd_y = (t[sel] for t in (self.mu_x, self.sd_x, self.mu_y, self.sd_y))

    def _fit(self, m: _Member, stopped_early: bool) -> Fit:
        o = self.options
        val, train = np.array(m.val), np.array(m.train)
        best = best_epoch(np.array(m.val_fit), o.median_window, o.smoothing_sigma)
        val_s = smooth(val, o.median_window, o.smoothing_sigma)[best]
        train_s = smooth(train, o.median_window, o.smoothing_sigma)[best]
        return Fit(
            se=float(m.val_se[best]),
            bound_gap=float(m.val_gap[best]),
            val_mi=float(val_s),
            train_mi=float(train_s),
            best_epoch=m.evaluated[best],
            n_epochs=m.evaluated[-1] + 1,
            stopped_early=stopped_early,
            n_train=len(m.spec.train),
            n_val=len(m.spec.val),
            eval_n=m.val_set.smallest(),
            seconds=time.perf_counter() - self.start,
            val_curve=val,
            val_se_curve=np.array(m.val_se),
            train_curve=train,
            val_gap_curve=np.array(m.val_gap),
            train_gap_curve=np.array(m.train_gap),
            eval_epochs=np.array(m.evaluated),
            val_terms=m.val_terms[best] if m.spec.keep_terms else None,
            **self._probe_values(m, best),
        )

    def _probe_values(self, m: _Member, best: int) -> dict:
        """`probe_mi`, each probe's value smoothed like the held-out curve, and `probe_se`, its standard error, at
        the selected evaluation (nothing without probes)."""
        if not m.probe_sets:
            return {}
        o, values = self.options, np.array(m.probes)
        return {"probe_mi": np.array([smooth(c, o.median_window, o.smoothing_sigma)[best] for c in values[:, :, 0].T]),
                "probe_se": values[best, :, 1]}
