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
from neuralmi.data.io import load_array, load_spikes
from neuralmi.errors import InputError
from neuralmi.outputs import damage, damaged_outputs, read_parquet, write_parquet
from snakemake_jobs import TINY_CONFIG, TINY_OPTIONS, workdir

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.faults
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
    where = workdir(tmp_path_factory.mktemp("faults"), TINY_CONFIG)
    first = Run(where, "first")
    first.wait_for("rule plan_analysis:")  # the lock is held
    second = snakemake(where)
    first.wait_for("rule train_fits:", 2)  # with one core, a training job has finished and the next starts
    first.kill()
    announced = first.text.count("rule train_fits:")
    after_training_kill = outputs(where)
    locked = snakemake(where)  # a killed Snakemake leaves its lock: the next run asks for --unlock
    snakemake(where, "--unlock")
    resumed = Run(where, "resumed")
    resumed.wait_for("rule summarise_analysis:")  # every fit is written; the summary job starts
    resumed.kill()
    after_summary_kill = outputs(where)
    snakemake(where, "--unlock")
    last = Run(where, "last")
    code = last.finish()
    return {"where": where, "second": second, "locked": locked, "announced": announced, "first": first.text,
            "resumed": resumed.text, "last": last.text, "code": code, "after_training_kill": after_training_kill,
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
    finished = len([p for p in before if p.parts[2] == "fits"])
    assert finished == interrupted["announced"] - 1 and finished < 3  # killed while a training job ran
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
    expected = neuralmi.run(x, y, mode="rigorous", seed=2, threads=1, progress=False, **TINY_OPTIONS)
    assert neuralmi.load(where / "results/tiny").mi == expected.mi


def test_an_output_truncated_by_a_crash_elsewhere_is_found_removed_and_rebuilt(interrupted):
    where = interrupted["where"]
    fit = where / "results/tiny/fits/1.parquet"
    whole = pd.read_parquet(fit)
    fit.write_bytes(fit.read_bytes()[: fit.stat().st_size // 2])
    result_before = (where / "results/tiny/result.json").read_bytes()
    stray = where / "results/elsewhere/table.parquet"  # not an output of this config
    stray.parent.mkdir()
    stray.write_bytes(b"PAR1 cut")
    for only_names in (("-n",), ("--unlock",)):  # a dry run, and a run of no job, name it and leave it
        told = snakemake(where, *only_names)
        assert "results/tiny/fits/1.parquet: not a complete Parquet file" in told.stderr, told.stderr[-2000:]
        assert "a run would remove and rebuild it" in told.stderr and fit.exists()
    done = snakemake(where)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "results/tiny/fits/1.parquet: not a complete Parquet file" in done.stderr
    assert "results/elsewhere/table.parquet: not a complete Parquet file" in done.stderr and stray.exists()
    assert "left alone" in done.stderr
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


def test_the_one_hot_windows_a_majority_is_taken_over_count_towards_memory(monkeypatch):
    """Majority states are (windows, 1, states), but are found from the one-hot windows (windows, length, states)."""
    monkeypatch.setattr(memory, "available_bytes", lambda: (50 * 2**20, "MemAvailable in /proc/meminfo"))
    rng = np.random.default_rng(0)
    states = rng.integers(0, 4, 20_000)
    with pytest.raises(InputError, match=r"\(19937, 1, 4\): windows x length x channels\) would take 54.5 MiB"):
        neuralmi.run(rng.normal(size=(20_000, 1)), states, processor_x="continuous",
                     processor_y={"processor": "categorical", "categorical_encoding": "majority"}, window_size=64,
                     step_size=1, progress=False)


def test_an_array_file_larger_than_memory_is_refused_before_it_is_read(monkeypatch, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((100_000, 8)))
    monkeypatch.setattr(memory, "available_bytes", lambda: (4 * 2**20, "the cgroup limit"))
    with pytest.raises(InputError, match=r"x.npy \(float64 \(100000, 8\).* 9.2 MiB of memory, more than the 4.0 MiB"):
        load_array(tmp_path / "x.npy")


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_memory_limit_is_the_smaller_of_the_system_and_the_process_cgroup(tmp_path, version):
    """A SLURM job's cgroup: its own limit, less what it holds beyond reclaimable page cache, when that is below
    the system's MemAvailable; the system's when the group has no limit."""
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n")
    (proc / "self/cgroup").write_text("0::/slurm/job_7\n" if version == "v2" else "4:memory:/slurm/job_7\n0::/\n")
    group = cgroup / ("slurm/job_7" if version == "v2" else "memory/slurm/job_7")
    group.mkdir(parents=True)
    names = ("memory.max", "memory.current") if version == "v2" else ("memory.limit_in_bytes",
                                                                       "memory.usage_in_bytes")
    (group / names[0]).write_text(f"{2 * 2**30}\n")
    (group / names[1]).write_text(f"{int(1.5 * 2**30)}\n")
    (group / "memory.stat").write_text(f"anon 100\n{'inactive_file' if version == 'v2' else 'total_inactive_file'} "
                                       f"{2**29}\n")
    room, where = memory.available_bytes(proc, cgroup)
    assert room == 2**30 and where.startswith(f"the cgroup limit {group / names[0]}")
    (group / names[0]).write_text("max\n" if version == "v2" else f"{2**63 - 4096}\n")
    assert memory.available_bytes(proc, cgroup) == (4000000 * 1024, "MemAvailable in /proc/meminfo")


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
    ("x.npy", _cut, "cannot be read as a .npy file (2464 bytes; "),
    ("x.npz", _cut, "cannot be read as a .npz file ("),
    ("x.parquet", _cut, "cannot be read as a .parquet file ("),
])
def test_an_empty_or_cut_input_file_is_named(tmp_path, name, spoil, fragment):
    path = tmp_path / name
    spoil(path)
    with pytest.raises(InputError) as err:
        load_array(path)
    assert str(err.value).startswith(f"{path}: {fragment}")


def test_an_empty_spike_file_is_named(tmp_path):
    _empty(tmp_path / "spikes.parquet")
    with pytest.raises(InputError, match=r"spikes.parquet: the file is empty \(0 bytes\)"):
        load_spikes(tmp_path / "spikes.parquet")


def test_an_empty_dataset_file_stops_the_workflow_before_any_job(tmp_path):
    config = {**TINY_CONFIG, "datasets": {"mine": {"x": "resources/x.npy", "y": "resources/y.npy"}},
              "analyses": {"tiny": {**TINY_CONFIG["analyses"]["tiny"], "dataset": "mine"}}}
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
    kwargs = {"processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100, "window_size": 0.1,
              "max_epochs": 2, "progress": False, "seed": 0}
    in_order = neuralmi.run([spikes[0], spikes[1]], signal_, **kwargs)
    shuffled = neuralmi.run([rng.permutation(spikes[0]), spikes[1]], signal_, **kwargs)
    assert in_order.mi == shuffled.mi
