"""Long traces in text: only the entries shown are formatted, and the summary table is cut
like a long vector (first and last steps, with a count) unless --all-steps."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from rnncli.cli import cli
from rnncli.files.problem import parse_problem
from rnncli.language.printing.base import format_number
from rnncli.render.trace import summary_rows, value_text
from rnncli.solve.trace import run_trace


def cut_after_formatting(value, precision):
    """The rule as it was written first: format every entry, then keep five."""
    flat = [format_number(v, precision).replace("-", "−") for v in value.ravel()]
    return "[" + ", ".join(flat[:3]) + ", …, " + ", ".join(flat[-2:]) + f"] ({len(flat)})"


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(9, 300), elements=st.floats(-1e6, 1e6)),
       st.integers(1, 8))
def test_a_long_vector_formats_only_what_it_shows(value, precision):
    assert value_text(value, precision) == cut_after_formatting(value, precision)


def problem_text(steps: int) -> str:
    rng = np.random.default_rng(3)
    return ("cell: rnn\nparams:\n  W_xh: [[0.5], [-0.25]]\n  W_hh: [[0.1, 0.2], [0.3, -0.1]]\n"
            "  b_h: [0, 0.1]\ninputs:\n  x: " + json.dumps(rng.uniform(-1, 1, steps).round(3).tolist())
            + "\n")


def test_a_long_summary_shows_first_and_last_steps_with_a_count():
    trace = run_trace(parse_problem(problem_text(30), "long.yaml"))
    header, rows = summary_rows(trace, 4)
    assert [r[0] for r in rows] == [str(t) for t in range(1, 11)] + ["…"] + [str(t) for t in range(26, 31)]
    assert "15 steps not shown" in rows[10][1] and len(rows[10]) == len(header)
    _, every = summary_rows(trace, 4, all_steps=True)
    assert [r[0] for r in every] == [str(t) for t in range(1, 31)]
    assert every[:10] == rows[:10] and every[-5:] == rows[-5:]


def test_a_short_summary_is_whole():
    trace = run_trace(parse_problem(problem_text(20), "short.yaml"))
    assert [r[0] for r in summary_rows(trace, 4)[1]] == [str(t) for t in range(1, 21)]


def test_all_steps_on_the_command_line(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(problem_text(30))
    for fmt in ("text", "markdown"):
        cut = CliRunner().invoke(cli, ["trace", str(path), "--format", fmt])
        whole = CliRunner().invoke(cli, ["trace", str(path), "--format", fmt, "--all-steps"])
        assert cut.exit_code == 0 and whole.exit_code == 0
        assert "15 steps not shown" in cut.stdout and "not shown" not in whole.stdout
        summary = whole.stdout.split("Summary")[-1]
        assert all(f" {t} " in summary for t in range(11, 26))
