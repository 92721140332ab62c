"""The report as a reader sees it: results/report.html opened in headless Chromium, every result of every
category clicked open; every analysis's figures must render as images and the summary table must be shown.
Skipped where Chromium is absent, except on CI (CI=true), where .ci/run installs it."""

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snakemake_jobs import workdir

pytest.importorskip("snakemake")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("no Chromium here (Debian: apt-get install chromium)", allow_module_level=True)

DRIVER = Path(__file__).with_name("report_driver.js")
FAST = {"max_epochs": 5, "hidden_dim": 16, "embedding_dim": 4, "batch_size": 64}
CONFIG = {
    "datasets": {
        "gauss": {"generator": "task", "params": {"name": "gauss-1d-1bit", "n": 500, "seed": 1}},
        "population": {"generator": "population", "params": {"n": 400, "n_channels": 6, "latent_dim": 2}},
    },
    "analyses": {
        "gauss_rigorous": {"dataset": "gauss", "mode": "rigorous",
                           "options": {**FAST, "gammas": [1, 2, 3], "min_gammas": 2}},
        "dims": {"dataset": "population", "mode": "dimensionality",
                 "options": {**FAST, "embedding_dims": [1, 2], "repeats": 1}},
    },
    "figures": {"both": {"kind": "panels", "analyses": ["gauss_rigorous", "dims"]}},
    "training": {"group": "analysis", "threads": 1},
}


def shown_in_browser(report: Path) -> dict:
    page = report.read_text()
    end = page.rfind("</body>")
    driven = report.with_name("driven.html")
    driven.write_text(page[:end] + DRIVER.read_text() + page[end:])
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=60000",
                           "--dump-dom", driven.as_uri()], capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="neuralmi-check">(.*?)</pre>', done.stdout, re.S)
    assert found, f"Chromium rendered no check (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def test_the_report_shows_every_figure_and_the_summary_table_in_a_browser(tmp_path):
    assert CHROMIUM, "CI=true but Chromium is not installed (.ci/run installs Debian's chromium)"
    where = workdir(tmp_path, CONFIG)
    for args in (["--cores", "2"], ["--report", "results/report.html"]):
        done = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=where, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    shown = shown_in_browser(where / "results/report.html")
    assert "error" not in shown, shown.get("error")
    for name in CONFIG["analyses"]:
        figures = shown[name]
        assert set(figures) == {f"results/{name}/figures/{f}.png" for f in ("main", "curves")}
        for figure, view in figures.items():
            assert len(view["images"]) == 1 and view["images"][0]["width"] == 1050, (figure, view)
            assert f"filename={Path(figure).name}" in view["images"][0]["src"]
    assert shown["Figures"]["results/paper/both.png"]["images"][0]["width"] == 2160
    (frame,) = shown["Summary"]["results/summary.html"]["frames"]
    table = base64.b64decode(frame.split("base64,", 1)[1]).decode()
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    assert len(rows) == 1 + len(CONFIG["analyses"])
    assert all(any(f"<td>{name}</td>" in row for row in rows) for name in CONFIG["analyses"])
