"""`rnncli count-params` on the command line: golden outputs, JSON contract, errors.

Golden files live in tests/golden/count-params/, one per case; regenerate them
with RNNCLI_REGENERATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from golden import assert_matches_golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "count-params"


def run(*args, input=None):
    runner = CliRunner(env={"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": None})
    cwd = os.getcwd()
    os.chdir(ROOT)              # problem paths in the goldens are relative to the repository
    try:
        return runner.invoke(cli, ["count-params", *args], input=input)
    finally:
        os.chdir(cwd)


CASES = {
    "seed001-steps.txt": ["problems/rnn-params.yaml", "--steps", "5", "--steps", "10"],
    "seed001.json": ["problems/rnn-params.yaml", "--format", "json"],
    "seed001.md": ["problems/rnn-params.yaml", "--format", "markdown"],
    "seed001-pytorch.txt": ["problems/rnn-params-pytorch.yaml"],
    "seed000-sizes.txt": ["problems/two-layer-feedback-sizes.yaml"],
    "seed000-sizes.md": ["problems/two-layer-feedback-sizes.yaml", "--format", "markdown"],
    "lstm-2layer-bidirectional.txt": ["problems/lstm-2layer-bidirectional.yaml"],
    "lstm-2layer-bidirectional.json": ["problems/lstm-2layer-bidirectional.yaml", "--format", "json"],
    "esn.txt": ["problems/echo-state-network-params.yaml"],
    "esn.json": ["problems/echo-state-network-params.yaml", "--format", "json"],
    "hopfield.txt": ["problems/hopfield-params.yaml"],
    "hopfield.md": ["problems/hopfield-params.yaml", "--format", "markdown"],
    "options-lstm-proj.txt": ["--cell", "lstm", "--convention", "pytorch", "--input-size", "10",
                              "--hidden-size", "20", "--proj-size", "5", "--output-size", "3"],
    "options-gru-keras.txt": ["--cell", "gru", "--convention", "keras", "--input-size", "10",
                              "--hidden-size", "20"],
    "options-gru-keras-reset-before.md": ["--cell", "gru", "--convention", "keras-reset-before",
                                          "--input-size", "10", "--hidden-size", "20",
                                          "--format", "markdown"],
    "options-olah-nobias.txt": ["--cell", "lstm", "--convention", "olah", "--input-size", "3",
                                "--hidden-size", "4", "--no-bias", "--steps", "7"],
    "compare.txt": ["--cell", "lstm", "--input-size", "20", "--hidden-size", "128",
                    "--output-size", "10", "--compare", "gru,lstm-coupled,lstm-peephole,lstm@64,rnn"],
    "compare.json": ["--input-size", "10", "--hidden-size", "20", "--convention", "pytorch",
                     "--compare", "lstm,gru,rnn,gru:keras,gru:keras-reset-before", "--format", "json"],
    "compare.md": ["problems/rnn-params.yaml", "--compare", "rnn:pytorch,rnn:keras,gru,lstm",
                   "--format", "markdown", "--steps", "5"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_output(case):
    result = run(*CASES[case])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert_matches_golden(GOLDEN / case, result.stdout)


def test_json_follows_the_contract():
    result = run("problems/rnn-params.yaml", "--format", "json", "--steps", "5")
    document = json.loads(result.stdout)
    assert document["schema"] == "rnncli/params@1"
    assert document["total"] == 20362
    assert document["params"][0] == {
        "name": "W_xh", "shape": [128, 20], "count": 2560, "role": "input → hidden",
        "formula": "H·I = 128·20 = 2560", "group": "cell", "layer": 0, "direction": "forward",
        "trainable": True}
    readout = next(p for p in document["params"] if p["name"] == "W_hy")
    assert (readout["group"], readout["layer"], readout["direction"]) == ("read-out", None, None)
    assert sum(p["count"] for p in document["params"]) == document["total"]
    assert document["unrolled"] == [{"steps": 5, "total": 20362}]


def test_json_names_every_layer_and_direction_apart():
    document = json.loads(run("problems/lstm-2layer-bidirectional.yaml", "--format", "json").stdout)
    names = [p["name"] for p in document["params"]]
    assert len(names) == len(set(names)) == 2 * 2 * 16
    assert {(s["name"], s["count"]) for s in document["subtotals"]} == {
        ("layer 0 forward", 2560), ("layer 0 reverse", 2560),
        ("layer 1 forward", 4960), ("layer 1 reverse", 4960)}
    row = next(p for p in document["params"] if p["name"] == "W_ii_l1_reverse")
    assert row["layer"] == 1 and row["direction"] == "reverse" and row["shape"] == [20, 40]


def test_steps_says_in_one_line_that_unrolling_adds_nothing():
    result = run("problems/rnn-params.yaml", "--steps", "5", "--steps", "10")
    lines = [line for line in result.stdout.splitlines() if line.startswith("Unrolled")]
    assert lines == [
        "Unrolled over 5 steps: still 20362 parameters — every step reuses the same weights, "
        "so unrolling adds none.",
        "Unrolled over 10 steps: still 20362 parameters — every step reuses the same weights, "
        "so unrolling adds none."]


def test_compare_gives_ratios_to_the_first():
    document = json.loads(run("--cell", "lstm", "--input-size", "20", "--hidden-size", "128",
                              "--compare", "gru,lstm-coupled,lstm@64", "--format", "json").stdout)
    totals = {c["label"]: (c["total"], c["ratio"]) for c in document["cells"]}
    lstm = 4 * 128 * (20 + 128 + 1)
    assert totals["lstm"] == (lstm, 1.0)
    assert totals["gru"] == (3 * 128 * 149, 0.75)
    assert totals["lstm-coupled"] == (3 * 128 * 149, 0.75)
    assert totals["lstm@64"] == (4 * 64 * 85, 4 * 64 * 85 / lstm)


def test_compare_takes_the_convention_when_the_cell_has_it():
    document = json.loads(run("--input-size", "10", "--hidden-size", "20", "--convention", "pytorch",
                              "--compare", "lstm,lstm-coupled", "--format", "json").stdout)
    assert [(c["convention"], c["total"]) for c in document["cells"]] == [
        ("pytorch", 2560), ("standard", 3 * 20 * 31)]


def test_problem_from_stdin():
    text = (ROOT / "problems" / "rnn-params.yaml").read_text()
    result = run("-", "--format", "json", input=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == 20362


@pytest.mark.parametrize("args,message", [
    (["--cell", "rnn", "--input-size", "-3", "--hidden-size", "5"],
     "Error: --input-size must be a positive whole number, not '-3'"),
    (["--cell", "rnn", "--input-size", "3", "--hidden-size", "0"],
     "Error: --hidden-size must be a positive whole number, not '0'"),
    (["--cell", "rnn", "--input-size", "x", "--hidden-size", "5"],
     "Error: --input-size must be a positive whole number, not 'x'"),
    (["--cell", "rnn", "--hidden-size", "5"],
     "Error: give --input-size (or a PROBLEM file) to describe the network"),
    (["--cell", "rnn"],
     "Error: give --input-size and --hidden-size (or a PROBLEM file) to describe the network"),
    ([], "Error: give a PROBLEM file, or --cell with --input-size and --hidden-size "
         "(see rnncli count-params --help)"),
    (["--cell", "lstm", "--convention", "pytorch", "--input-size", "3", "--hidden-size", "5",
      "--proj-size", "5"], "Error: --proj-size 5 must be smaller than --hidden-size 5, as in PyTorch"),
    (["--cell", "gru", "--convention", "pytorch", "--input-size", "3", "--hidden-size", "5",
      "--proj-size", "2"], "Error: --proj-size is PyTorch's LSTM projection: it needs --cell lstm "
                           "--convention pytorch, not --cell gru --convention pytorch"),
    (["--cell", "lstm-coupled", "--convention", "pytorch", "--input-size", "3", "--hidden-size", "5"],
     "Error: --convention: cell `lstm-coupled` has no convention `pytorch`; it has: standard"),
    (["--cell", "lstn", "--input-size", "3", "--hidden-size", "5"],
     "Error: --cell: unknown cell `lstn` (did you mean `lstm`?); built-in cells: gru, lstm, "
     "lstm-coupled, lstm-peephole, rnn"),
    (["--cell", "rnn", "--input-size", "3", "--hidden-size", "5", "--layers", "0"],
     "Error: --layers must be a positive whole number, not '0'"),
    (["--cell", "rnn", "--input-size", "3", "--hidden-size", "5", "--steps", "-1"],
     "Error: --steps must be a positive whole number, not '-1'"),
    (["problems/rnn-params.yaml", "--output-size", "4"],
     "Error: --output-size describes a network without a PROBLEM file; give the file or the "
     "options, not both"),
    (["--input-size", "3", "--hidden-size", "5", "--compare", "lstm,,gru"],
     "Error: --compare: an empty cell name in 'lstm,,gru'; give cells as lstm,gru,lstm-coupled"),
    (["--input-size", "3", "--hidden-size", "5", "--compare", "lstm:keras-reset-before"],
     "Error: --compare lstm:keras-reset-before: cell `lstm` has no convention `keras-reset-before`; "
     "it has: standard, d2l, goodfellow, keras, olah, pytorch"),
    (["problems/two-layer-feedback-sizes.yaml", "--compare", "lstm"],
     "Error: --compare needs the input and hidden sizes, and "
     "problems/two-layer-feedback-sizes.yaml has no single input and hidden state `h` to "
     "take them from"),
    (["problems/no-such-file.yaml"], "Error: problems/no-such-file.yaml: no such file"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_output_size_with_a_cell_without_readout(monkeypatch):
    import rnncli.cells.builtin as builtin_cells

    real = builtin_cells.load_cell_spec

    def without_readout(cell, convention="standard"):
        return dataclasses.replace(real(cell, convention), readout=None)

    monkeypatch.setattr(builtin_cells, "load_cell_spec", without_readout)
    result = run("--cell", "rnn", "--input-size", "3", "--hidden-size", "5", "--output-size", "2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: --output-size: cell `rnn` (standard) has no read-out\n"


def test_bad_problem_file_names_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("cell: lstm\nconvention: pytorch\nsizes: {input: 3, hidden: 4}\nproj_size: 4\n")
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: {path}:4: `proj_size` (4) must be smaller than the hidden "
                             "size (4), as in PyTorch\n")


def test_check_passes_on_the_count_problems_and_catches_a_bad_projection(tmp_path):
    runner = CliRunner()
    names = ["rnn-params.yaml", "rnn-params-pytorch.yaml",
             "two-layer-feedback-sizes.yaml", "lstm-2layer-bidirectional.yaml",
             "echo-state-network-params.yaml", "hopfield-params.yaml"]
    paths = [str(ROOT / "problems" / n) for n in names]
    result = runner.invoke(cli, ["check", *paths])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"ok {p}" for p in paths]
    bad = tmp_path / "bad.yaml"
    bad.write_text("cell: gru\nsizes: {input: 3, hidden: 4}\nproj_size: 2\n")
    result = runner.invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2
    assert "needs `cell: lstm` with `convention: pytorch`" in result.stderr


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["count-params", "--help"])
    assert result.exit_code == 0
    assert "rnncli count-params problems/rnn-params.yaml" in result.stdout
    assert "--compare" in result.stdout and "--steps" in result.stdout


@pytest.mark.parametrize("text,message", [
    ("cell: lstm\n", "1: cell `lstm` needs sizes to be counted; add `sizes: {input: I, hidden: H}`"),
    ("cell: lstm\nsizes: {input: -3, hidden: 4}\n",
     "2: `sizes.input` must be a positive whole number, not -3"),
    ("cell: gru\nconvention: keras-reset-after\nsizes: {input: 3, hidden: 4}\n",
     "2: cell `gru` has no convention `keras-reset-after` (did you mean `keras-reset-before`?); "
     "it has: standard, d2l, goodfellow, keras, keras-reset-before, olah, pytorch"),
])
def test_bad_sizes_in_a_problem_file(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}:{message}\n"
