"""The wheel a user installs holds every module and the shipped knowledge base; built offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_module_and_the_shipped_base(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    for name in ("automl_cli", "metabase"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    # Offline: no index, and the build backend installed beside the tests (the test extra).
    offline = ["--no-deps", "--no-build-isolation", "--no-index", "-q"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *offline, "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("automl_cli-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "automl_cli").rglob("*.py")}
    assert modules and modules <= names
    shipped = {p.name for p in (REPO / "metabase").iterdir() if p.is_file()}
    assert "metabase.sqlite" in shipped
    assert {f"automl_cli/metabase/{name}" for name in shipped} <= names
