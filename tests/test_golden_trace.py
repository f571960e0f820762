"""Golden files: `rnncli trace` of every shipped problem with numbers, in every format.

One file per problem and format, tests/golden/trace/<problem>.<ext>. A new
problem under problems/ is picked up by itself; its golden files are written by

    RNNCLI_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_trace.py

and must be read before they are committed (the numbers in them are proven by
test_shipped_problems.py against the independent oracle).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.files.problem import problem_level
from rnncli.cli import cli
from rnncli.files.problem import load_problem
from golden import assert_matches_golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "trace"
FORMATS = {"text": "txt", "markdown": "md", "json": "json", "latex": "tex"}


def problems_with_numbers() -> list[Path]:
    return [p for p in sorted((ROOT / "problems").glob("*.yaml"))
            if problem_level(load_problem(str(p))) == "trace"]


CASES = [(p, f) for p in problems_with_numbers() for f in FORMATS]


@pytest.mark.parametrize("problem, output_format", CASES,
                         ids=[f"{p.stem}.{FORMATS[f]}" for p, f in CASES])
def test_trace_output_matches_its_golden_file(problem, output_format):
    result = CliRunner().invoke(cli, ["trace", str(problem), "--format", output_format],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert_matches_golden(GOLDEN / f"{problem.stem}.{FORMATS[output_format]}", result.stdout)


def test_every_shipped_problem_with_numbers_is_covered():
    names = {p.stem for p in problems_with_numbers()}
    assert {"lstm-goodfellow-forward", "two-layer-feedback-numbers", "gru-olah-forward",
            "lstm-standard"} <= names


def test_no_stale_golden_files():
    expected = {f"{p.stem}.{ext}" for p in problems_with_numbers() for ext in FORMATS.values()}
    assert {g.name for g in GOLDEN.iterdir()} <= expected
