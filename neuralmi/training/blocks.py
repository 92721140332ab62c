"""Sets scored at each evaluation, cut into blocks: a held-out or training set of up to eval_block_size samples is
scored all pairs against all; a larger one is cut, in a random order fixed per fit, into blocks of at most that
size, and only pairs within a block are scored (so the InfoNCE ceiling is log(block size), `Fit.eval_n`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TRAIN_EVAL_MAX = 2**15


@dataclass
class Blocks:
    """A set scored at each evaluation: `index` (blocks, width) holds its n sample indices, `valid` marks real entries
    (None: all are; shorter blocks are padded)."""

    n: int
    index: np.ndarray
    valid: np.ndarray | None

    def smallest(self) -> int:
        """Entries of the smallest block."""
        return self.index.shape[1] if self.valid is None else int(self.valid.sum(1).min())


def eval_blocks(idx: np.ndarray, size: int | None, rng: np.random.Generator) -> Blocks:
    """`idx` as one block if it has at most `size` entries; otherwise cut, in an order drawn from `rng`, into
    ceil(n / size) contiguous blocks whose sizes differ by at most one."""
    n = len(idx)
    count = 1 if size is None or n <= size else -(-n // size)
    order = idx if count == 1 else rng.permutation(idx)
    edges = np.arange(count + 1) * n // count
    pos = edges[:-1, None] + np.arange(int(np.diff(edges).max()))
    valid = pos < edges[1:, None]
    return Blocks(n, order[np.where(valid, pos, edges[:-1, None])], None if valid.all() else valid)


def probe_blocks(val_set: Blocks, val: np.ndarray, probe: np.ndarray) -> Blocks:
    """A probe of the held-out set blocked exactly like it: each held-out index replaced by its probe entry."""
    probe = np.asarray(probe)
    if probe.shape != val.shape:
        raise ValueError(f"probe of {probe.shape} entries for {val.shape} held-out samples")
    order = np.argsort(val, kind="stable")
    positions = order[np.searchsorted(val[order], val_set.index)]
    return Blocks(val_set.n, probe[positions], val_set.valid)


def in_sample_order(terms: np.ndarray, blocks: Blocks) -> np.ndarray:
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


def valid_mask(sets: list[Blocks], device) -> torch.Tensor | None:
    """(sets, blocks, width) mask of the real entries of sets of one shape; None when none is padded."""
    if all(s.valid is None for s in sets):
        return None
    return torch.as_tensor(np.stack([np.ones(s.index.shape, bool) if s.valid is None else s.valid for s in sets]),
                           device=device)


def size_buckets(sizes: list) -> list[list[int]]:
    """Runs of equal values in ascending `sizes`: members are scored together only with sets of one shape, so a
    member's numbers never depend on which others share its stack."""
    buckets, start = [], 0
    for i in range(1, len(sizes) + 1):
        if i == len(sizes) or sizes[i] != sizes[start]:
            buckets.append(list(range(start, i)))
            start = i
    return buckets
