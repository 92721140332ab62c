"""Analyses: the modes (`analysis/modes/`, one module each, behind the contract in `contract.py`) and the machinery
they share.

- `contract`: `Mode`, what a mode provides (required methods, hooks with defaults, declared capabilities).
- `modes/`: the registry (`modes/__init__.py`) and one module per mode.
- `points`: a mode's points, their samples and model inputs, planned and trained as stacks.
- `planning`: the plans (one fit per repeat, or one per cross-fitted fold; fits on the subsets of every gamma).
- `fits`: the plan, fit and curve tables, with their columns described.
- `summaries`: fit tables per point (parameters as columns, means with errors).
- `extrapolation`, `correction`: the subsample-and-extrapolate bias correction, cross-checked and judged.
- `paired`: differences of paired fits (the chain-rule modes).
- `verdicts`: the reasons not to trust a result that every mode shares.
- `null`: the permutation null (surrogates, p- and q-values); `bracket`: an upper bound beside the lower one.
- `result`: `MIResult`, saved and loaded; `plots`, `style`: shared figures and the house style; `paper`:
  figures that combine analyses.
"""
