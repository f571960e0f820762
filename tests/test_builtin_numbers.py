"""A bare number for a built-in cell's matrix or vector parameter is an error naming both shapes.

Oracle for the count: PyTorch's documented shapes of nn.RNN's parameters
(https://pytorch.org/docs/stable/generated/torch.nn.RNN.html, "Variables"):
weight_ih_l0 (hidden_size, input_size), weight_hh_l0 (hidden_size, hidden_size),
bias_ih_l0 and bias_hh_l0 (hidden_size), so nn.RNN(I, H) has H·I + H·H + 2H
parameters. The formula is first checked against every single-layer nn.RNN
that torch itself counted (tests/fixtures/torch_param_counts.json), then
applied to nn.RNN(1, 3), which the fixture does not hold: 3 + 9 + 6 = 18.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.errors import ShapeError
from rnncli.files.problem import parse_problem
from rnncli.solve.counting import count_parameters
from rnncli.solve.trace import run_trace

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def torch_rnn_count(input_size: int, hidden_size: int) -> int:
    return hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size


def run(tmp_path, text, *args):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, [args[0], str(path), *args[1:]], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_formula_is_torchs_count():
    singles = [c for c in json.loads((FIXTURES / "torch_param_counts.json").read_text())
               if c["cell"] == "rnn" and c["num_layers"] == 1 and not c["bidirectional"]
               and c["bias"] and c["module"].startswith("nn.RNN(") and "Linear" not in c["module"]]
    assert len(singles) >= 3
    for config in singles:
        assert torch_rnn_count(config["input_size"], config["hidden_size"]) == config["total"]


def test_rnn_1_3_counts_18(tmp_path):
    text = "cell: rnn\nconvention: pytorch\nsizes: {input: 1, hidden: 3}\n"
    assert count_parameters(parse_problem(text)).total == torch_rnn_count(1, 3) == 18
    code, out, err = run(tmp_path, text, "count-params", "--format", "json")
    assert (code, err) == (0, "") and json.loads(out)["total"] == 18


def test_a_number_for_a_matrix_is_an_error_naming_both_shapes(tmp_path):
    text = ("cell: rnn\nconvention: pytorch\nsizes: {input: 1, hidden: 3}\n"
            "params:\n  W_hh: 0.5\n")
    for command in ("count-params", "check"):
        code, out, err = run(tmp_path, text, command)
        assert code == 2
        assert err.startswith(f"Error: {tmp_path / 'p.yaml'}:5: `params.W_hh` is a single number")
        assert "shape (H, H) = (3, 3)" in err and "9 entries" in err
        assert len(err.strip().splitlines()) == 1


def test_a_number_for_a_bias_vector_is_an_error(tmp_path):
    text = ("cell: rnn\nparams:\n  W_xh: [[1], [2], [3]]\n  W_hh: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n"
            "  b_h: 0.1\ninputs: {x: [1, 2]}\n")
    code, _, err = run(tmp_path, text, "trace")
    assert code == 2
    assert ":5: `params.b_h` is a single number" in err and "shape (3,)" in err


def test_a_number_for_the_read_out_matrix_is_an_error():
    text = ("cell: rnn\noutput: linear\nsizes: {input: 2, hidden: 3, output: 2}\n"
            "params:\n  W_hy: 1.5\n")
    with pytest.raises(ShapeError, match=r"`W_hy` of cell `rnn` \(standard\) has shape "
                                         r"\(O, H\) = \(2, 3\)"):
        count_parameters(parse_problem(text))


def test_a_number_stays_a_number_where_the_shape_has_one_entry():
    # nn.RNN(1, 1) written with numbers: every documented shape has one entry.
    text = ("cell: rnn\nparams: {W_xh: 0.5, W_hh: -0.25, b_h: 0.1}\ninputs: {x: [1, 2]}\n")
    trace = run_trace(parse_problem(text))
    h1 = float(trace.steps[0].values["h"])
    assert h1 == pytest.approx(math.tanh(0.5 * 1 + 0.1), abs=1e-15)


def test_a_number_stays_a_number_in_the_users_own_equations():
    # y is the user's equation: V @ h with a number V is V times h, as the language says.
    text = ("cell: rnn\nequations:\n  y: V @ h + c\nparams:\n  W_xh: [[1], [0], [0]]\n"
            "  W_hh: [[0, 0, 0], [0, 0, 0], [0, 0, 0]]\n  b_h: [0, 0, 0]\n  V: 2\n  c: 0\n"
            "inputs: {x: [1]}\n")
    trace = run_trace(parse_problem(text))
    assert trace.steps[0].values["y"].tolist() == [2 * math.tanh(1.0), 0.0, 0.0]
    custom = ("equations:\n  h: tanh(W @ h[t-1] + x)\nparams: {W: 0.5}\n"
              "inputs: {x: [[1, 2, 3]]}\n")
    assert run_trace(parse_problem(custom)).steps[0].values["h"].shape == (3,)
