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
    from rnncli.cells.catalog import describe_cells
    from rnncli.render.cells import render_cells

    text = (ROOT / "docs" / "cells.md").read_text(encoding="utf-8")
    for cell in cell_names():
        generated = render_cells(describe_cells(cell, None), "markdown")
        for line in generated.splitlines():
            if line.startswith("- `"):
                assert line in text, f"docs/cells.md is out of date: {line}"


# --- every example of every --help runs as written ---------------------------------------------

def help_examples() -> list[tuple[str, str]]:
    """Returns (command, example line) for every example that `--help` shows, the
    continuation lines (ending in a backslash) joined."""
    found = []
    for command in [None] + COMMANDS:
        args = ["--help"] if command is None else [command, "--help"]
        text = CliRunner().invoke(cli, args).stdout
        in_block = False
        pending = ""
        for line in text.splitlines():
            stripped = line.strip()
            if re.fullmatch(r"Examples?:", stripped):
                in_block = True
                continue
            if not in_block:
                continue
            if not stripped:
                in_block = False
                continue
            pending += stripped
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip() + " "
                continue
            found.append((command or "rnncli", pending))
            pending = ""
    return found


HELP_EXAMPLES = help_examples()
# Examples that need a program rnncli does not install: skipped, with the reason, where absent.
NEEDS = {"--render": ("dot", "needs Graphviz's dot to lay the graph out")}


def test_every_command_shows_examples_that_the_test_below_runs():
    shown = {command for command, _ in HELP_EXAMPLES}
    assert shown == {"rnncli", *COMMANDS}
    assert all(line.startswith("rnncli ") for _, line in HELP_EXAMPLES)


@pytest.mark.parametrize("command, example", HELP_EXAMPLES,
                         ids=[f"{c}:{e[7:60]}" for c, e in HELP_EXAMPLES])
def test_every_help_example_runs_as_written(tmp_path, monkeypatch, command, example):
    """From a copy of the repository's problems/ (so that files the examples write land in
    a temporary folder), the shell's words and globs as bash would expand them."""
    import glob
    import shlex

    for option, (program, reason) in NEEDS.items():
        if option in example and shutil.which(program) is None:
            pytest.skip(reason)
    shutil.copytree(ROOT / "problems", tmp_path / "problems")
    monkeypatch.chdir(tmp_path)
    words = []
    for word in shlex.split(example)[1:]:
        matches = sorted(glob.glob(word)) if any(c in word for c in "*?[") else []
        words.extend(matches or [word])
    result = CliRunner().invoke(cli, words)
    shown = result.stdout + result.stderr
    assert "Traceback" not in shown
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    # 1 is grade's "points lost"; 2 (an error) never.
    assert result.exit_code in (0, 1), f"`{example}` exited {result.exit_code}:\n{shown}"
    assert result.stdout or result.stderr.startswith("wrote ") or Path(words[-1]).is_file()


# --- the product stands alone ------------------------------------------------------------------

def product_files() -> list[Path]:
    """Returns every text file a user installs or reads: README, docs/, problems/, rnncli/."""
    files = [ROOT / "README.md", ROOT / "setup.cfg", ROOT / "pyproject.toml"]
    for folder in ("docs", "problems", "rnncli"):
        files += [p for p in sorted((ROOT / folder).rglob("*"))
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def test_product_files_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in product_files()}
    assert {"README.md", "docs/file-formats.md", "rnncli/cells/data/lstm/goodfellow.yaml",
            "problems/lstm-goodfellow-forward.yaml", "rnncli/cli/grade.py"} <= names


# `vary: {seed: 2026}` (exam variants) is a random seed, a word of the product's own;
# what must not appear is the material the product was made from: the seed sheets.
@pytest.mark.parametrize("pattern", [r"shared/", r"\bseeds?[ _-]?0\d", r"\bseeds\b", r"\bseed (sheet|exercise|problem|question)"])
def test_nothing_a_user_reads_points_outside_the_repository(pattern):
    """Users install rnncli without the material it was made from: no file of the product
    may point at it (`shared/...`) or speak of it ("seeds", "seed002", "seed sheet")."""
    import re

    word = re.compile(pattern, re.IGNORECASE)
    hits = []
    for path in product_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if word.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    for command in COMMANDS:
        help_text = CliRunner().invoke(cli, [command, "--help"]).stdout
        hits += [f"rnncli {command} --help: {line.strip()}" for line in help_text.splitlines()
                 if word.search(line)]
    assert hits == []


# The exercise sheets the shipped problems come from, as their `source:` cites them.
SHEETS = {
    "Luleå University of Technology, D7047E Advanced Deep Learning, Exercise 4 Theory (2023)",
    "University of Hildesheim, Deep Learning Exercise Sheet 9 (SoSe 2018)",
    "Deep Learning, Theoretical Exercises Week 13, Chapter 10 (FS 2024, T. Méndez and G. Schuster)",
    "CS 280 (Fall 2020, X. He and L. Xu), Quiz 7",
    'Aidan Gomez, "Backpropogating an LSTM: A Numerical Example"',   # a published worked example
}


@pytest.mark.parametrize("path", sorted((ROOT / "problems").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_problems_cite_their_sheet_by_course_and_title(path):
    import yaml

    source = yaml.safe_load(path.read_text(encoding="utf-8"))["source"]
    if source.startswith("rnncli's own"):
        return  # made for rnncli, from no sheet
    assert any(source.startswith(sheet) for sheet in SHEETS), source


def test_the_file_format_reference_names_every_json_schema():
    """Every `rnncli/<name>@<version>` the code writes is documented in docs/file-formats.md."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "rnncli").rglob("*.py")))
    schemas = set(re.findall(r"rnncli/[a-z-]+@\d+", code))
    assert {"rnncli/trace@1", "rnncli/params@1", "rnncli/grade@1"} <= schemas
    reference = (ROOT / "docs" / "file-formats.md").read_text(encoding="utf-8")
    assert sorted(s for s in schemas if f"`{s}`" not in reference) == []


def test_docs_link_only_to_pages_that_exist():
    for page in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


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
