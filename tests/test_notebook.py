"""Notebooks: results show themselves (`_repr_html_`, `_repr_markdown_`, `_repr_latex_`), tested
without Jupyter; `rnncli.solve(...)` from the top package, without numpy at `import rnncli`."""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rnncli.files.problem import load_problem
from rnncli.grading.batch import grade_files
from rnncli.solve.counting import count_parameters
from rnncli.solve.graphs import build_graph
from rnncli.solve.references import Reference, parse_reference
from rnncli.solve.series import trace_chart
from rnncli.solve.trace import run_trace
from rnncli.solve.unrolling import unroll

ROOT = Path(__file__).resolve().parents[1]
LSTM = str(ROOT / "problems/lstm-goodfellow-forward.yaml")
RNN = str(ROOT / "problems/rnn-unroll-five-steps.yaml")
GRAPH = str(ROOT / "problems/two-layer-feedback-graph.yaml")
M = "{http://www.w3.org/1998/Math/MathML}"


def _xml(fragment: str) -> ET.Element:
    return ET.fromstring(fragment)


def results():
    trace = run_trace(load_problem(LSTM))
    return {
        "trace": trace,
        "counts": count_parameters(load_problem(str(ROOT / "problems/rnn-params.yaml"))),
        "unrolled": unroll(load_problem(RNN), 5, "h"),
        "graph": build_graph(load_problem(GRAPH), 2),
        "chart": trace_chart(trace, ["h"]),
        "report": grade_files([str(ROOT / "problems/answers/lstm-goodfellow-ada.yaml")]),
    }


@pytest.mark.parametrize("name", ["trace", "counts", "unrolled", "graph", "chart", "report"])
def test_every_result_has_html_and_markdown(name):
    result = results()[name]
    html = result._repr_html_()
    root = _xml(html)            # one well-formed element: safe to embed in a notebook
    assert root.get("class") == "rnncli-sheet"
    markdown = result._repr_markdown_()
    assert markdown.strip()


def test_trace_repr_shows_the_working_with_the_numbers():
    trace = results()["trace"]
    root = _xml(trace._repr_html_())
    assert len(list(root.iter(f"{M}math"))) > 18
    text = "".join(root.itertext())
    assert "0.4225" in text and "0.8140" in text
    assert "s^{(1)}" in trace._repr_markdown_() and "0.2610" in trace._repr_latex_()
    assert trace._repr_latex_().startswith("$$\\begin{aligned}")


def test_unrolled_formula_repr_in_every_format():
    unrolled = results()["unrolled"]
    assert "f\\left(W x^{(5)}" in unrolled._repr_latex_()
    root = _xml(unrolled._repr_html_())
    assert sum(1 for mi in root.iter(f"{M}mi") if mi.text == "f") == 5


def test_graph_and_chart_reprs_are_svg():
    graph = results()["graph"]
    assert "<svg" in graph._repr_html_() and "```mermaid" in graph._repr_markdown_()
    assert graph._repr_latex_() is None           # nothing to typeset: Jupyter uses the HTML
    assert "<svg" in results()["chart"]._repr_html_()


def test_counts_and_grade_report_reprs_hold_their_tables():
    counts = results()["counts"]
    assert "20362" in counts._repr_html_() and "20362" in counts._repr_markdown_()
    report = results()["report"]
    assert "follow-through" in report._repr_html_() and "Score 8 / 9" in report._repr_markdown_()


def test_rnncli_solve_returns_a_sheet_that_shows_itself():
    import rnncli

    sheet = rnncli.solve(RNN, LSTM)
    assert [p.number for p in sheet.problems] == [1, 2]
    html = sheet._repr_html_()
    root = _xml(html)
    assert root.get("class") == "rnncli-sheet" and "Answer key" in "".join(root.itertext())
    assert "data:image/svg+xml;base64," in sheet._repr_markdown_()
    assert "\\text{unroll.h[5]}" in sheet._repr_latex_()
    assert rnncli.solve([RNN]).problems[0].problem.title == sheet.problems[0].problem.title


def test_import_rnncli_and_solve_load_no_numpy():
    code = ("import sys, rnncli\n"
            "from rnncli import solve\n"
            "assert 'numpy' not in sys.modules, 'numpy at import'\n"
            f"sheet = solve({RNN!r})\n"
            "assert 'numpy' in sys.modules\n"
            "print(type(sheet).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Sheet"


@pytest.mark.parametrize("text,ref,shown", [
    ("unroll.h[5]", Reference("unroll", "h", 5), "unroll.h[5]"),
    ("unroll.y", Reference("unroll", "y", None), "unroll.y"),
    ("graph", Reference("graph", "", None), "graph"),
    ("graph[3]", Reference("graph", "", 3), "graph[3]"),
    (" graph [ 3 ] ", Reference("graph", "", 3), "graph[3]"),
    ("plot", Reference("plot", "", None), "plot"),
    ("plot.h", Reference("plot", "h", None), "plot.h"),
    ("h[2]", Reference("quantity", "h", 2), "h[2]"),
    ("params.total", Reference("params", "total", None), "params.total"),
])
def test_sheet_references_parse_and_print_back(text, ref, shown):
    assert parse_reference(text) == ref and str(ref) == shown


@pytest.mark.parametrize("text", ["unroll.h[", "graph.h", "plot[2]", "unrol.h[5]", "graph[-1]"])
def test_malformed_sheet_references_are_errors(text):
    from rnncli.errors import ProblemError

    with pytest.raises(ProblemError):
        parse_reference(text)
