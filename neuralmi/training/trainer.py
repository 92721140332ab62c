"""One trainer for any number of independent fits, trained together as a vectorised stack.

Each fit (a `FitSpec`: training indices, held-out indices, seed) keeps its own initialisation, mini-batch
order, Adam state, epochs, validation curve and early stopping; fits of different sizes coexist because every
member counts epochs over its own training samples. A member that stops leaves the stack, so the work left
shrinks as fits finish. Members sharing a batch size train in one stack.

A member is scored every `eval_every` epochs: the fewest whole epochs holding options.eval_interval optimiser
steps, so that the curves of small and large subsets have about the same resolution in steps (learning
progresses per step, not per pass over the data), and at its last epoch. Patience and smoothing count these
evaluations. Each evaluation scores the member on its whole held-out set (never capped at the batch size) and
on whole blocks of its training samples of the held-out blocks' size (`training_eval_size`: a fixed random
choice of as many blocks as fit, up to about TRAIN_EVAL_MAX samples): the two curves then carry the same
InfoNCE ceiling and can be compared, and the training-subset value, a mean over several blocks, is several
times less noisy than one block would be. A set of up to options.eval_block_size samples is scored all pairs against all
(streamed in row blocks, never held at once); a larger one is cut, in a random order fixed per fit, into blocks
of at most that size and only pairs within a block are scored, so evaluation costs time and memory linear in
the set size and the ceiling is log(block size) (`Fit.eval_n`).

Scoring is deferred: an evaluated epoch end keeps a copy of the member's weights, and every EVAL_EVERY steps
(sooner when the copies reach PENDING_FLOATS numbers, or when a member reaches max_epochs) all kept copies are
scored in as few calls as their set shapes allow, then replayed in order through the stopping rule (on the
smoothed held-out value; for a density bound that is no lower bound, on its densities' held-out log-likelihood:
`_density_fit`). A member
whose patience ran out at one of them is finished there, with that evaluation's curves; the steps it trained
since are dropped. Results are those of scoring each evaluation as it comes, for up to EVAL_EVERY extra steps
per member.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import platform
import time
from dataclasses import dataclass, field, fields

import numpy as np
import torch

from neuralmi import progress
from neuralmi.bounds import Bound, RowStats, check_estimator, make_bound, row_estimate, row_stats
from neuralmi.nets.critics import make_critic
from neuralmi.nets.stack import ModelStack
from neuralmi.training.adam import StackedAdam
from neuralmi.training.smoothing import best_epoch, should_stop, smooth

EVAL_FLOATS = 2**20
TRAIN_EVAL_MAX = 2**15
EVAL_MEMBERS = 2
EVAL_CHUNK_MAX = 8
EVAL_EVERY = 16
PENDING_FLOATS = 2**24
EVALUATION_NOISE_SEED = 15485863
SCORE_COPIES, ACTIVATION_COPIES, PARAMETER_COPIES = 4, 3, 6
MEMBER_OPTIONS = ("embedding_dim", "learning_rate", "weight_decay")


def eval_floats(device: torch.device) -> int:
    """Scores held at once by one evaluation call: a few MB on CPU, so blocks stay in cache; more elsewhere."""
    return EVAL_FLOATS if device.type == "cpu" else 16 * EVAL_FLOATS


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
    set at the selected evaluation (bounds.Bound.gap). Curves hold one value per
    evaluation, made after the (0-based) epochs `eval_epochs`; `best_epoch` is the selected one's epoch,
    `n_epochs` the epochs trained. `val_terms`: with `FitSpec.keep_terms`, the held-out per-sample terms of the
    selected evaluation (float32) in sorted sample order (their mean and spread give that evaluation's value and
    `se`), so two fits on the same held-out samples can be differenced sample by sample; else None. A flagged fit
    keeps n_val terms per evaluation while it trains. `probe_mi`, `probe_se`: with `FitSpec.probes`, each probe's
    value (smoothed like the held-out curve) and standard error at the selected evaluation; else None."""

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


@dataclass
class _Blocks:
    """A set scored at each evaluation: `index` (blocks, width) holds its n sample indices, `valid` marks real entries
    (None: all are; shorter blocks are padded)."""

    n: int
    index: np.ndarray
    valid: np.ndarray | None

    def smallest(self) -> int:
        """Entries of the smallest block."""
        return self.index.shape[1] if self.valid is None else int(self.valid.sum(1).min())


def eval_blocks(idx: np.ndarray, size: int | None, rng: np.random.Generator) -> _Blocks:
    """`idx` as one block if it has at most `size` entries; otherwise cut, in an order drawn from `rng`, into
    ceil(n / size) contiguous blocks whose sizes differ by at most one."""
    n = len(idx)
    count = 1 if size is None or n <= size else -(-n // size)
    order = idx if count == 1 else rng.permutation(idx)
    edges = np.arange(count + 1) * n // count
    pos = edges[:-1, None] + np.arange(int(np.diff(edges).max()))
    valid = pos < edges[1:, None]
    return _Blocks(n, order[np.where(valid, pos, edges[:-1, None])], None if valid.all() else valid)


@dataclass
class _Member:
    spec: FitSpec
    val_set: _Blocks
    train_set: _Blocks
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


@dataclass
class _Snapshot:
    """A member's parameters at the end of an epoch, kept until that epoch is scored (buffers, which training
    does not change, are read from the stack then)."""

    position: int
    epoch: int
    params: dict
    bound_params: torch.Tensor


def _probe_blocks(val_set: _Blocks, val: np.ndarray, probe: np.ndarray) -> _Blocks:
    """A probe of the held-out set blocked exactly like it: each held-out index replaced by its probe entry."""
    probe = np.asarray(probe)
    if probe.shape != val.shape:
        raise ValueError(f"probe of {probe.shape} entries for {val.shape} held-out samples")
    order = np.argsort(val, kind="stable")
    positions = order[np.searchsorted(val[order], val_set.index)]
    return _Blocks(val_set.n, probe[positions], val_set.valid)


def _in_sample_order(terms: np.ndarray, blocks: _Blocks) -> np.ndarray:
    """Per-row terms of a scored set (rows in its block order, padding included) in sorted sample order."""
    index = blocks.index.ravel()
    real = np.ones(index.size, bool) if blocks.valid is None else blocks.valid.ravel()
    return terms[real][np.argsort(index[real], kind="stable")]


def training_eval_size(n_train: int, width: int, blocks: int | None = None) -> int:
    """Training samples scored at each evaluation: as many whole blocks of `width` (the held-out blocks' size) as
    n_train holds, at most max(width, TRAIN_EVAL_MAX) samples and at most `blocks` blocks; all n_train when it is
    less than one block."""
    if n_train <= width:
        return n_train
    most = max(width, TRAIN_EVAL_MAX) if blocks is None else blocks * width
    return min(n_train, most) // width * width


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def train_fits(x: np.ndarray, y: np.ndarray, specs: list[FitSpec], options) -> list[Fit]:
    """Train every fit in `specs` on samples x, y (float32, samples in rows); results in the order given.

    With options.threads set, torch uses that many CPU threads for the call (summation order, and so the last
    bits of the results, depend on the thread count).
    """
    previous = torch.get_num_threads()
    if options.threads:
        torch.set_num_threads(options.threads)
    try:
        with _heap_kept():
            return _train_all(x, y, specs, options)
    finally:
        torch.set_num_threads(previous)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_MAX, _GLIBC_DEFAULT = 2**25, 2**17


@contextlib.contextmanager
def _heap_kept():
    """On glibc, keep freed memory in the heap while training.

    Each step frees and reallocates tensors of up to tens of MB, which glibc otherwise maps and unmaps or trims
    every time, page-faulting them back in (a third of a large stack's step time). Allocations below 32 MB come
    from the heap, which is not trimmed until training ends; then glibc's fixed default thresholds are set and
    free memory is returned to the system.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
        libc.malloc_trim(0)


def _glibc():
    if platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(None)


def _train_all(x, y, specs, options) -> list[Fit]:
    device = resolve_device(options.device)
    xt, yt = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
    check_estimator(options)
    bound = make_bound(options)
    by_batch: dict[int, list[int]] = {}
    for i, spec in enumerate(specs):
        by_batch.setdefault(min(options.batch_size, len(spec.train)), []).append(i)
    fits: list[Fit] = [None] * len(specs)
    for batch, ids in sorted(by_batch.items()):
        per_chunk = stack_chunk(options, tuple(x.shape[1:]), tuple(y.shape[1:]), batch)
        for start in range(0, len(ids), per_chunk):
            chunk = ids[start : start + per_chunk]
            for i, fit in zip(chunk, _StackTrainer(xt, yt, [specs[i] for i in chunk], options, bound, batch).run()):
                fits[i] = fit
    return fits


def member_bytes(options, shape_x: tuple, shape_y: tuple, batch: int) -> int:
    """Estimated memory one fit adds to a training step: its (batch x batch) scores, its activations (every leaf
    module's output on a batch, pair heads included, found by running the critic once on a batch of zeros; FLO's
    u network, run on the batch's positive pairs only, is left out: it is small beside the scores) and its
    parameters, each times the copies a step keeps (forward values, gradients, Adam moments,
    snapshots; SCORE_COPIES etc., measured on CPU with MLP critics of 64 and 256 hidden units)."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        critic = make_critic(options, shape_x, shape_y)
        outputs = []
        hooks = [m.register_forward_hook(lambda m, i, out: outputs.append(out))
                 for m in critic.modules() if not list(m.children())]
        noise = torch.zeros(batch, critic.noise_dim)
        critic(torch.zeros(batch, *shape_x), torch.zeros(batch, *shape_y), op="train", noise_x=noise, noise_y=noise)
        for hook in hooks:
            hook.remove()
    activations = sum(out.numel() for out in outputs if isinstance(out, torch.Tensor))
    parameters = sum(p.numel() for p in critic.parameters())
    scores = batch * batch
    return 4 * (SCORE_COPIES * scores + ACTIVATION_COPIES * activations + PARAMETER_COPIES * parameters)


def stack_chunk(options, shape_x: tuple, shape_y: tuple, batch: int) -> int:
    """Fits trained at once: as many as options.stack_memory_mb holds (`member_bytes`), at least one."""
    return max(1, options.stack_memory_mb * 2**20 // member_bytes(options, shape_x, shape_y, batch))


def _builder(options, shape_x: tuple, shape_y: tuple, specs: list[FitSpec]):
    """build(m): member m's critic, at its own embedding size widened to the stack's (FitSpec.member_options)."""

    def build(m: int):
        width = specs[m].member_options.get("embedding_dim", options.embedding_dim)
        if width == options.embedding_dim:
            return make_critic(options, shape_x, shape_y)
        critic = make_critic(options.replace(embedding_dim=width), shape_x, shape_y).widened(options.embedding_dim)
        if critic is None:
            raise ValueError(f"critic {options.critic!r} with embedding {options.embedding!r} cannot be widened "
                             f"from {width} to {options.embedding_dim} dimensions")
        return critic

    return build


def widenable(options) -> set:
    """The MEMBER_OPTIONS that fits of one stack may differ in with these options: the Adam settings always,
    embedding_dim with the separable critic on a named embedding (hidden widths are not padded: hidden layers
    cost the square of their width, so a padded narrow fit would cost the widest's; benchmarks/results/scans.md)."""
    if options.critic != "separable" or not isinstance(options.embedding, str):
        return {"learning_rate", "weight_decay"}
    return set(MEMBER_OPTIONS)


def _per_member(options, specs: list[FitSpec], name: str, device):
    """options' `name` for every member, a (k,) tensor, when some spec sets its own; else the plain number."""
    if not any(name in s.member_options for s in specs):
        return getattr(options, name)
    return torch.tensor([float(s.member_options.get(name, getattr(options, name))) for s in specs], device=device)


def _moments(data: torch.Tensor, idx: np.ndarray, standardize: bool):
    """Per-feature mean and std of the training samples, shaped to broadcast over (B, ...) batches."""
    shape = (1,) * (data.dim() - 1) + (data.shape[-1],)
    if not standardize:
        return torch.zeros(shape, device=data.device), torch.ones(shape, device=data.device)
    sub = data[torch.as_tensor(idx, device=data.device)].double()
    dims = tuple(range(data.dim() - 1))
    std = sub.std(dims)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return sub.mean(dims).float().reshape(shape), std.float().reshape(shape)


def _valid(sets: list[_Blocks], device) -> torch.Tensor | None:
    """(sets, blocks, width) mask of the real entries of sets of one shape; None when none is padded."""
    if all(s.valid is None for s in sets):
        return None
    return torch.as_tensor(np.stack([np.ones(s.index.shape, bool) if s.valid is None else s.valid for s in sets]),
                           device=device)


def _values(stats: RowStats) -> list:
    return [getattr(stats, f.name) for f in fields(stats)]


def _size_buckets(sizes: list) -> list[list[int]]:
    """Runs of equal values in ascending `sizes`: members are scored together only with sets of one shape, so a
    member's numbers never depend on which others share its stack."""
    buckets, start = [], 0
    for i in range(1, len(sizes) + 1):
        if i == len(sizes) or sizes[i] != sizes[start]:
            buckets.append(list(range(start, i)))
            start = i
    return buckets


class _StackTrainer:
    """Trains members sharing one batch size until each stops."""

    def __init__(self, xt, yt, specs, options, bound: Bound, batch: int):
        self.x, self.y, self.options, self.bound, self.batch = xt, yt, options, bound, batch
        device = xt.device
        self.stack = ModelStack(_builder(options, tuple(xt.shape[1:]), tuple(yt.shape[1:]), specs),
                                [s.seed for s in specs], device)
        k = len(specs)
        self.ids = list(range(k))
        self.members = [self._member(s) for s in specs]
        moments_x = [_moments(xt, s.train, options.standardize) for s in specs]
        moments_y = [_moments(yt, s.train, options.standardize) for s in specs]
        self.mu_x, self.sd_x = (torch.stack(v) for v in zip(*moments_x))
        self.mu_y, self.sd_y = (torch.stack(v) for v in zip(*moments_y))
        rate = _per_member(options, specs, "learning_rate", device)
        self.adam = StackedAdam(self.stack.params, rate, _per_member(options, specs, "weight_decay", device))
        self.bound_params = torch.zeros(k, max(bound.n_params, 1), device=device, requires_grad=bound.n_params > 0)
        self.bound_adam = StackedAdam({"b": self.bound_params}, rate)
        self.bound_state = bound.init_state(k, device)
        self.finished: dict[int, Fit] = {}
        self.pending: list[_Snapshot] = []
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
                         probe_sets=[_probe_blocks(val_set, spec.val, probe) for probe in spec.probes])
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

    def _snapshot(self, p: int, epoch: int) -> _Snapshot:
        return _Snapshot(p, epoch, {n: t[p].detach().clone() for n, t in self.stack.params.items()},
                         self.bound_params[p].detach().clone())

    def _batch(self, data, idx, mu, sd):
        return (data[idx] - mu) / sd

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
            stop = should_stop(np.array(m.val_fit), o.patience, o.median_window, o.smoothing_sigma)
            if stop or snap.epoch + 1 >= o.max_epochs:
                self.finished[self.ids[p]] = self._fit(m, stop)
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

    def _evaluate(self, tasks: list[tuple[_Snapshot, _Blocks]], keep: list[bool]) -> tuple[np.ndarray, list]:
        """Bound estimate, standard error, bias gap (nats) and fit quality (`_density_fit`) of each (snapshot, set)
        task: shape (tasks, 4); and for the tasks marked in `keep`, the per-sample terms in sorted sample order
        (None for the others).

        Only sets of one block shape are scored together, in chunks of a size fixed by that shape (at most
        EVAL_CHUNK_MAX, holding about eval_floats() scores), a short chunk padded with
        copies of its first task, and with row blocks whose size depends only on the shape: batched matrix
        products may round differently for different batch counts, so this keeps a member's numbers the same
        bits whichever members share its stack. One transfer to the host (and one per chunk with kept terms).
        """
        order = sorted(range(len(tasks)), key=lambda i: tasks[i][1].index.shape)
        out, terms = [None] * len(tasks), [None] * len(tasks)
        for bucket in _size_buckets([tasks[i][1].index.shape for i in order]):
            ids = [order[j] for j in bucket]
            width = tasks[ids[0]][1].index.shape[1]
            fitting = eval_floats(self.x.device) // (width * width * self.stack.pair_width)
            chunk = min(EVAL_CHUNK_MAX, max(1, fitting))
            for c in range(0, len(ids), chunk):
                part = ids[c : c + chunk]
                padded = part + part[:1] * (chunk - len(part))
                values, rows = self._evaluate_chunk([tasks[i][0] for i in padded], [tasks[i][1] for i in padded],
                                                    any(keep[i] for i in part))
                rows = None if rows is None else rows.cpu().numpy()
                for k, i in enumerate(part):
                    out[i] = values[k]
                    if keep[i]:
                        terms[i] = _in_sample_order(rows[k], tasks[i][1])
        return torch.stack(out).cpu().numpy(), terms

    @torch.no_grad()
    def _evaluate_chunk(self, snaps: list[_Snapshot], sets: list[_Blocks], with_terms: bool = False):
        """Row statistics are written into tensors made once per chunk: small results kept alive between the
        row blocks' score matrices would fragment the heap, which then grows by a block per block."""
        device = self.x.device
        pos = torch.as_tensor([s.position for s in snaps], device=device, dtype=torch.long)
        weights = {n: torch.stack([s.params[n] for s in snaps]) for n in snaps[0].params}
        weights.update({n: t[pos] for n, t in self.stack.buffers.items()})
        idx = torch.as_tensor(np.stack([s.index.ravel() for s in sets]), device=device)
        xe = self._batch(self.x, idx, self.mu_x[pos], self.sd_x[pos])
        ye = self._batch(self.y, idx, self.mu_y[pos], self.sd_y[pos])
        valid = _valid(sets, device)
        stats, row = None, 0
        for b, offset, block in self._score_blocks(weights, xe, ye, sets[0].index.shape):
            part = row_stats(block, offset, None if valid is None else valid[:, b, None], self.bound.off_transform,
                             self.bound.uses_off, self.bound.uses_mean)
            if stats is None:
                stats = RowStats(*(None if v is None else v.new_empty(len(snaps), idx.shape[1]) for v in _values(part)))
            for whole, v in zip(_values(stats), _values(part)):
                if v is not None:
                    whole[:, row : row + v.shape[1]] = v
            row += part.diag.shape[1]
        valid_rows = torch.ones_like(stats.diag, dtype=torch.bool) if valid is None else valid.flatten(1)
        bound_params = torch.stack([s.bound_params for s in snaps])
        log_marginal = self.stack.call("marginal", xe, ye, tensors=weights) if self.bound.needs_density else None
        if log_marginal is not None:
            stats.log_marginal = log_marginal - self._log_scale_y(pos)
        if self.bound.needs_shift:
            stats.shift = self.stack.call("shift", xe, ye, tensors=weights)
        if self.bound.needs_proposals:
            stats.correction = self._corrections(snaps, weights, xe, ye)
        terms = self.bound.rows(stats, bound_params, valid_rows)
        mean, se = row_estimate(terms, valid_rows)
        fit = self._density_fit(stats, log_marginal, valid_rows) if self.bound.selects_on_densities else mean
        values = torch.stack([mean, se, self.bound.gap(stats, bound_params, valid_rows).to(mean.dtype), fit], 1)
        return values, terms.float() if with_terms else None

    def _corrections(self, snaps: list[_Snapshot], weights: dict, xe, ye) -> torch.Tensor:
        """The hybrid bound's per-sample corrections (op "proposal"), in row blocks of a size fixed by the options:
        each row scores its proposal_samples - 1 draws through f, so a block holds rows x draws x hidden
        activations per member, about eval_floats() for a full chunk."""
        o, n = self.options, xe.shape[1]
        noise = self._evaluation_noise(snaps, n).to(xe.device)
        width = o.proposal_samples * max(o.hidden_dim, o.embedding_dim, self.y[0].numel())
        rows = max(1, eval_floats(xe.device) // (EVAL_CHUNK_MAX * width))
        return torch.cat([self.stack.call("proposal", xe[:, r : r + rows], ye[:, r : r + rows], tensors=weights,
                                          noise_x=noise[:, r : r + rows], noise_y=noise[:, r : r + rows])
                          for r in range(0, n, rows)], 1)

    def _evaluation_noise(self, snaps: list[_Snapshot], n: int) -> torch.Tensor:
        """(snapshots, n, noise_dim) noise for scoring n samples: each member's from its own seed, the same at
        every evaluation (so its curve does not move with fresh draws)."""
        seeds = [int(self.members[s.position].spec.seed) + EVALUATION_NOISE_SEED for s in snaps]
        return torch.stack([torch.randn((n, self.stack.noise_dim), generator=torch.Generator().manual_seed(seed))
                            for seed in seeds])

    @staticmethod
    def _density_fit(stats, log_marginal, valid_rows) -> torch.Tensor:
        """What stopping and selection maximise for a density bound (the bound's value otherwise): the held-out
        log-likelihood of its two densities on standardised Y, mean log q(y|x) + mean log q(y) (its value is no
        bound to maximise, and its maximum comes early, while the marginal density still lags the conditional
        one)."""
        return row_estimate(stats.diag, valid_rows)[0] + 2 * row_estimate(log_marginal, valid_rows)[0]

    def _log_scale_y(self, pos) -> torch.Tensor:
        """log |det| of the standardisation of one Y sample, per member (k, 1): the members' log standard
        deviations summed over the features, times the time points sharing each feature's scale."""
        repeats = math.prod(self.y.shape[1:-1])
        return repeats * torch.log(self.sd_y[pos].double()).flatten(1).sum(-1, keepdim=True).to(self.sd_y.dtype)

    def _score_blocks(self, weights, xe, ye, shape):
        """(block, first row, scores) of each row block of every set block, in row order.

        A set block is scored as a whole in one call when it fits in a row block; otherwise embeddings are
        computed once and rows go in blocks of about eval_floats() / EVAL_MEMBERS scores per set.
        """
        count, width = shape
        rows = max(1, eval_floats(self.x.device) // (EVAL_MEMBERS * width * self.stack.pair_width))
        if count == 1 and rows >= width:
            yield 0, 0, self.stack.call("score", xe, ye, tensors=weights)
            return
        ex, ey = self.stack.call("encode", xe, ye, tensors=weights)
        for b in range(count):
            ey_b = ey[:, b * width : (b + 1) * width]
            for r0 in range(0, width, rows):
                yield b, r0, self.stack.call("pair", ex[:, b * width + r0 : b * width + min(r0 + rows, width)], ey_b,
                                             tensors=weights)

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
