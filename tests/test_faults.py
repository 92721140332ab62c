"""Faults injected on purpose (marker `faults`): a write killed midway, a full disk, a workflow run killed while
training and while summarising, a second run on the same directory, an output left truncated by a crash elsewhere,
data too large for memory. Each checks what the user sees and that nothing finished before was lost or changed
(checksums before and after). Bad input files and values: tests/test_inputs.py and the end of this file.
"""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.data import memory
from neuralmi.data.datasets import side_from_table
from neuralmi.data.io import load_array
from neuralmi.errors import InputError
from neuralmi.outputs import damage, damaged_outputs, read_parquet, write_parquet
from snakemake_jobs import workdir

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.faults
OPTIONS = {"gammas": [1, 2], "min_gammas": 2, "max_epochs": 4, "hidden_dim": 8, "embedding_dim": 2}
CONFIG = {
    "datasets": {"gauss": {"generator": "correlated_gaussian",
                           "params": {"n": 400, "dim_x": 2, "dim_y": 2, "mi": 1.0, "seed": 3}, "truth": 1.0}},
    "analyses": {"tiny": {"dataset": "gauss", "mode": "rigorous", "options": OPTIONS, "seed": 2}},
    "units": "bits",
    "seed": 0,
    "training": {"group": "fit", "threads": 1},  # three training jobs: 1 + 2 fits
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outputs(where: Path) -> dict:
    """Checksums of the finished tables and results (Parquet, JSON; hidden temporary files apart)."""
    return {p.relative_to(where): sha256(p) for p in sorted((where / "results").rglob("*"))
            if p.suffix in (".parquet", ".json") and not p.name.startswith(".")}


class Run:
    """A Snakemake run in its own process group, its output in a file, killable at a line it prints."""

    def __init__(self, where: Path, name: str):
        self.log = where / f"{name}.out"
        self.handle = open(self.log, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=where,
                                        stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, line: str, count: int = 1, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while self.text.count(line) < count:
            assert self.process.poll() is None, f"ended before {line!r} x{count}:\n{self.text[-3000:]}"
            assert time.monotonic() < deadline, self.text[-3000:]
            time.sleep(0.05)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.handle.close()

    def finish(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout=timeout)
        self.handle.close()
        return code


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """The tiny workflow run as a user's might go: killed (SIGKILL, as by the OOM killer or a closed terminal) while
    its second training job runs, with a second run tried on the same directory meanwhile; then killed again while
    summarising; then run to the end. Checksums of the finished outputs at each kill."""
    where = workdir(tmp_path_factory.mktemp("faults"), CONFIG)
    first = Run(where, "first")
    first.wait_for("rule train_fits:", 2)
    second = snakemake(where)
    time.sleep(1.0)  # the second training job is now starting torch or training
    first.kill()
    after_training_kill = outputs(where)
    locked = snakemake(where)  # a killed Snakemake leaves its lock: the next run asks for --unlock
    snakemake(where, "--unlock")
    resumed = Run(where, "resumed")
    resumed.wait_for("rule summarise_analysis:")
    time.sleep(0.5)
    resumed.kill()
    after_summary_kill = outputs(where)
    snakemake(where, "--unlock")
    last = Run(where, "last")
    code = last.finish()
    return {"where": where, "second": second, "locked": locked, "first": first.text, "resumed": resumed.text,
            "last": last.text, "code": code, "after_training_kill": after_training_kill,
            "after_summary_kill": after_summary_kill, "final": outputs(where)}


def snakemake(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=where, capture_output=True,
                          text=True, timeout=300)


def test_a_second_run_on_the_same_directory_is_refused_and_changes_nothing(interrupted):
    second = interrupted["second"]
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout + second.stderr, second.stderr[-2000:]
    assert "rule train_fits" not in second.stdout + second.stderr


def test_a_run_killed_while_training_resumes_after_unlock_and_loses_nothing(interrupted):
    locked = interrupted["locked"]
    assert locked.returncode != 0 and "It can be removed with the --unlock argument" in locked.stderr
    assert interrupted["code"] == 0, interrupted["last"][-3000:]
    before, final = interrupted["after_training_kill"], interrupted["final"]
    assert Path("results/tiny/fits/0.parquet") in before  # the first training job had finished
    assert len([p for p in before if p.parts[2] == "fits"]) < 3  # and the last had not
    changed = [p for p, digest in before.items() if final.get(p) != digest]
    assert not changed, changed  # every output finished before the kill is there, byte for byte
    for text in (interrupted["resumed"], interrupted["last"]):
        assert "rule prepare_dataset:" not in text and "rule plan_analysis:" not in text


def test_a_run_killed_while_summarising_resumes_and_gives_the_uninterrupted_numbers(interrupted):
    where = interrupted["where"]
    before, final = interrupted["after_summary_kill"], interrupted["final"]
    assert len([p for p in before if p.parts[2] == "fits"]) == 3 and Path("results/tiny/result.json") not in before
    assert all(final[p] == digest for p, digest in before.items())
    assert "rule train_fits:" not in interrupted["last"]  # only what was missing ran
    x, y = (side_from_table(pd.read_parquet(where / f"results/datasets/gauss/{s}.parquet")) for s in ("x", "y"))
    expected = neuralmi.run(x, y, mode="rigorous", seed=2, threads=1, progress=False, **OPTIONS)
    assert neuralmi.load(where / "results/tiny").mi == expected.mi


def test_an_output_truncated_by_a_crash_elsewhere_is_found_removed_and_rebuilt(interrupted):
    where = interrupted["where"]
    fit = where / "results/tiny/fits/1.parquet"
    whole = pd.read_parquet(fit)
    fit.write_bytes(fit.read_bytes()[: fit.stat().st_size // 2])
    result_before = (where / "results/tiny/result.json").read_bytes()
    dry = snakemake(where, "-n")
    assert "results/tiny/fits/1.parquet: not a complete Parquet file" in dry.stderr, dry.stderr[-2000:]
    assert "would be removed" in dry.stderr and fit.exists()  # a dry run only names it
    done = snakemake(where)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "results/tiny/fits/1.parquet: not a complete Parquet file" in done.stderr
    rebuilt = pd.read_parquet(fit)
    numbers = [c for c in whole.columns if c != "seconds"]
    pd.testing.assert_frame_equal(rebuilt[numbers], whole[numbers])
    assert (where / "results/tiny/result.json").read_bytes() == result_before


def test_damaged_outputs_are_told_from_whole_ones(tmp_path):
    write_parquet(tmp_path / "whole.parquet", pd.DataFrame({"a": [1.0, 2.0]}))
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "cut.parquet").write_bytes((tmp_path / "whole.parquet").read_bytes()[:-9])
    (tmp_path / "cut.json").write_text('{"mi": 0.5, "ci_')
    (tmp_path / ".in-progress.parquet").write_bytes(b"PAR1")  # a write in progress: hidden, never judged
    found = {p.name: why for p, why in damaged_outputs(tmp_path)}
    assert set(found) == {"empty.parquet", "cut.parquet", "cut.json"}
    assert "no footer" in found["cut.parquet"] and found["empty.parquet"] == "empty (0 bytes)"
    assert damage(tmp_path / "whole.parquet") is None
    with pytest.raises(InputError, match=r"cut.parquet: not a complete Parquet file .*--forcerun"):
        read_parquet(tmp_path / "cut.parquet")


WRITER = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from neuralmi.outputs import write_atomic, write_parquet
    path = sys.argv[1]
    write_parquet(path, pd.DataFrame({"v": [1.0, 2.0]}))
    def slow(tmp):
        with open(tmp, "wb") as handle:
            handle.write(b"PAR1" + bytes(4096))
            handle.flush()
            print("half written", flush=True)
            time.sleep(60)
    write_atomic(path, slow)
""")


def test_a_write_killed_midway_leaves_the_finished_file_whole(tmp_path):
    path = tmp_path / "table.parquet"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "half written"
    writer.kill()
    writer.wait()
    assert pd.read_parquet(path)["v"].tolist() == [1.0, 2.0]  # the earlier version, whole
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    assert len(leftovers) == 1 and leftovers[0].startswith(".table.parquet.")  # hidden, never read or judged
    assert damaged_outputs(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (needs root; CI runs as root)."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_fails_the_write_and_keeps_the_finished_file(small_disk):
    path = small_disk / "fits.parquet"
    write_parquet(path, pd.DataFrame({"v": [1.0, 2.0]}))
    before = sha256(path)
    big = pd.DataFrame(np.random.default_rng(0).normal(size=(40_000, 4)), columns=list("abcd"))
    with pytest.raises(OSError) as err:
        write_parquet(path, big)
    assert "No space left" in str(err.value) or err.value.errno == 28
    assert sha256(path) == before and [p.name for p in small_disk.iterdir()] == ["fits.parquet"]


def test_windows_larger_than_memory_stop_before_training_naming_both_sizes(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: (50 * 2**20, "MemAvailable in /proc/meminfo"))
    signal_ = np.random.default_rng(0).normal(size=(20_000, 16))
    with pytest.raises(InputError) as err:
        neuralmi.run(signal_, signal_[:, :2], processor_x="continuous", processor_y="continuous", window_size=64,
                     step_size=1, progress=False)
    message = str(err.value)
    assert "the windows of this recording ((19937, 64, 16) and (19937, 64, 2)" in message
    assert "more than the 50.0 MiB available (MemAvailable in /proc/meminfo)" in message and "step_size" in message
    # the same data in fewer windows fits
    neuralmi.run(signal_[:2000], signal_[:2000, :2], processor_x="continuous", processor_y="continuous",
                 window_size=4, step_size=4, max_epochs=1, progress=False)


def test_an_array_file_larger_than_memory_is_refused_before_it_is_read(monkeypatch, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((100_000, 8)))
    monkeypatch.setattr(memory, "available_bytes", lambda: (4 * 2**20, "the cgroup limit"))
    with pytest.raises(InputError, match=r"x.npy \(float64 \(100000, 8\).* 15.3 MiB of memory, more than the 4.0 MiB"):
        load_array(tmp_path / "x.npy")


def test_the_memory_limit_is_the_smaller_of_the_system_and_the_container():
    room = memory.available_bytes()
    assert room is not None and room[0] > 0  # Linux: /proc/meminfo at least


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _cut(path: Path) -> None:
    """A whole file of its kind, then its second half lost (a copy that did not finish)."""
    x = np.random.default_rng(0).normal(size=(300, 2))
    if path.suffix == ".npy":
        np.save(path, x)
    elif path.suffix == ".npz":
        np.savez(path, x=x)
    else:
        pd.DataFrame(x, columns=["a", "b"]).to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("name, spoil, fragment", [
    ("x.npy", _empty, "the file is empty (0 bytes)"),
    ("x.csv", _empty, "the file is empty (0 bytes)"),
    ("x.parquet", _empty, "the file is empty (0 bytes)"),
    ("x.npz", _empty, "the file is empty (0 bytes)"),
    ("x.npy", _cut, "not a readable .npy file (2464 bytes; "),
    ("x.npz", _cut, "not a readable .npz file ("),
    ("x.parquet", _cut, "not a readable .parquet file ("),
])
def test_an_empty_or_cut_input_file_is_named(tmp_path, name, spoil, fragment):
    path = tmp_path / name
    spoil(path)
    with pytest.raises(InputError) as err:
        load_array(path)
    assert str(err.value).startswith(f"{path}: {fragment}")


def test_an_empty_spike_file_is_named(tmp_path):
    from neuralmi.data.io import load_spikes

    _empty(tmp_path / "spikes.parquet")
    with pytest.raises(InputError, match=r"spikes.parquet: the file is empty \(0 bytes\)"):
        load_spikes(tmp_path / "spikes.parquet")


def test_an_empty_dataset_file_stops_the_workflow_before_any_job(tmp_path):
    config = {**CONFIG, "datasets": {"mine": {"x": "resources/x.npy", "y": "resources/y.npy"}},
              "analyses": {"tiny": {**CONFIG["analyses"]["tiny"], "dataset": "mine"}}}
    where = workdir(tmp_path, config)
    np.save(where / "resources/y.npy", np.zeros((10, 1)))
    _empty(where / "resources/x.npy")
    done = snakemake(where)
    assert done.returncode != 0
    assert "config datasets.mine.x: 'resources/x.npy' is empty (0 bytes)" in done.stderr, done.stderr[-2000:]
    assert not (where / "results").exists()


def test_constant_columns_are_named_in_a_warning_and_the_estimate_is_near_zero():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 3)), rng.normal(size=(400, 2))
    x[:, 1] = 3.0
    with pytest.warns(UserWarning, match=r"x: feature 1 is constant over all 400 rows"):
        neuralmi.run(x, y, max_epochs=2, progress=False)
    with pytest.warns(UserWarning, match=r"y: every channel is constant over all 400 rows"):
        result = neuralmi.run(x, np.ones((400, 2)), processor_x="continuous", processor_y="continuous",
                              max_epochs=3, progress=False)
    assert abs(result.mi) < 0.05


def test_unsorted_spike_times_are_sorted_and_a_silent_neuron_is_kept():
    rng = np.random.default_rng(1)
    spikes = [np.sort(rng.uniform(0, 20, 300)), np.array([])]
    signal_ = rng.normal(size=(2000, 1))
    kwargs = {"processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100, "window_size": 0.1, "max_epochs": 2,
              "progress": False, "seed": 0}
    in_order = neuralmi.run([spikes[0], spikes[1]], signal_, **kwargs)
    shuffled = neuralmi.run([rng.permutation(spikes[0]), spikes[1]], signal_, **kwargs)
    assert in_order.mi == shuffled.mi
