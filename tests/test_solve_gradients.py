"""`rnncli solve` on gradient questions (`grad.*`, `loss`): the backward working on the sheet.

Every number the working shows is checked against the `gradients --format json`
document of the same problem (whose values are proven against PyTorch autograd
fixtures and finite differences in test_gradients_*.py) and, for the forward
values substituted into the chain rule, against `trace --format json` and the
problem's own numbers. The sheet's Markdown is read back too: the value closing
every chain of working is the JSON value rounded as printed.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.language.expression import Grad, Name, Number, Value, walk
from rnncli.render.sheet_markdown import render_markdown
from rnncli.solve.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[1]
GRADIENT_PROBLEMS = ["lstm-gomez-backprop", "lstm-goodfellow-gradients", "lstm-dcdc",
                     "lstm-dcdc-forget-closed", "rnn-exploding-gradients",
                     "rnn-vanishing-gradients"]


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _json(*args) -> dict:
    result = CliRunner().invoke(cli, list(args) + ["--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


class Oracle:
    """The JSON documents of `gradients` and `trace`, and the problem's own numbers."""

    def __init__(self, name: str):
        path = f"problems/{name}.yaml"
        self.grads = _json("gradients", path)
        trace = _json("trace", path)
        data = yaml.safe_load((ROOT / path).read_text())
        self.first = trace["time_start"]
        self.params = {p: np.asarray(v, dtype=float) for p, v in data["params"].items()}
        self.forward = {(q, s["t"]): v for s in trace["steps"]
                        for q, v in {**s["inputs"], **s["values"]}.items()}
        self.initial = data.get("initial", {})

    def grad(self, name: str, t: int | None):
        if t is None:
            return self.grads["params"][name]
        if t < self.first:
            return self.grads["initial"][name]
        return self.grads["steps"][t - self.first]["grads"][name]

    def value(self, name: str, t: int):
        if name in self.params:
            return self.params[name]
        if t < self.first:
            return self.initial.get(name, 0.0)
        return self.forward[(name, t)]


def _leaves(node) -> list:
    return [n for n in walk(node) if isinstance(n, (Name, Grad, Number, Value))]


def _close(shown, expected) -> bool:
    shown, expected = np.asarray(shown, dtype=float), np.asarray(expected, dtype=float)
    if shown.size == expected.size == 1:       # a 1-entry vector is the scalar it holds
        shown, expected = shown.reshape(()), expected.reshape(())
    return shown.shape == expected.shape and np.allclose(shown, expected, rtol=1e-12, atol=1e-15)


def _check_substituted(oracle: Oracle, symbolic, substituted, steps: list) -> int:
    """Asserts that the numbers in place of each name are the oracle's; returns how many."""
    symbols = _leaves(symbolic)
    numbers = _leaves(substituted)
    assert len(numbers) == len(symbols) * len(steps)
    checked = 0
    for k, t in enumerate(steps):
        for symbol, number in zip(symbols, numbers[k * len(symbols):(k + 1) * len(symbols)]):
            if isinstance(symbol, Grad):
                assert isinstance(number, Value)
                assert _close(number.value, oracle.grad(symbol.name, t - symbol.lag)), symbol
            elif isinstance(symbol, Name):
                assert isinstance(number, Value)
                assert _close(number.value, oracle.value(symbol.name, t - symbol.lag)), symbol
            else:
                assert symbol == number
            checked += 1
    return checked


def _gradient_parts(sheet):
    return [part for sp in sheet.problems for q in sp.questions for part in q.parts
            if part.kind == "gradients"]


@pytest.mark.parametrize("name", GRADIENT_PROBLEMS)
def test_every_number_of_the_gradient_working_is_the_json_value(name):
    oracle = Oracle(name)
    parts = _gradient_parts(build_sheet([f"problems/{name}.yaml"]))
    assert parts, "the sheet has no gradient working"
    checked = 0
    for part in parts:
        working = part.result
        assert working.result.loss == pytest.approx(oracle.grads["loss"], rel=1e-12)
        losses = {entry["t"]: entry["value"] for entry in oracle.grads["losses"]}
        assert [t for t, _, _ in working.losses] == list(losses)
        expr = working.result.plan.loss.expr
        for t, numbers, value in working.losses:
            assert value == pytest.approx(losses[t], rel=1e-12)
            checked += _check_substituted(oracle, expr, numbers, [t])
        for step in working.steps:
            for worked in step.gradients:
                assert _close(worked.value, oracle.grad(worked.name, step.t))
                if worked.substituted is not None:
                    checked += _check_substituted(oracle, worked.symbolic, worked.substituted,
                                                  [step.t])
                if worked.terms is not None:
                    terms = [n.value for n in _leaves(worked.terms)]
                    assert _close(np.sum(terms, axis=0), worked.value)
        for worked in working.params:
            assert _close(worked.value, oracle.grad(worked.name, None))
            if worked.substituted is not None:
                steps = [s["t"] for s in oracle.grads["steps"]]
                checked += _check_substituted(oracle, worked.symbolic, worked.substituted, steps)
            if worked.terms is not None:
                terms = [n.value for n in _leaves(worked.terms)]
                assert _close(np.sum(terms, axis=0), worked.value)
    assert checked > 0


_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?(?: \\cdot 10\^\{(-?\d+)\})?")
_TARGET = re.compile(r"^- \$\\frac\{\\partial L\}\{\\partial (.+?)\} = ")


def _numbers(tex: str) -> list:
    """Returns (value, half a unit of its last printed digit) for each number in LaTeX."""
    out = []
    for match in _NUMBER.finditer(tex):
        decimals, exponent = match.group(1) or "", int(match.group(2) or 0)
        mantissa = float(match.group(0).split(" ")[0])
        out.append((mantissa * 10.0 ** exponent, 0.5 * 10.0 ** (exponent - len(decimals))))
    return out


def _target(tex: str, first: int):
    """Returns (name, step or None) of a printed dL/dq(t) or dL/dp."""
    step = re.match(r"^(.+?)\^\{\((-?\d+)\)\}$", tex)
    name, t = (step.group(1), int(step.group(2))) if step else (tex, None)
    if name.startswith("{") and name.endswith("}"):        # {W_{a}}^{(1)}
        name = name[1:-1]
    name = re.sub(r"\\mathrm\{(\w+)\}", r"\1", name)
    name = re.sub(r"_\{(\w+)\}", r"_\1", name)
    return name, t


@pytest.mark.parametrize("name", ["lstm-gomez-backprop", "lstm-goodfellow-gradients", "lstm-dcdc"])
def test_every_chain_on_the_markdown_sheet_ends_in_the_json_value(name):
    oracle = Oracle(name)
    text = render_markdown(build_sheet([f"problems/{name}.yaml"]))
    seen = 0
    for line in text.splitlines():
        match = _TARGET.match(line)
        if not match:
            continue
        q, t = _target(match.group(1), oracle.first)
        expected = np.ravel(oracle.grad(q, t))
        shown = _numbers(line.rstrip("$").rsplit(" = ", 1)[1])
        assert len(shown) == expected.size, line
        for (value, half_unit), truth in zip(shown, expected):
            assert abs(value - truth) <= half_unit * 1.0001, (line, truth)
        seen += 1
    assert seen >= 3
    total = [line for line in text.splitlines() if line.startswith("- $L = ")]
    for line in total:
        (value, half_unit), = _numbers(line.rstrip("$").rsplit(" = ", 1)[1])
        assert abs(value - oracle.grads["loss"]) <= half_unit * 1.0001


def test_the_working_shows_what_the_question_asks_and_what_that_reads():
    sheet = build_sheet(["problems/lstm-gomez-backprop.yaml"])
    (a, b) = sheet.problems[0].questions
    (part,) = a.parts
    shown = {(w.name, s.t) for s in part.result.steps for w in s.gradients}
    # Asked: state and out at steps 0 and 1; dL/dstate(0) reads dL/dstate(1) and dL/dout(0),
    # which reads the gates of step 1; the gates of step 0 and the initial states are not needed.
    assert shown == {("out", 1), ("state", 1), ("o", 1), ("f", 1), ("i", 1), ("a", 1),
                     ("out", 0), ("state", 0)}
    assert part.result.params == ()
    (part,) = b.parts
    assert [w.name for w in part.result.params] == ["W_a", "U_a"]
    assert ("a", 0) in {(w.name, s.t) for s in part.result.steps for w in s.gradients}
    # Self-contained: every dL/dq(t) a shown chain reads is itself shown.
    for question in (a, b):
        for part in question.parts:
            working = part.result
            shown = {(w.name, s.t) for s in working.steps for w in s.gradients}
            for step in working.steps:
                for worked in step.gradients:
                    for node in walk(worked.symbolic) if worked.symbolic is not None else ():
                        if isinstance(node, Grad):
                            assert (node.name, step.t - node.lag) in shown


def test_a_question_asking_only_the_loss_gets_the_loss_alone():
    text = render_markdown(build_sheet(["problems/lstm-goodfellow-gradients.yaml"]))
    question_a = text[text.index("## Question a"):text.index("## Question b")]
    assert "### Loss" in question_a and "(backward)" not in question_a
    assert "- $L = L^{(1)} + L^{(2)} + L^{(3)} = " in question_a
    question_b = text[text.index("## Question b"):text.index("## Answer key")]
    assert "### Step t = 3 (backward)" in question_b and "### Parameters" in question_b
    assert "is the sum over the steps t of" in question_b


def test_a_problem_without_questions_gets_a_gradients_section():
    result = CliRunner().invoke(cli, ["solve", "problems/lstm-dcdc-forget-closed.yaml"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    out = result.stdout
    assert "## Back-propagation through time: the loss, the gradient of every quantity" in out
    assert "### Initial states (t = 0)" in out and "### Parameters (sum over the steps)" in out
    oracle = Oracle("lstm-dcdc-forget-closed")
    for p, value in oracle.grads["params"].items():
        assert f"| 1 | gradients | grad.{p} |" in out
    assert "| 1 | gradients | loss |" in out


def test_key_csv_holds_the_json_gradients_at_full_precision():
    result = CliRunner().invoke(cli, ["solve", "problems/lstm-gomez-backprop.yaml", "--key",
                                      "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0
    oracle = Oracle("lstm-gomez-backprop")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 6
    for row in rows:
        match = re.match(r"^grad\.(\w+)(?:\[(-?\d+)\])?$", row["reference"])
        name, step = match.group(1), match.group(2)
        expected = oracle.grad(name, None if step is None else int(step))
        value = json.loads(row["value"]) if row["value"].startswith("[") else float(row["value"])
        assert np.array_equal(np.asarray(value, dtype=float), np.asarray(expected, dtype=float))


def test_the_notebook_reprs_of_a_sheet_show_the_gradient_working():
    import xml.etree.ElementTree as ET

    import rnncli

    sheet = rnncli.solve("problems/lstm-gomez-backprop.yaml")
    html = sheet._repr_html_()
    root = ET.fromstring(html)          # the fragment is well-formed XML
    assert "Step t = 0 (backward)" in "".join(root.itertext())
    assert "<mfrac>" in html
    assert "### Step t = 0 (backward)" in sheet._repr_markdown_()
    oracle = Oracle("lstm-gomez-backprop")
    latex = sheet._repr_latex_()
    shown = re.search(r"\\text\{grad\.U\\_a\} &= (-?[\d.]+)", latex).group(1)
    assert float(shown) == pytest.approx(oracle.grad("U_a", None), abs=5e-5)
