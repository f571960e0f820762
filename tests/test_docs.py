"""Documentation: every command has help with an example and is documented; help is cheap."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(cli.commands)


def documentation() -> str:
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def test_the_foundation_commands_exist():
    assert {"trace", "lstm-trace", "check", "cells"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout, f"`rnncli {command} --help` shows no example"
    assert f"rnncli {command}" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command):
    assert re.search(rf"rnncli {re.escape(command)}\b", documentation()), \
        f"`rnncli {command}` is not mentioned in README.md or docs/"


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_importing_the_cli_loads_neither_numpy_nor_rich():
    code = ("import sys, rnncli.cli; "
            "heavy = sorted(m for m in ('numpy', 'rich', 'yaml', 'orjson', 'matplotlib') "
            "if m in sys.modules); "
            "print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


def test_help_runs_without_numpy_or_rich():
    code = ("import sys, runpy; sys.argv = ['rnncli', '--help']\n"
            "try:\n    runpy.run_module('rnncli', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert exit.code in (0, None)\n"
            "print('LOADED', 'numpy' in sys.modules, 'rich' in sys.modules, "
            "'orjson' in sys.modules or 'matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert "Usage: rnncli" in result.stdout
    assert result.stdout.strip().endswith("LOADED False False False")


@pytest.mark.skipif(shutil.which("rnncli") is None, reason="the rnncli script is not installed")
def test_the_installed_script_shows_help():
    result = subprocess.run(["rnncli", "--help"], capture_output=True, text=True, check=True)
    assert "Usage: rnncli" in result.stdout and result.stderr == ""


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "rnncli", "--version"], capture_output=True,
                            text=True, cwd=ROOT, check=True)
    assert result.stdout.startswith("rnncli")


@pytest.mark.parametrize("page", ["equations.md", "problem-files.md", "cells.md", "testing.md"])
def test_foundation_pages_exist(page):
    assert (ROOT / "docs" / page).is_file()


def test_docs_cells_lists_every_convention():
    from rnncli.cells.builtin import cell_names, conventions

    text = (ROOT / "docs" / "cells.md").read_text(encoding="utf-8")
    for cell in cell_names():
        for convention in conventions(cell):
            assert f"## {cell} ({convention})" in text, (cell, convention)


def test_docs_cells_shows_the_equations_rnncli_uses():
    from rnncli.cells.builtin import cell_names
    from rnncli.cells.catalog import describe_cells, render_cells

    text = (ROOT / "docs" / "cells.md").read_text(encoding="utf-8")
    for cell in cell_names():
        generated = render_cells(describe_cells(cell, None), "markdown")
        for line in generated.splitlines():
            if line.startswith("- `"):
                assert line in text, f"docs/cells.md is out of date: {line}"


@pytest.mark.parametrize("argv", [
    ["unroll", "problems/rnn-unroll-five-steps.yaml", "--to", "3"],
    ["unroll", "problems/rnn-unroll-five-steps.yaml", "--to", "3", "--format", "latex"],
    ["graph", "problems/two-layer-feedback-graph.yaml"],
    ["graph", "problems/two-layer-feedback-graph.yaml", "--unfold", "3", "--format", "json"],
])
def test_unroll_and_graph_print_formulas_without_numpy(argv):
    """They never evaluate, so they need not pay numpy's import (issue: performance)."""
    code = ("import sys, runpy; sys.argv = ['rnncli'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('rnncli', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
            "print('LOADED', sorted(m for m in ('numpy', 'rich', 'orjson') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip().endswith("LOADED []"), result.stdout[-300:]
