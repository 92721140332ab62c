"""The package's structure as a checked contract: the layers of pyproject.toml's [tool.importlinter] (import-linter:
each layer imports only those below it, modes never import each other, no cycles between sibling modules),
no imports of the package's own modules tucked inside functions, and no module over ~400 lines."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "neuralmi"
LINT = [sys.executable, "-c",
        "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]
MAX_LINES = 420


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--config", str(where / "pyproject.toml"), "--no-cache"], cwd=where,
                          env={"PYTHONPATH": str(where), "PATH": ""}, capture_output=True, text=True)


def test_the_layer_contracts_hold():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The check can fail: a data module importing the API is named as the broken layer."""
    shutil.copytree(PACKAGE, tmp_path / "neuralmi", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    arrays = tmp_path / "neuralmi" / "data" / "arrays.py"
    arrays.write_text(arrays.read_text() + "\nfrom neuralmi.api import run  # noqa\n")
    done = _lint(tmp_path)
    assert done.returncode != 0 and "neuralmi.data.arrays -> neuralmi.api" in done.stdout


def test_no_function_imports_the_package():
    """An import of the package's own modules inside a function hides a loop or an upward import."""
    tucked = [f"{path.relative_to(ROOT)}:{n}" for path in PACKAGE.rglob("*.py")
              for n, line in enumerate(path.read_text().splitlines(), 1)
              if re.match(r"\s+(from|import) neuralmi\b", line)]
    assert tucked == []


def test_modules_stay_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert long == {}
