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
            if "lstm" in path.stem:
                runs.append(["lstm-trace", str(path)])
            runs.append(["trace", str(path), "--precision", "1"])
        if level in ("trace", "symbolic"):
            problem = load_problem(str(path))
            last = (problem.time_start + problem.n_steps - 1) if problem.n_steps else 3
            quantity_steps = ["--to", str(min(last, 5) if "five" in path.stem else min(last, 3))]
            runs.append(["unroll", str(path), *quantity_steps])
            runs.append(["unroll", str(path), *quantity_steps, "--let"])
        if level != "symbolic":
            runs.append(["count-params", str(path)])
    runs.append(["count-params", "--cell", "lstm", "--input-size", "20", "--hidden-size", "128",
                 "--compare", "gru,lstm-coupled,lstm@64,rnn"])
    runs.append(["count-params", "--cell", "lstm", "--convention", "pytorch", "--input-size",
                 "10", "--hidden-size", "20", "--layers", "2", "--bidirectional", "--steps", "5"])
    # Self-check for the files that name their problem; an exam variant's answers are graded
    # against the student's variant of the instructor's file.
    variant_answers = [a for a in ANSWERS if a.stem.startswith("variant-")]
    runs += [["grade", str(a)] for a in ANSWERS if a not in variant_answers]
    runs.append(["grade", "--problem", str(ROOT / "problems" / "lstm-goodfellow-forward.yaml"),
                 *(str(a) for a in ANSWERS if "lstm" in a.stem and a not in variant_answers)])
    runs.append(["grade", "--problem", str(ROOT / "problems" / "lstm-goodfellow-variants.yaml"),
                 "--variants", "30", *(str(a) for a in variant_answers)])
    for path in PROBLEMS:
        problem = load_problem(str(path))
        if problem.loss is not None:
            runs.append(["gradients", str(path)])
    runs.append(["jacobian", str(ROOT / "problems" / "lstm-dcdc.yaml"), "--of", "c"])
    runs.append(["jacobian", str(ROOT / "problems" / "rnn-vanishing-gradients.yaml"), "--of", "h"])
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
    with_latex = {name for name, command in cli.commands.items()
                  for option in command.params
                  if option.name == "output_format" and "latex" in getattr(option.type, "choices", ())}
    # `solve` writes its figures as files beside the document (-o FILE.tex): its LaTeX is
    # compiled in tests/test_solve.py, figures included.
    assert with_latex == {"trace", "lstm-trace", "unroll", "count-params", "grade", "cells", "solve",
                          "gradients", "jacobian"}
    assert {args[0] for args in RUNS} == with_latex - {"solve"}


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


def _random_formulas(count: int, values: bool = True) -> list[str]:
    """Returns `count` random expression trees in LaTeX, breakable, as align* rows would hold them.

    Without `values`, the trees are symbolic (names and numbers), as the
    equations and unrolled formulas are: a Value inside a concatenation makes
    it a column vector, whose rows cannot break.
    """
    import random

    from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Number, Step, Value
    from rnncli.language.printing.latex import LatexPrinter

    rng = random.Random(8)

    def tree(depth: int):
        if depth == 0 or rng.random() < 0.25:
            leaves = [Name(rng.choice(["h", "x", "W_f", "h_tilde", "s1"]), rng.randint(0, 2)),
                      Step("h", rng.randint(-1, 5)), Number(rng.choice([0.5, -2.0, 3.0, 1e-300]))]
            if values:
                leaves.append(Value(rng.choice([1e-300, -0.25, 12.5]), rng.random() < 0.5))
            return rng.choice(leaves)
        kind = rng.random()
        if kind < 0.6:
            return BinOp(rng.choice(["+", "-", "*", "/", "@", "**"]), tree(depth - 1), tree(depth - 1))
        if kind < 0.75:
            return Neg(tree(depth - 1))
        if kind < 0.9:
            return Call(rng.choice(["sigmoid", "tanh", "relu", "f"]), (tree(depth - 1),))
        return Concat((tree(depth - 1), tree(depth - 1)))

    printer = LatexPrinter(step=3, breakable=True, constants={"W_f"},
                           scalar=lambda node: rng.random() < 0.5)
    return [printer.doprint(tree(6)) for _ in range(count)]


def test_random_formulas_have_no_double_superscript():
    from rnncli.render.latex import BREAK

    for formula in _random_formulas(300):
        formula = formula.replace(BREAK, "")
        assert formula.count("{") == formula.count("}")
        assert formula.count("\\left") == formula.count("\\right")
        # A superscript group followed at once by another ^ is a LaTeX error.
        depth, closing = 0, []
        for i, char in enumerate(formula):
            if char == "{":
                depth += 1
                closing.append(formula[i - 1] == "^")
            elif char == "}":
                depth -= 1
                was_superscript = closing.pop()
                assert not (was_superscript and formula[i + 1:i + 2] == "^"), formula


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
def test_random_formulas_compile_and_fit_the_page(tmp_path):
    from rnncli.render.latex import align_rows, document

    formulas = _random_formulas(120, values=False)
    rows = [(f"q_{{{i}}}", [formula]) for i, formula in enumerate(formulas)]
    log = compile_latex(document("Random formulas", align_rows(rows)), tmp_path)
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(w <= 1.0 for w in overfull), overfull
