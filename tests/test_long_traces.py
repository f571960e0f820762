"""Long traces: only the entries shown are formatted, the summary table is cut like a long
vector (first and last steps, with a count) and the working shows the first and last steps,
unless --all-steps."""
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


def test_a_long_working_shows_its_first_and_last_steps_exactly_as_the_whole_one():
    from rnncli.render.trace import text_lines
    from rnncli.render.worked import Skipped, worked_steps

    trace = run_trace(parse_problem(problem_text(30), "long.yaml"))
    shown = worked_steps(trace)
    assert [s.t if not isinstance(s, Skipped) else None for s in shown] == [1, 2, 3, None, 29, 30]
    gap = shown[3]
    assert (gap.first, gap.last, gap.count) == (4, 28, 25)
    # The steps worked alone print as in the whole working (the lagged reads of step 29
    # come from step 28, which is not worked but is in the trace).
    whole = list(text_lines(trace, 6, all_steps=True))
    cut = list(text_lines(trace, 6))
    assert [t for t, _, _ in whole] == list(range(1, 31))
    assert cut[:3] == whole[:3] and cut[4:] == whole[-2:] and cut[3][0] is None


def test_every_format_cuts_a_long_working_and_all_steps_restores_it(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(problem_text(30))
    for fmt in ("text", "markdown", "latex"):
        cut = CliRunner().invoke(cli, ["trace", str(path), "--format", fmt])
        whole = CliRunner().invoke(cli, ["trace", str(path), "--format", fmt, "--all-steps"])
        assert cut.exit_code == 0 and whole.exit_code == 0, (fmt, cut.output)
        assert "Steps t = 4 to 28 are worked the same way: 25 steps not shown" in cut.stdout
        steps = [t for t in range(1, 31) if f"Step t = {t}" in cut.stdout
                 or f"Step $t = {t}$" in cut.stdout]
        assert steps == [1, 2, 3, 29, 30], fmt
        assert "not shown" not in whole.stdout
        assert all(f"Step t = {t}" in whole.stdout or f"Step $t = {t}$" in whole.stdout
                   for t in range(1, 31))


def test_a_long_network_is_cut_in_each_direction(tmp_path):
    rng = np.random.default_rng(5)
    params = {f"{k}{s}": rng.uniform(-0.5, 0.5, shape).round(3).tolist()
              for s in ("_l0", "_l0_reverse")
              for k, shape in (("W_xh", (2, 1)), ("W_hh", (2, 2)), ("b_h", (2,)))}
    text = ("cell: rnn\nbidirectional: true\nparams:\n"
            + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in params.items())
            + "inputs:\n  x: " + json.dumps(rng.uniform(-1, 1, 25).round(3).tolist()) + "\n")
    path = tmp_path / "bi.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["trace", str(path)])
    assert result.exit_code == 0, result.output
    # The forward direction, the backward one, and `output`, which joins them.
    assert result.stdout.count("are worked the same way: 20 steps not shown") == 3


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=20),
                  elements=st.floats(-1e3, 1e3)), st.integers(1, 6))
def test_a_matrix_is_cut_like_a_vector_and_its_brackets_balance(value, precision):
    text = value_text(value, precision)
    assert text.count("[") == text.count("]")
    rows, columns = value.shape
    body = text.rsplit(" (", 1)[0] if text.endswith(")") else text
    shown_rows, depth, start = [], 0, 0
    inner = body[1:-1]
    for index, char in enumerate(inner + ","):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            shown_rows.append(inner[start:index].strip())
            start = index + 1
    assert len(shown_rows) == (6 if rows > 8 else rows)       # 3, "…", 2
    cut = rows > 8 or columns > 8
    assert text.endswith(f" ({rows}×{columns})") == cut
    first = shown_rows[0].lstrip("[").rstrip("]").split(", ")
    assert first == [format_number(v, precision).replace("-", "−") for v in value[0]] if columns <= 8 \
        else first[3] == "…" and len(first) == 6
