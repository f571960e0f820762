"""`--set NAME=EXPR`, teacher forcing and `--compare` (spec §15).

Oracles: `--set` must give exactly the numbers of the same problem edited by
hand (the equation written under `equations:`, the parameters it no longer
reads deleted); teacher forcing must give exactly the numbers of a separate
numpy loop written from the equations, in which y[t-1] is the target.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.errors import ProblemError, UsageError
from rnncli.files.changes import (Change, apply_changes, baseline, parse_set_option,
                                  parse_teacher_forcing_option, question_changes)
from rnncli.files.problem import load_problem, parse_problem
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parent.parent
STANDARD = ROOT / "problems" / "lstm-standard.yaml"
GOODFELLOW = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
FEEDBACK = ROOT / "problems" / "two-layer-feedback-numbers.yaml"


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def edited(path: Path, equations: dict, drop: tuple) -> str:
    """Returns the problem's text edited by hand: equations added, parameters deleted."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("questions", None)
    data.setdefault("equations", {}).update(equations)
    for name in drop:
        del data["params"][name]
    return yaml.safe_dump(data, sort_keys=False)


def same_numbers(a, b) -> None:
    assert [s.t for s in a.steps] == [s.t for s in b.steps]
    for x, y in zip(a.steps, b.steps):
        assert x.values.keys() == y.values.keys()
        for name in x.values:
            assert np.array_equal(x.values[name], y.values[name]), name


@pytest.mark.parametrize("path, name, expr, drop", [
    (STANDARD, "f", "0", ("W_f", "U_f", "b_f")),
    (GOODFELLOW, "f", "0", ("U_f", "W_f", "b_f")),
    (STANDARD, "f", "hard_sigmoid(W_f @ x + U_f @ h[t-1] + b_f)", ()),
    (STANDARD, "f", "tanh(W_f @ x + U_f @ h[t-1] + b_f)", ()),
    (STANDARD, "f", "relu(W_f @ x + U_f @ h[t-1] + b_f)", ()),
    (GOODFELLOW, "y", "h * V", ("c",)),
])
def test_set_gives_the_numbers_of_the_problem_edited_by_hand(path, name, expr, drop):
    changed = apply_changes(load_problem(str(path)), [parse_set_option(f"{name}={expr}")])
    trace = run_trace(changed)
    by_hand = run_trace(parse_problem(edited(path, {name: expr}, drop), "edited.yaml"))
    same_numbers(trace, by_hand)
    assert set(trace.cell.unused) == set(drop)


def test_forget_gate_zero_leaves_c_without_memory():
    trace = run_trace(apply_changes(load_problem(str(STANDARD)), [parse_set_option("f=0")]))
    for step in trace.steps:
        v = step.values
        assert np.array_equal(v["c"], v["i"] * v["g"])   # c(t) = i(t) g(t): c(t-1) is forgotten


def test_set_on_the_command_line_reports_what_changed_and_what_is_unused():
    code, out, err = run("trace", str(STANDARD), "--set", "f=0", "--format", "markdown")
    assert code == 0, err
    assert "Changed for this run: f = 0 (--set)." in out
    assert "Unused after the change (not read by any equation): W_f, U_f, b_f." in out
    code, out, _ = run("lstm-trace", str(STANDARD), "--set", "f=0", "--format", "json")
    document = json.loads(out)
    assert document["set"] == {"f": "0"} and document["unused"] == ["W_f", "U_f", "b_f"]
    assert all(step["values"]["f"] == 0 for step in document["steps"])


@pytest.mark.parametrize("option, message", [
    ("f=sigmoid(W_f @ x", "Error: --set f=sigmoid(W_f @ x: cannot parse"),
    ("f", "Error: --set 'f': write NAME=EXPR"),
    ("1f=0", "Error: --set '1f=0': `1f` is not a valid name"),
    ("f=import os", "Error: --set f=import os: "),
])
def test_a_bad_set_names_the_option_not_a_file_line(option, message):
    code, out, err = run("trace", str(STANDARD), "--set", option)
    assert code == 2 and out == "" and err.startswith(message), err
    assert err.count("\n") == 1 and "lstm-standard.yaml:" not in err


def test_set_works_on_unroll_and_graph():
    code, out, err = run("unroll", str(STANDARD), "--to", "2", "--quantity", "c", "--set", "f=0",
                         "--format", "json")
    assert code == 0, err
    formula = json.loads(out)["formula"]
    assert "W_f" not in formula and formula.startswith("0 * (0 * c[0] + ")
    code, out, err = run("graph", str(STANDARD), "--set", "f=0", "--format", "json")
    assert code == 0, err
    edges = {(e["from"], e["to"]) for e in json.loads(out)["edges"]}
    assert ("f", "c") in edges and ("x", "f") not in edges and ("h", "f") not in edges


def test_set_applies_to_every_layer_and_direction_of_a_stacked_network():
    fixture = ROOT / "tests" / "fixtures" / "torch_stacked" / "lstm_2layers_bidirectional.json"
    case = json.loads(fixture.read_text())
    text = yaml.safe_dump({"cell": "lstm", "convention": "pytorch", "layers": 2,
                           "bidirectional": True, "params": case["state_dict"],
                           "inputs": case["inputs"]})
    trace = run_trace(apply_changes(parse_problem(text, "net.yaml"), [parse_set_option("f=0")]))
    for suffix in ("_l0", "_l0_reverse", "_l1", "_l1_reverse"):
        for step in trace.steps:
            v = step.values
            assert np.array_equal(v["c" + suffix], v["i" + suffix] * v["g" + suffix])
    assert {"W_if_l0", "W_hf_l1_reverse", "b_if_l1", "b_hf_l0_reverse"} <= set(trace.cell.unused)


def test_a_question_may_carry_set():
    text = STANDARD.read_text() + ("questions:\n  - id: a\n    text: forget gate shut\n"
                                   "    ask: [c]\n    set: {f: \"0\"}\n")
    problem = parse_problem(text, "q.yaml")
    question = problem.questions[0]
    assert question.set == {"f": "0"}
    changes = question_changes(problem, question)
    assert changes == (Change("set", "f", "0", "question a"),)
    trace = run_trace(apply_changes(problem, changes))
    assert all(np.array_equal(s.values["c"], s.values["i"] * s.values["g"]) for s in trace.steps)
    bad = parse_problem(STANDARD.read_text() + "questions:\n  - id: b\n    ask: [c]\n"
                        "    set: {f: \"sigmoid(\"}\n", "q.yaml")
    with pytest.raises(Exception, match=r"question `b`, `set.f`"):
        question_changes(bad, bad.questions[0])


def test_compare_shows_both_runs_and_their_difference():
    code, out, err = run("trace", str(STANDARD), "--set", "f=0", "--compare", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    code, plain, _ = run("trace", str(STANDARD), "--format", "json")
    assert document["baseline"]["steps"] == json.loads(plain)["steps"]
    assert document["mode"] == "free running"
    for output_format, marker in (("text", "Δc = changed − unchanged"),
                                  ("markdown", "| t | `c` | `c (unchanged)` | `Δc` |"),
                                  ("latex", r"$t$ & $c$ & $c$ (unchanged) & $\Delta c$")):
        code, out, err = run("trace", str(STANDARD), "--set", "f=0", "--compare",
                             "--format", output_format)
        assert code == 0 and marker in out, (output_format, err)
    code, out, err = run("trace", str(STANDARD), "--compare")
    assert code == 2 and "--compare compares a changed run" in err


# --- teacher forcing ----------------------------------------------------------------------------

TARGETS = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]


def feedback_numpy(data: dict, forced: bool) -> dict:
    """The two-layer feedback network written out in numpy, y[t-1] the target when forced."""
    P = {k: np.array(v, dtype=float) for k, v in data["params"].items()}
    h1, h2, y_prev = (np.array(data["initial"][k], dtype=float) for k in ("h1", "h2", "y"))
    out = {"h1": [], "h2": [], "y": []}
    for t, x in enumerate(np.array(data["inputs"]["x"], dtype=float)):
        h1_new = np.tanh(P["U"] @ x + P["V"] @ h1 + P["W"] @ h2 + P["b"])
        h2 = np.tanh(P["R"] @ h1_new + P["S"] @ h2 + P["T"] @ y_prev + P["c"])
        h1 = h1_new
        o = P["P"] @ x + P["Q"] @ h2 + P["d"]
        y = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
        for name, value in (("h1", h1), ("h2", h2), ("y", y)):
            out[name].append(value)
        y_prev = np.array(TARGETS[t]) if forced else y
    return out


def forced_text() -> str:
    data = yaml.safe_load(FEEDBACK.read_text(encoding="utf-8"))
    data["inputs"]["target"] = TARGETS
    data["teacher_forcing"] = {"y": "target"}
    return yaml.safe_dump(data, sort_keys=False)


def test_teacher_forcing_against_a_numpy_loop():
    data = yaml.safe_load(FEEDBACK.read_text(encoding="utf-8"))
    forced = run_trace(parse_problem(forced_text(), "forced.yaml"))
    free = run_trace(load_problem(str(FEEDBACK)))
    for trace, is_forced in ((forced, True), (free, False)):
        expected = feedback_numpy(data, is_forced)
        for name, values in expected.items():
            got = [s.values[name] for s in trace.steps]
            np.testing.assert_allclose(got, values, rtol=1e-14, atol=1e-15, err_msg=name)
    # y itself is still computed and reported, and forcing changes it from step 2 on
    assert np.array_equal(forced.steps[0].values["y"], free.steps[0].values["y"])
    assert not np.allclose(forced.steps[2].values["y"], free.steps[2].values["y"])
    # the first step reads the initial y, as before
    assert np.array_equal(forced.initial["target"], np.array([0.5, 0.5]))


def test_teacher_forcing_from_the_command_line_equals_the_file(tmp_path):
    path = tmp_path / "forced.yaml"
    path.write_text(forced_text())
    code, from_file, err = run("trace", str(path), "--format", "json")
    assert code == 0, err
    data = yaml.safe_load(forced_text())
    del data["teacher_forcing"]
    data["inputs"]["target"] = TARGETS
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(data))
    code, from_option, err = run("trace", str(plain), "--teacher-forcing", "y=target",
                                 "--format", "json")
    assert code == 0, err
    a, b = json.loads(from_file), json.loads(from_option)
    assert a["steps"] == b["steps"] and a["mode"] == b["mode"] == "teacher forcing"
    code, out, _ = run("trace", str(path), "--compare", "--format", "markdown")
    assert "Mode: teacher forcing (y[t−1] reads the input target[t−1], and target(0) is the initial y" in out
    assert "against free running" in out
    free = run_trace(baseline(load_problem(str(path))))
    assert not free.problem.teacher_forcing


@pytest.mark.parametrize("forcing, message", [
    ("h1=target", None),                      # h1 is read at t-1: allowed
    ("zz=target", "no equation defines `zz`"),
    ("y=nothing", "there is no input `nothing`"),
])
def test_teacher_forcing_checks(tmp_path, forcing, message):
    data = yaml.safe_load(FEEDBACK.read_text(encoding="utf-8"))
    data["inputs"]["target"] = TARGETS
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, err = run("trace", str(path), "--teacher-forcing", forcing)
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and message in err and err.count("\n") == 1


def test_forcing_a_quantity_never_read_at_an_earlier_step_is_an_error():
    text = STANDARD.read_text() + "teacher_forcing: {g: target}\n"
    text = text.replace("inputs:\n  x: [[1, 0.5], [-0.5, 1], [0.2, -0.3]]",
                        "inputs:\n  x: [[1, 0.5], [-0.5, 1], [0.2, -0.3]]\n"
                        "  target: [[0, 0], [0, 0], [0, 0]]")
    with pytest.raises(ProblemError, match=r"no equation reads `g` at an earlier step") as info:
        run_trace(parse_problem(text, "p.yaml"))
    assert info.value.line == text.splitlines().index("teacher_forcing: {g: target}") + 1


def test_bad_teacher_forcing_options():
    with pytest.raises(UsageError, match="write NAME=EXPR"):
        parse_teacher_forcing_option("y")
    with pytest.raises(UsageError, match="must name an input"):
        parse_teacher_forcing_option("y=a+b")
    assert re.match(r"y\[t-1\] reads target", parse_teacher_forcing_option("y=target").describe())


@pytest.mark.parametrize("command", ["trace", "lstm-trace", "unroll", "graph"])
def test_the_help_examples_run(command, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run(command, "--help")
    examples = [line.split()[1:] for line in out.splitlines()
                if line.strip().startswith(f"rnncli {command} ") and "--render" not in line]
    assert examples
    for example in examples:
        code, _, err = run(*[part.strip('"') for part in example])
        assert code == 0, (example, err)


def test_set_on_one_layer_and_direction_of_a_stacked_network():
    problem = load_problem(str(ROOT / "problems" / "lstm-2layer-bidirectional-trace.yaml"))
    plain = run_trace(problem)
    trace = run_trace(apply_changes(problem, [parse_set_option("f_l1_reverse=0")]))
    assert trace.cell.unused == ("W_if_l1_reverse", "W_hf_l1_reverse")
    for before, after in zip(plain.steps, trace.steps):
        for name in before.values:     # everything below and beside layer 1 backward is as it was
            if not name.endswith("_l1_reverse") and name != "output":
                assert np.array_equal(before.values[name], after.values[name]), name
        v = after.values
        assert np.array_equal(v["c_l1_reverse"], v["i_l1_reverse"] * v["g_l1_reverse"])
    # an expression in the cell's own names, made that layer's by the same renaming
    gate = run_trace(apply_changes(problem, [parse_set_option(
        "f_l1=hard_sigmoid(W_if @ x + W_hf @ h[t-1])")]))
    for step in gate.steps:
        a = (plain.parameters["W_if_l1"] @ np.concatenate([step.values["h_l0"],
                                                            step.values["h_l0_reverse"]])
             + plain.parameters["W_hf_l1"] @ gate.value("h_l1", step.t - 1))
        assert np.allclose(step.values["f_l1"], np.clip((a + 3) / 6, 0, 1), rtol=1e-15)
    code, out, err = run("trace", str(ROOT / "problems" / "lstm-2layer-bidirectional-trace.yaml"),
                         "--set", "f_l5=0")
    assert code == 2 and "Error: --set f_l5: with `layers`" in err


@pytest.mark.parametrize("command, options, output_format, marker", [
    ("graph", [], "text", "Changed for this run: f = 0 (--set)\n"),
    ("graph", [], "dot", "// changed for this run: f = 0 (--set)"),
    ("graph", [], "mermaid", "%% changed for this run: f = 0 (--set)"),
    ("graph", ["--unfold", "2"], "json", '"changes": ["f = 0 (--set)"]'),
    ("unroll", ["--to", "2"], "text", "Changed for this run: f = 0 (--set)\n"),
    ("unroll", ["--to", "2"], "markdown", "Changed for this run: f = 0 (--set)."),
    ("unroll", ["--to", "2"], "latex", "Changed for this run: f = 0 (--set)."),
    ("unroll", ["--to", "2"], "json", '"set": {"f": "0"}'),
])
def test_every_output_says_what_was_changed(command, options, output_format, marker):
    code, out, err = run(command, str(STANDARD), "--set", "f=0", *options,
                         "--format", output_format)
    assert code == 0 and marker in out, err
    code, plain, _ = run(command, str(STANDARD), *options, "--format", output_format)
    assert "hanged for this run" not in plain and '"set"' not in plain
