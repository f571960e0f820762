"""count-params writes a formula in the sizes' letters however the sizes were given.

`H·(H+I)` for Olah's concatenation [h[t-1], x] whether H and I came from
`sizes:`, from the parameters' values, from initial values, or from a number x
(I = 1); the counts are checked by hand: W of shape (H, H+I) has H·(H+I) entries.
"""
from __future__ import annotations

import pytest

from rnncli.files.problem import parse_problem
from rnncli.solve.counting import count_parameters


def matrix(rows: int, columns: int) -> str:
    return "[" + ", ".join("[" + ", ".join(["0.1"] * columns) + "]" for _ in range(rows)) + "]"


def olah_gru(hidden: int, inputs: int, *, how: str) -> str:
    """Returns Olah's GRU with H = hidden and I = inputs, its sizes given `how`."""
    text = "cell: gru\nconvention: olah\n"
    if how == "sizes":
        return text + f"sizes: {{input: {inputs}, hidden: {hidden}}}\n"
    weights = matrix(hidden, hidden + inputs)
    text += f"params:\n  W_z: {weights}\n  W_r: {weights}\n  W: {weights}\n"
    x = "1" if inputs == 1 and how == "scalar input" else "[" + ", ".join(["1"] * inputs) + "]"
    text += f"inputs:\n  x: [{x}, {x}]\n"
    if how == "initial":
        text += "initial: {h: [" + ", ".join(["0"] * hidden) + "]}\n"
    return text


CASES = [(2, 1, "sizes"), (2, 1, "scalar input"), (2, 1, "numbers"), (2, 2, "numbers"),
         (2, 2, "initial"), (2, 2, "sizes"), (3, 4, "numbers"), (3, 4, "sizes")]


@pytest.mark.parametrize("hidden, inputs, how", CASES)
def test_a_concatenation_is_written_in_the_sizes_letters(hidden, inputs, how):
    count = count_parameters(parse_problem(olah_gru(hidden, inputs, how=how)))
    entries = hidden * (hidden + inputs)
    for name in ("W_z", "W_r", "W"):
        row = count.row(name)
        assert row.count == entries
        assert row.formula == f"H·(H+I) = {hidden}·({hidden}+{inputs}) = {entries}"
    assert count.total == 3 * entries
    assert ("I", inputs, "x") in count.sizes and ("H", hidden, "h") in count.sizes


def test_the_text_output_is_the_same_whatever_gave_the_sizes():
    from click.testing import CliRunner
    from rnncli.cli import cli

    outputs = set()
    for how in ("sizes", "scalar input", "numbers"):
        result = CliRunner().invoke(cli, ["count-params", "-"], input=olah_gru(2, 1, how=how))
        assert result.exit_code == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert "H·(H+I) = 2·(2+1) = 6" in outputs.pop()


def test_scalar_weights_keep_their_one_entry_formula():
    # Every number is a scalar of the user's equations: nothing to write in letters.
    text = ("equations:\n  h: tanh(w * x + u * h[t-1])\nparams: {w: 0.5, u: 0.25}\n"
            "inputs: {x: [1, 2]}\n")
    count = count_parameters(parse_problem(text))
    assert [r.formula for r in count.rows] == ["1", "1"] and count.sizes == ()
