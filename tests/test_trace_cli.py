"""The commands trace, lstm-trace, check and cells through click's CliRunner.

stdout and stderr are checked apart; every user error is one line on stderr,
`Error: FILE:LINE: message`, exit code 2, and never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.files.problem import load_problem
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parents[1]
SEED002 = str(ROOT / "problems" / "lstm-goodfellow-forward.yaml")
GRU = str(ROOT / "problems" / "gru-olah-forward.yaml")


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def ok(*args, input=None):
    result = invoke(*args, input=input)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


def user_error(*args, input=None, file=None, line=None) -> str:
    """Returns the message of a one-line user error, checking its form."""
    result = invoke(*args, input=input)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    message = result.stderr[len("Error: "):-1]
    if file is not None:
        prefix = f"{file}:{line}: " if line is not None else f"{file}: "
        assert message.startswith(prefix), message
        message = message[len(prefix):]
    return message


def write(tmp_path, text: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- trace --format json (spec §9) ---------------------------------------------------------

def test_trace_json_is_spec_9():
    document = json.loads(ok("trace", SEED002, "--format", "json"))
    assert list(document) == ["schema", "title", "time_start", "steps"]
    assert document["schema"] == "rnncli/trace@1"
    assert document["title"] == "LSTM feed-forward with scalar weights"
    assert document["time_start"] == 1
    assert [s["t"] for s in document["steps"]] == [1, 2, 3]
    first = document["steps"][0]
    assert list(first) == ["t", "inputs", "values"]
    assert first["inputs"] == {"x": 0.7}
    assert list(first["values"]) == ["f", "g", "q", "s", "h", "y"]
    # full float64 precision, not rounded by --precision
    assert first["values"]["h"] == 0.2610167571193719
    assert first["values"]["y"] == 0.5756848176315833


def test_json_values_are_the_trace_exactly_and_hold_every_quantity():
    trace = run_trace(load_problem(GRU))
    document = json.loads(ok("trace", GRU, "--format", "json", "--precision", "1"))
    for step, record in zip(document["steps"], trace.steps):
        assert set(step["values"]) == set(trace.cell.quantities) == {"z", "r", "h_tilde", "h"}
        for name, value in step["values"].items():
            assert np.array_equal(np.array(value), record.values[name])   # bit for bit
        assert step["inputs"]["x"] == record.inputs["x"].tolist()


def test_json_of_a_problem_without_title_and_time_start_0(tmp_path):
    path = write(tmp_path, "equations:\n  h: 0.5 * h[t-1] + x\ninputs: {x: [1, 2]}\n"
                           "time_start: 0\n")
    document = json.loads(ok("trace", path, "--format", "json"))
    assert document["title"] is None and document["time_start"] == 0
    assert [(s["t"], s["values"]["h"]) for s in document["steps"]] == [(0, 1.0), (1, 2.5)]


# --- trace in text, markdown and latex, --precision ----------------------------------------

def test_trace_text_shows_the_working():
    out = ok("trace", SEED002)
    assert "f(1) = σ(b_f + U_f·x(1) + W_f·h(0)) = σ(0 + 0.25·0.7 + 0.3·0) = σ(0.175) = 0.5436" in out
    # ReLU's value is a step of its own before the product (the README's example).
    assert "h(1) = ReLU(s(1))·q(1) = ReLU(0.4225)·0.6177 = 0.4225·0.6177 = 0.2610" in out
    assert ("= 0.5436·0 + 0.5769·σ(1.007) = 0.5436·0 + 0.5769·0.7324 = 0.4225") in out
    assert "\x1b[" not in out          # no colour codes when not on a terminal


def test_precision_changes_the_decimals_shown():
    out = ok("lstm-trace", SEED002, "--precision", "6")
    assert "= 0.261017" in out and "0.2610 " not in out
    assert "σ(0.175)" in out          # exact data keeps its short form
    out = ok("trace", SEED002, "--precision", "1")
    assert "σ(0 + 0.25·0.7 + 0.3·0) = σ(0.2) = 0.5" in out     # the problem's 0.25 as written
    # Nothing nonzero is ever shown as 0: at 0 decimals, 0.4225 is 4e−1.
    out = ok("trace", SEED002, "--precision", "0")
    assert "h(1) = ReLU(s(1))·q(1) = ReLU(4e−1)·1 = 4e−1·1 = 3e−1" in out
    assert "σ(0 + 0.25·0.7 + 0.3·0)" in out


def test_markdown_and_latex():
    markdown = ok("trace", SEED002, "--format", "markdown")
    assert markdown.startswith("# LSTM feed-forward with scalar weights\n")
    assert "## Step t = 3" in markdown and "| $t$ | $x$ | $f$" in markdown
    assert "- $h^{(1)} = \\operatorname{ReLU}\\left(s^{(1)}\\right) \\cdot q^{(1)} = " in markdown
    assert "`" not in markdown.partition("## Equations")[2]      # formulas are math, not code
    latex = ok("trace", SEED002, "--format", "latex")
    assert "\\begin{align*}" in latex and "h^{(1)} &= " in latex
    assert "\\subsection*{Summary}" in latex and "\\begin{tabular}" in latex


@pytest.mark.parametrize("value", ["-1", "16", "x"])
def test_bad_precision_is_a_usage_error(value):
    result = invoke("trace", SEED002, "--precision", value)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--precision" in result.stderr and result.stdout == ""


def test_bad_format_is_a_usage_error():
    result = invoke("trace", SEED002, "--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of" in result.stderr


# --- stdin -----------------------------------------------------------------------------------

def test_stdin_dash():
    text = Path(SEED002).read_text(encoding="utf-8")
    document = json.loads(ok("trace", "-", "--format", "json", input=text))
    assert document["steps"][0]["values"]["h"] == 0.2610167571193719


def test_stdin_errors_name_stdin():
    message = user_error("trace", "-", input="cell: rnn\nbogus: 1\n", file="<stdin>", line=2)
    assert message == "unknown key `bogus`"


def test_check_reads_stdin():
    assert ok("check", "-", input=Path(GRU).read_text(encoding="utf-8")) == "ok <stdin>\n"


def test_check_and_grade_name_stdin_alike():
    """Standard input is `<stdin>` in check's ok line, in its errors and in grade's report."""
    problem = Path(GRU).read_text(encoding="utf-8")
    assert ok("check", "-", input=problem) == "ok <stdin>\n"
    user_error("check", "-", input="cell: rnn\nbogus: 1\n", file="<stdin>", line=2)
    answers = (ROOT / "problems" / "answers" / "rnn-params-bo.yaml").read_text(encoding="utf-8")
    problem_path = str(ROOT / "problems" / "rnn-params.yaml")
    result = invoke("grade", "--problem", problem_path, "-", "--format", "json", input=answers)
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["file"] == "<stdin>"


# --- lstm-trace ------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_lstm_trace_refuses_a_builtin_cell_that_is_not_an_lstm(tmp_path, cell):
    path = write(tmp_path, f"title: t\ncell: {cell}\n")
    message = user_error("lstm-trace", path, file=path, line=2)
    assert f"not `{cell}`; use `rnncli trace`" in message


@pytest.mark.parametrize("cell", ["lstm-peephole", "lstm-coupled"])
def test_lstm_trace_takes_every_lstm_variant(tmp_path, cell):
    path = write(tmp_path, f"cell: {cell}\nparams: {{W_f: 1, U_f: 1, b_f: 0, W_o: 1, U_o: 1, "
                           "b_o: 0, W_g: 1, U_g: 1, b_g: 0" + (", W_i: 1, U_i: 1, b_i: 0, p_i: 1,"
                           " p_f: 1, p_o: 1" if cell == "lstm-peephole" else "")
                           + "}\ninputs: {x: [1, 2]}\n")
    assert "Step t = 2" in ok("lstm-trace", path)


def test_lstm_trace_takes_custom_equations_as_they_are(tmp_path):
    path = write(tmp_path, "equations:\n  h: tanh(w * x + u * h[t-1])\nparams: {w: 1, u: 0.5}\n"
                           "inputs: {x: [1]}\n")
    assert "h(1) = tanh(w·x(1) + u·h(0)) = tanh(1·1 + 0.5·0) = tanh(1) = 0.7616" in \
        ok("lstm-trace", path)


# --- error paths -------------------------------------------------------------------------------

ERRORS = [
    ("cell: rnn\nparms: {}\n", 2, "unknown key `parms` (did you mean `params`?)"),
    ("cell: rnn\ncell: gru\n", 2, "duplicate key `cell`"),
    ("title: !!python/object/apply:os.system [ls]\n", 1, "YAML tag"),
    ("cell: rnn\nparams: {W_xh: yes}\n", 2, "`params.W_xh` must be a number, not the text 'yes'"),
    ("cell: lsmt\n", 1, "unknown cell `lsmt` (did you mean `lstm`?)"),
    ("cell: rnn\nconvention: pytorh\n", 2, "no convention `pytorh` (did you mean `pytorch`?)"),
    ("equations:\n  h: __import__('os')\ninputs: {x: [1]}\n", 2, "equation `h`: `__import__`"),
    ("equations:\n  h: W * x\nparams: {W: [[1, 2]]}\ninputs: {x: [[1, 2]]}\n", 2,
     "(did you mean `@`, the matrix product?)"),
    ("equations:\n  h: exp(x)\ninputs: {x: [1000]}\n", 2, "equation `h` at step 1: the numbers overflow"),
    ("equations:\n  a: b\n  b: a\ninputs: {x: [1]}\n", 4, "input `x` is not used"),
    ("equations:\n  a: b + x\n  b: a\ninputs: {x: [1]}\n", 2, "`a` -> `b` -> `a`"),
    ("cell: rnn\nparams: {W_xh: 1, W_hh: 1}\ninputs: {x: [1]}\n", 2, "parameter `b_h`"),
    ("a: [1, 2\n", 2, "not valid YAML"),
    ("- 1\n", 1, "expected a YAML mapping"),
    ("", 1, "the file is empty"),
    ("a: &a [1]\n" + "".join(f"b{i}: &b{i} [" + ", ".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 50)
                             + "]\n" for i in range(6)), 5, "alias bomb"),
]


@pytest.mark.parametrize("command", ["trace", "lstm-trace", "check"])
@pytest.mark.parametrize("text, line, message", ERRORS)
def test_every_error_is_one_line_with_file_and_line(tmp_path, command, text, line, message):
    if command == "lstm-trace" and "cell: rnn" in text:
        pytest.skip("lstm-trace refuses the rnn cell first")
    path = write(tmp_path, text)
    got = user_error(command, path, file=path, line=line)
    assert message in got


def test_binary_junk_file(tmp_path):
    path = tmp_path / "junk.yaml"
    path.write_bytes(b"title: x\n\x00\x01\x02\xff")
    assert user_error("trace", str(path), file=str(path), line=2) == \
        "binary data (a NUL byte), not YAML text"


def test_missing_file_names_the_file(tmp_path):
    path = str(tmp_path / "nope.yaml")
    assert user_error("trace", path, file=path) == "no such file"


# --- check -------------------------------------------------------------------------------------

def test_check_prints_only_ok_lines():
    problems = sorted(str(p) for p in (ROOT / "problems").glob("*.yaml"))
    assert ok("check", *problems) == "".join(f"ok {p}\n" for p in problems)


def test_check_goes_on_after_a_bad_file(tmp_path):
    bad = write(tmp_path, "cell: rnn\nbogus: 1\n", "bad.yaml")
    worse = write(tmp_path, "cell: [\n", "worse.yaml")
    result = invoke("check", bad, SEED002, worse)
    assert result.exit_code == 2
    assert result.stdout == f"ok {SEED002}\n"
    # After "not valid YAML: " comes the YAML library's own wording, which versions change.
    first, second = result.stderr.splitlines()
    assert first == f"Error: {bad}:2: unknown key `bogus`"
    assert second.startswith(f"Error: {worse}:2: not valid YAML: ")


def test_check_sizes_only_and_symbolic_problems(tmp_path):
    sizes = write(tmp_path, "cell: lstm\nconvention: pytorch\nsizes: {input: 10, hidden: 20}\n",
                  "sizes.yaml")
    symbolic = write(tmp_path, "equations:\n  h: f(W @ x + U @ h[t-1])\ninputs: [x]\n",
                     "symbolic.yaml")
    assert ok("check", sizes, symbolic) == f"ok {sizes}\nok {symbolic}\n"


def test_check_needs_a_file():
    result = invoke("check")
    assert result.exit_code == 2 and "Missing argument" in result.stderr


# --- cells -------------------------------------------------------------------------------------

def test_cells_lists_every_cell_and_convention():
    out = ok("cells")
    for cell, conventions in [("rnn", "standard, d2l, goodfellow, keras, pytorch"),
                              ("lstm", "standard, d2l, goodfellow, keras, olah, pytorch"),
                              ("gru", "standard, d2l, goodfellow, keras, keras-reset-before, "
                                      "olah, pytorch"),
                              ("lstm-peephole", "standard"), ("lstm-coupled", "standard")]:
        assert any(line.startswith(cell + " ") and line.endswith(conventions)
                   for line in out.splitlines()), cell


def test_cells_shows_one_convention():
    out = ok("cells", "lstm", "--convention", "goodfellow")
    assert out.startswith("lstm (goodfellow): ")
    assert "    s(t) = f(t) ⊙ s(t−1) + g(t) ⊙ σ(b + U·x(t) + W·h(t−1))" in out
    assert "    U_g  (H, I)       input → input gate" in out


def test_cells_json():
    document = json.loads(ok("cells", "gru", "--convention", "pytorch", "--format", "json"))
    assert document["schema"] == "rnncli/cell@1"
    (info,) = document["conventions"]
    assert info["cell"] == "gru" and info["convention"] == "pytorch"
    assert info["equations"]["n"] == "tanh(W_in·x(t) + b_in + r(t) ⊙ (W_hn·h(t−1) + b_hn))"
    shapes = {p["name"]: p["shape"] for p in info["params"]}
    assert shapes["W_in"] == "(H, I)" and shapes["W_hn"] == "(H, H)" and shapes["b_hn"] == "(H,)"
    listing = json.loads(ok("cells", "--format", "json"))
    assert listing["schema"] == "rnncli/cells@1"
    assert [c["name"] for c in listing["cells"]] == ["gru", "lstm", "lstm-coupled",
                                                     "lstm-peephole", "rnn"]


def test_cells_markdown_every_convention_of_a_cell():
    out = ok("cells", "rnn", "--format", "markdown")
    assert [line for line in out.splitlines() if line.startswith("## ")] == [
        "## rnn (standard)", "## rnn (d2l)", "## rnn (goodfellow)", "## rnn (keras)",
        "## rnn (pytorch)"]


@pytest.mark.parametrize("args, message", [
    (["cells", "lsmt"], "unknown cell `lsmt` (did you mean `lstm`?)"),
    (["cells", "lstm", "--convention", "pytroch"], "no convention `pytroch` (did you mean `pytorch`?)"),
    (["cells", "--convention", "pytorch"], "--convention needs a cell name"),
])
def test_cells_errors(args, message):
    assert message in user_error(*args)


def test_large_matrices_are_not_written_out_but_the_pre_activation_is(tmp_path):
    path = write(tmp_path, "equations:\n  h: tanh(W @ x)\nparams:\n  W: [[1, 0, 0, 0], [0, 1, 0, 0],"
                           " [0, 0, 1, 1]]\ninputs: {x: [[0.5, -0.25, 1, 1]]}\n")
    out = ok("trace", path)
    assert "  h(1) = tanh(W·x(1)) = tanh([0.5, −0.25, 2]) = [0.4621, −0.2449, 0.9640]\n" in out
