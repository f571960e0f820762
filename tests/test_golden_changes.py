"""Golden files of the what-if runs: `--set` with `--compare`, teacher forcing against free running.

tests/golden/changes/<case>.<ext>, rewritten by
`RNNCLI_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_changes.py`; the numbers
in them are proven by tests/test_changes.py (hand-edited problems, a numpy loop).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from golden import assert_matches_golden
from rnncli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "changes"
FORMATS = {"text": "txt", "markdown": "md", "json": "json", "latex": "tex"}
STANDARD = "problems/lstm-standard.yaml"
GATE = "(W_f @ x + U_f @ h[t-1] + b_f)"
CASES = {
    "lstm-forget-gate-zero": [STANDARD, "--set", "f=0", "--compare"],
    "lstm-forget-gate-hard-sigmoid": [STANDARD, "--set", f"f=hard_sigmoid{GATE}", "--compare"],
    "lstm-forget-gate-tanh": [STANDARD, "--set", f"f=tanh{GATE}", "--compare"],
    "lstm-forget-gate-relu": [STANDARD, "--set", f"f=relu{GATE}", "--compare"],
    "two-layer-feedback-teacher-forcing": ["problems/two-layer-feedback-teacher-forcing.yaml",
                                           "--compare"],
}


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_changed_runs_match_their_golden_files(case, output_format, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["trace", *CASES[case], "--format", output_format],
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert_matches_golden(GOLDEN / f"{case}.{FORMATS[output_format]}", result.stdout)


LATEX = [GOLDEN / f"{case}.tex" for case in CASES] + [
    Path(__file__).parent / "golden" / "trace" / "lstm-2layer-bidirectional-trace.tex",
    Path(__file__).parent / "golden" / "trace" / "two-layer-feedback-teacher-forcing.tex"]


@pytest.mark.parametrize("path", LATEX, ids=lambda p: p.stem)
def test_the_latex_compiles(path, tmp_path):
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    document = tmp_path / "doc.tex"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\\documentclass")      # every LaTeX output is a whole document
    document.write_text(text, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace")[-2000:]
