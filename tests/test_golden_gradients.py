"""Golden files: `rnncli gradients` and `rnncli jacobian` of the shipped problems, every format.

One file per problem, command and format under tests/golden/gradients/. The
numbers in them are proven elsewhere (test_gradients_torch.py, test_gradients.py,
test_jacobian.py); these prove the rendering. Regenerate with

    RNNCLI_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_gradients.py

and read the diff before committing.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from golden import assert_matches_golden
from rnncli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "gradients"
FORMATS = {"text": "txt", "markdown": "md", "json": "json", "latex": "tex"}
CASES = [
    ("gradients", "lstm-gomez-backprop", ["--lr", "0.1"]),
    ("gradients", "lstm-goodfellow-gradients", ["--clip-norm", "0.01", "--lr", "0.5"]),
    ("gradients", "lstm-dcdc-forget-closed", ["--clip-value", "0.003"]),
    ("gradients", "lstm-standard", ["--loss", "0.5 * sum((h - 1) ** 2)", "--mean"]),
    ("gradients", "lstm-gomez-backprop", ["--truncate", "1"]),
    ("jacobian", "lstm-dcdc", ["--of", "c"]),
    ("jacobian", "lstm-standard", ["--of", "c"]),
    ("jacobian", "rnn-exploding-gradients", ["--of", "h", "--to", "12"]),
]


def case_name(command, problem, options):
    suffix = "-".join(o.lstrip("-").replace(" ", "").replace("*", "x").replace("(", "")
                      .replace(")", "") for o in options[:1])
    return f"{command}-{problem}-{suffix}"


@pytest.mark.parametrize("command, problem, options", CASES,
                         ids=[case_name(*c) for c in CASES])
@pytest.mark.parametrize("output_format", list(FORMATS))
def test_output_matches_its_golden_file(command, problem, options, output_format):
    result = CliRunner().invoke(cli, [command, str(ROOT / "problems" / f"{problem}.yaml"), *options,
                                      "--format", output_format], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    name = case_name(command, problem, options)
    assert_matches_golden(GOLDEN / f"{name}.{FORMATS[output_format]}", result.stdout)


def test_no_stale_golden_files():
    expected = {f"{case_name(*c)}.{ext}" for c in CASES for ext in FORMATS.values()}
    assert {g.name for g in GOLDEN.iterdir()} <= expected
