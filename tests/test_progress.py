"""The progress bar: drawn on a terminal (one redrawn line), silent without one or with progress=False, written
as lines to a log, and never a change to the numbers."""

import io
import sys

import pytest

import neuralmi
import neuralmi.progress as progress
from neuralmi.cli import main
from neuralmi.data.generators import correlated_gaussian

X, Y = correlated_gaussian(400, 2, 2, 1.0, seed=2)


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def stderr(monkeypatch):
    def use(stream):
        monkeypatch.setattr(sys, "stderr", stream)
        return stream

    return use


def test_a_terminal_gets_one_redrawn_line_that_ends_with_every_fit_done(stderr, fast, monkeypatch):
    monkeypatch.setattr(progress, "LIVE_EVERY", 0.0)
    shown = stderr(Terminal())
    result = neuralmi.run(X, Y, mode="rigorous", gammas=[1, 2], min_gammas=2, **fast)
    text = shown.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("\n") == 1
    draws = text.strip("\n").split("\r")[1:]
    lengths = [len(d) for d in draws]
    assert len(draws) > 2 and lengths == sorted(lengths)  # a shorter line is padded over a longer one
    assert "fits 0/3" in draws[0] and "% | fits 3/3 |" in draws[-1] and " left" not in draws[-1]
    assert f"{int(result.fits['n_epochs'].sum())} epochs" in draws[-1]
    assert "100%" in draws[-1]


def test_silent_without_a_terminal_or_with_progress_false(stderr, fast):
    plain = stderr(io.StringIO())
    quiet = neuralmi.run(X, Y, **fast)
    assert plain.getvalue() == ""
    shown = stderr(Terminal())
    assert neuralmi.run(X, Y, progress=False, **fast).mi == quiet.mi
    assert shown.getvalue() == ""


def test_a_log_gets_whole_lines(fast, monkeypatch):
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    log = io.StringIO()
    neuralmi.run(X, Y, progress=log, mode="rigorous", gammas=[1, 2], min_gammas=2, **fast)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) > 2
    assert lines[-1].startswith("neuralmi [") and "fits 3/3" in lines[-1]


def test_the_command_line_draws_on_a_terminal_unless_told_not_to(tmp_path, stderr, fast):
    import numpy as np

    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    args = ["run", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--out", str(tmp_path / "r.json"),
            *(f"--set={k}={v}" for k, v in fast.items())]
    shown = stderr(Terminal())
    assert main(args) == 0 and "fits 1/1" in shown.getvalue()
    shown = stderr(Terminal())
    assert main([*args, "--no-progress"]) == 0 and shown.getvalue() == ""
