"""One trainer for any number of independent fits, trained together as vectorised stacks: `train_fits`.

Each fit (a `FitSpec`: training indices, held-out indices, seed) keeps its own initialisation, mini-batch
order, Adam state, epochs, validation curve and early stopping; fits of different sizes coexist because every
member counts epochs over its own training samples. A member that stops leaves the stack, so the work left
shrinks as fits finish. Members sharing a batch size train in one stack, as many at once as the stack's memory
allows (training/memory.py).

A member is scored every `eval_every` epochs: the fewest whole epochs holding options.eval_interval optimiser
steps, so that the curves of small and large subsets have about the same resolution in steps (learning
progresses per step, not per pass over the data), and at its last epoch. Smoothing and patience count these
evaluations; patience_fraction adds a floor in steps (a fit trains on past its best for that fraction of the
steps it took to reach it), the same at every data size. Each evaluation scores the member on its whole held-out
set (never capped at the batch size) and on whole blocks of its training samples of the held-out blocks' size
(`blocks.training_eval_size`: a fixed random choice of as many blocks as fit, up to about TRAIN_EVAL_MAX samples):
the two curves then carry the same InfoNCE ceiling and can be compared, and the training-subset value, a mean
over several blocks, is several times less noisy than one block would be. Sets larger than
options.eval_block_size are cut into blocks (training/blocks.py), so evaluation costs time and memory linear in
the set size.

The modules of training/: `specs` (FitSpec, Fit), `trainer` (this entry point), `loop` (one stack's training
loop and stopping rule), `scoring` (deferred scoring of kept snapshots), `blocks` (scored sets cut into
blocks), `members` (each member's critic and Adam settings), `memory` (how many members fit at once),
`runtime` (device, threads, heap), `estimator` (bound and critic checked together), `splits` (held-out sets
and subsets), `smoothing` (the curve's smoothing and the stopping rule), `adam` (per-member Adam).
"""

from __future__ import annotations

import numpy as np
import torch

from neuralmi import kernels
from neuralmi.bounds import make_bound
from neuralmi.training.estimator import check_estimator
from neuralmi.training.loop import StackTrainer
from neuralmi.training.memory import stack_chunk
from neuralmi.training.runtime import cpu_threads, heap_kept, resolve_device
from neuralmi.training.specs import Fit, FitSpec


def train_fits(x: np.ndarray, y: np.ndarray, specs: list[FitSpec], options) -> list[Fit]:
    """Train every fit in `specs` on samples x, y (float32, samples in rows); results in the order given.

    With options.threads set, torch uses that many CPU threads for the call (summation order, and so the last
    bits of some results, depend on the thread count). The CPU kernel paths are the fixed ones (neuralmi/kernels.py),
    or a warning says why not.
    """
    kernels.check()
    with cpu_threads(options.threads), heap_kept():
        return _train_all(x, y, specs, options)


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
            for i, fit in zip(chunk, StackTrainer(xt, yt, [specs[i] for i in chunk], options, bound, batch).run()):
                fits[i] = fit
    return fits
