"""How much memory a stack's members take, and so how many train at once."""

from __future__ import annotations

import torch

from neuralmi.nets.factory import make_critic

EVAL_FLOATS = 2**20
SCORE_COPIES, ACTIVATION_COPIES, PARAMETER_COPIES = 4, 3, 6


def eval_floats(device: torch.device) -> int:
    """Scores held at once by one evaluation call: a few MB on CPU, so blocks stay in cache; more elsewhere."""
    return EVAL_FLOATS if device.type == "cpu" else 16 * EVAL_FLOATS


def member_bytes(options, shape_x: tuple, shape_y: tuple, batch: int) -> int:
    """Estimated memory one fit adds to a training step: its (batch x batch) scores, its activations (every leaf
    module's output on a batch, pair heads included, found by running the critic once on a batch of zeros; FLO's
    u network, run on the batch's positive pairs only, is left out: it is small beside the scores) and its
    parameters, each times the copies a step keeps (forward values, gradients, Adam moments,
    snapshots; SCORE_COPIES etc., measured on CPU with MLP critics of 64 and 256 hidden units; a learned scale
    keeps the unscaled scores too)."""
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
    scores = (SCORE_COPIES + bool(options.learned_scale)) * batch * batch
    return 4 * (scores + ACTIVATION_COPIES * activations + PARAMETER_COPIES * parameters)


def stack_chunk(options, shape_x: tuple, shape_y: tuple, batch: int) -> int:
    """Fits trained at once: as many as options.stack_memory_mb holds (`member_bytes`), at least one."""
    return max(1, options.stack_memory_mb * 2**20 // member_bytes(options, shape_x, shape_y, batch))
