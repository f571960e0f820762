"""Inputs without `inputs:` (contract §11): x, x1, x_t are inputs; every other undefined name is a parameter.

The oracle for the count is the contract's own number (the two-layer
feedback network with sizes x 6, h1 8, h2 5, y 4 has 298 parameters) and
the per-parameter products written out below from the equations by hand.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rnncli.cells.build import build_cell
from rnncli.cli import cli
from rnncli.files.problem import parse_problem
from rnncli.solve.counting import count_parameters

EQUATIONS = """equations:
  h1: tanh(U @ x + V @ h1[t-1] + W @ h2[t-1] + b)
  h2: tanh(R @ h1 + S @ h2[t-1] + T @ y[t-1] + c)
  y: softmax(P @ x + Q @ h2 + d)
sizes: {x: 6, h1: 8, h2: 5, y: 4}
"""
# Every parameter's shape, read off the equations: (rows, columns) or (length,).
BY_HAND = {"U": 8 * 6, "V": 8 * 8, "W": 8 * 5, "b": 8, "R": 5 * 8, "S": 5 * 5, "T": 5 * 4,
           "c": 5, "P": 4 * 6, "Q": 4 * 5, "d": 4}
HEADING = "Inputs by name: x is an input"


def run(tmp_path, text, *args):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, [args[0], str(path), *args[1:]], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_contract_network_without_inputs_counts_298():
    count = count_parameters(parse_problem(EQUATIONS))
    assert sum(BY_HAND.values()) == 298
    assert count.total == 298
    assert {r.name: r.count for r in count.rows} == BY_HAND
    assert count.inputs_by_name == ("x",)


def test_count_params_says_which_names_were_taken_as_inputs(tmp_path):
    code, out, err = run(tmp_path, EQUATIONS, "count-params")
    assert (code, err) == (0, "")
    assert "Total: 298 parameters" in out
    heading = out.split("\n\n")[0]
    assert HEADING in heading
    code, out, _ = run(tmp_path, EQUATIONS, "count-params", "--format", "markdown")
    assert HEADING in out.split("| parameter")[0]


def test_json_only_adds_a_key_to_what_inputs_x_prints(tmp_path):
    _, without, _ = run(tmp_path, EQUATIONS, "count-params", "--format", "json")
    _, declared, _ = run(tmp_path, EQUATIONS + "inputs: [x]\n", "count-params", "--format", "json")
    without, declared = json.loads(without), json.loads(declared)
    assert without.pop("inputs_by_name") == ["x"]
    assert "inputs_by_name" not in declared
    assert json.dumps(without) == json.dumps(declared)


def test_graph_has_the_input_node_and_says_so(tmp_path):
    code, out, err = run(tmp_path, EQUATIONS, "graph", "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert {"id": "x", "name": "x", "step": None, "kind": "input"} in document["nodes"]
    edges = {(e["from"], e["to"]) for e in document["edges"]}
    assert {("x", "h1"), ("x", "y")} <= edges
    assert document["inputs_by_name"] == ["x"]
    _, text, _ = run(tmp_path, EQUATIONS, "graph")
    assert text.splitlines()[1].startswith(HEADING)
    assert "nodes: x (input), h1, h2, y" in text
    _, unfolded, _ = run(tmp_path, EQUATIONS, "graph", "--unfold", "2")
    assert unfolded.splitlines()[1].startswith(HEADING)
    assert "step 2 (inputs x(2))" in unfolded
    for output_format in ("dot", "mermaid"):
        _, drawn, _ = run(tmp_path, EQUATIONS, "graph", "--format", output_format)
        assert HEADING in drawn


def test_unroll_indexes_the_input_by_step(tmp_path):
    code, out, err = run(tmp_path, EQUATIONS, "unroll", "--to", "2", "--quantity", "h1",
                         "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["formula"].startswith("tanh(U @ x[2] + V @ tanh(U @ x[1] + ")
    assert document["inputs_by_name"] == ["x"]
    _, text, _ = run(tmp_path, EQUATIONS, "unroll", "--to", "2", "--quantity", "h1")
    heading, formula = text.splitlines()
    assert heading.startswith(HEADING)
    assert formula.startswith("h1(2) = tanh(U·x(2) + V·tanh(U·x(1)")
    _, markdown, _ = run(tmp_path, EQUATIONS, "unroll", "--to", "1", "--format", "markdown")
    assert HEADING in markdown and "inputs: $x^{(1)}$" in markdown
    _, latex, _ = run(tmp_path, EQUATIONS, "unroll", "--to", "1", "--format", "latex")
    assert "Inputs by name: x is an input" in latex and "x^{(1)}" in latex


@pytest.mark.parametrize("name", ["x", "x1", "x_t", "x2_prev", "x10", "x_"])
def test_names_that_read_as_inputs_are_inputs(name):
    cell = build_cell(parse_problem(f"equations:\n  h: tanh(W @ {name} + U @ h[t-1])\n"),
                      shapes=False, evaluate=False)
    assert cell.inputs == (name,) and cell.inputs_by_name == (name,)
    assert cell.params == ("W", "U")


@pytest.mark.parametrize("name", ["xy", "ex", "X", "xt", "y_x", "xi"])
def test_other_names_stay_parameters(name):
    cell = build_cell(parse_problem(f"equations:\n  h: tanh(W @ {name} + U @ h[t-1])\n"),
                      shapes=False, evaluate=False)
    assert cell.inputs == () and cell.inputs_by_name == ()
    assert name in cell.params


def test_a_name_with_a_value_stays_a_parameter():
    problem = parse_problem("equations:\n  h: tanh(w * x1 + x2 * h[t-1])\n"
                            "params: {w: 0.5, x2: 0.25}\ninputs: {x1: [1, 2]}\n")
    cell = build_cell(problem)
    assert cell.inputs == ("x1",) and cell.params == ("w", "x2")
    problem = parse_problem("equations:\n  h: tanh(w * x + x1 * h[t-1])\nparams: {w: 0.5, x1: 2}\n"
                            "steps: 2\n")
    cell = build_cell(problem, shapes=False, evaluate=False)
    assert cell.inputs == ("x",) and cell.params == ("w", "x1")


def test_inputs_key_overrides_the_rule():
    text = "equations:\n  h: tanh(W @ x1 + V @ x2 + U @ h[t-1])\n"
    cell = build_cell(parse_problem(text + "inputs: [x1]\n"), shapes=False, evaluate=False)
    assert cell.inputs == ("x1",) and cell.inputs_by_name == ()
    assert cell.params == ("W", "V", "x2", "U")
    cell = build_cell(parse_problem(text + "inputs: []\n"), shapes=False, evaluate=False)
    assert cell.inputs == () and "x1" in cell.params
    cell = build_cell(parse_problem(text), shapes=False, evaluate=False)
    assert cell.inputs == ("x1", "x2") and cell.inputs_by_name == ("x1", "x2")


def test_a_count_with_inputs_declared_has_no_inputs_by_name_line(tmp_path):
    for text in (EQUATIONS + "inputs: [x]\n",
                 "cell: rnn\nsizes: {input: 3, hidden: 4}\n"):
        code, out, _ = run(tmp_path, text, "count-params")
        assert code == 0 and "Inputs by name" not in out


def test_trace_asks_for_the_values_of_an_input_by_name(tmp_path):
    text = "equations:\n  h: tanh(w * x + u * h[t-1])\nparams: {w: 0.5, u: 0.25}\nsteps: 2\n"
    code, out, err = run(tmp_path, text, "trace")
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and "input `x` has no values" in err
