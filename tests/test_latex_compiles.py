"""Every `--format latex` output compiles with pdflatex and fits an A4 page.

Runs every command that has a LaTeX format on every shipped problem it
accepts, compiles the document with pdflatex and fails on an error or on an
overfull box wider than 1 pt. Skipped where pdflatex is not installed (CI may
not have it); `apt-get install texlive-latex-base texlive-latex-recommended`
is enough.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.files.problem import load_problem, problem_level

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
ANSWERS = sorted((ROOT / "problems" / "answers").glob("*.yaml"))
PDFLATEX = shutil.which("pdflatex")


def _level(path: Path) -> str:
    return problem_level(load_problem(str(path)))


def commands() -> list[list[str]]:
    runs = []
    for path in PROBLEMS:
        level = _level(path)
        if level == "trace":
            runs.append(["trace", str(path)])
            runs.append(["trace", str(path), "--precision", "1"])
        if level in ("trace", "symbolic"):
            quantity_steps = ["--to", "3"] if "five" not in path.stem else ["--to", "5"]
            runs.append(["unroll", str(path), *quantity_steps])
            runs.append(["unroll", str(path), *quantity_steps, "--let"])
        if level != "symbolic":
            runs.append(["count-params", str(path)])
    runs.append(["count-params", "--cell", "lstm", "--input-size", "20", "--hidden-size", "128",
                 "--compare", "gru,lstm-coupled,lstm@64,rnn"])
    runs.append(["count-params", "--cell", "lstm", "--convention", "pytorch", "--input-size",
                 "10", "--hidden-size", "20", "--layers", "2", "--bidirectional", "--steps", "5"])
    runs += [["grade", str(a)] for a in ANSWERS]
    runs.append(["grade", "--problem", str(ROOT / "problems" / "lstm-goodfellow-forward.yaml"),
                 *(str(a) for a in ANSWERS if "lstm" in a.stem)])
    runs.append(["cells"])
    runs += [["cells", cell] for cell in ("rnn", "lstm", "gru", "lstm-coupled", "lstm-peephole")]
    return runs


RUNS = commands()


def latex_of(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--format", "latex"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output     # grade exits 1 when points are lost
    return result.stdout


def compile_latex(text: str, folder: Path) -> str:
    """Returns pdflatex's log of compiling `text` (asserting it succeeded)."""
    (folder / "doc.tex").write_text(text, encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=120)
    log = (folder / "doc.log").read_text(encoding="latin-1")
    assert run.returncode == 0, log[-3000:]
    return log


def test_every_command_with_latex_is_covered():
    covered = {args[0] for args in RUNS}
    assert covered == {"trace", "unroll", "count-params", "grade", "cells"}


def test_every_latex_output_is_a_whole_ascii_document():
    for args in RUNS:
        text = latex_of(args)
        assert text.startswith("\\documentclass"), args
        assert text.rstrip().endswith("\\end{document}"), args
        assert text.isascii(), (args, [c for c in text if not c.isascii()][:5])


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("args", RUNS, ids=[" ".join(Path(a).name for a in r) for r in RUNS])
def test_latex_compiles_and_fits_the_page(args, tmp_path):
    log = compile_latex(latex_of(args), tmp_path)
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(w <= 1.0 for w in overfull), f"overfull boxes {overfull} for {args}"


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
def test_a_power_and_a_tiny_value_compile(tmp_path):
    problem = tmp_path / "p.yaml"
    problem.write_text("equations:\n  h: w * x + h[t-1] ** 2\nparams: {w: 1.0e-300}\n"
                       "inputs: {x: [1, 2]}\n")
    text = latex_of(["trace", str(problem)])
    assert r"\left(h^{(0)}\right)^{2}" in text
    assert r"1 \cdot 10^{-300}" in text
    compile_latex(text, tmp_path)
