"""The documentation site: it builds with warnings as errors (so its links, the generated reference tables and
every executed example hold), it has a page for every registered mode, and the README stays a front door."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from neuralmi.analysis.modes import MODES

ROOT = Path(__file__).resolve().parents[1]
README_LINES = 200


def test_the_site_builds_strictly_with_its_examples_executed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    lag = (tmp_path / "site" / "modes" / "lag" / "index.html").read_text()
    assert "peak lag" in lag and "<svg" in lag, "the lag page shows its executed example's finding and figure"
    options = (tmp_path / "site" / "reference" / "options" / "index.html").read_text()
    assert all(re.search(rf"<code[^>]*>{key}</code>", options) for key in ("bound", "lags", "null_permutations"))


def test_every_registered_mode_has_a_page_in_the_navigation():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = re.findall(r"modes/(\w+)\.md", yaml.safe_dump(config["nav"]))
    assert set(MODES) <= set(pages)
    assert all((ROOT / "docs" / "modes" / f"{name}.md").is_file() for name in MODES)


def test_the_readme_is_a_front_door_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_LINES
    assert "bash scripts/main.sh" in readme and "bash scripts/test.sh" in readme
