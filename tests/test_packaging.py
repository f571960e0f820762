"""Packaging: every folder of the package, the built-in cells' data folders included, is a
declared package, so that `pip install .` installs them without setuptools warnings."""
from __future__ import annotations

import configparser
import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnncli"


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def listed(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


def declared_packages() -> set[str]:
    """Returns the packages setuptools finds from setup.cfg's [options] (as at install time)."""
    setuptools = pytest.importorskip("setuptools")
    config = setup_cfg()
    assert config["options"]["packages"].strip() == "find_namespace:", \
        "plain find: skips folders without __init__.py, such as the cells' data folders"
    include = listed(config["options.packages.find"]["include"])
    return set(setuptools.find_namespace_packages(where=str(ROOT), include=include))


def package_folders() -> list[Path]:
    """Returns every folder of rnncli/ that holds a file (caches aside)."""
    folders = {path.parent for path in PACKAGE.rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    return sorted(folders)


def dotted(folder: Path) -> str:
    return ".".join(folder.relative_to(ROOT).parts)


def test_every_data_folder_of_the_built_in_cells_is_a_declared_package():
    packages = declared_packages()
    data = PACKAGE / "cells" / "data"
    data_folders = [folder for folder in package_folders() if data in (folder, *folder.parents)]
    assert len(data_folders) >= 6, "the built-in cells' data folders are missing"
    for folder in data_folders:
        assert dotted(folder) in packages, f"{dotted(folder)} is not declared in setup.cfg"


def test_every_folder_of_the_package_is_declared():
    packages = declared_packages()
    missing = [dotted(folder) for folder in package_folders() if dotted(folder) not in packages]
    assert missing == []


def test_every_data_file_matches_the_package_data_patterns():
    patterns = listed(setup_cfg()["options.package_data"]["*"])
    data = PACKAGE / "cells" / "data"
    files = [path for path in data.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert files
    for path in files:
        assert any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns), \
            f"{path.relative_to(ROOT)} would not be installed (package_data: {patterns})"


def test_building_the_package_warns_of_nothing_and_copies_every_cell(tmp_path):
    """setuptools' build_py, which `pip install .` runs, with every warning shown."""
    pytest.importorskip("setuptools")
    code = ("import sys, setuptools; "
            f"sys.argv = ['setup.py', '-q', 'build_py', '-d', {str(tmp_path / 'lib')!r}]; "
            "setuptools.setup()")
    result = subprocess.run([sys.executable, "-W", "always", "-c", code], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "would be ignored" not in result.stderr
    assert "Warning" not in result.stderr, result.stderr
    source = sorted(p.relative_to(ROOT) for p in (PACKAGE / "cells" / "data").rglob("*.yaml"))
    built = sorted(p.relative_to(tmp_path / "lib")
                   for p in (tmp_path / "lib" / "rnncli" / "cells" / "data").rglob("*.yaml"))
    assert built == source
