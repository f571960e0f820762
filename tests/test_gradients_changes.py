"""`gradients` and `jacobian` with `--set` and teacher forcing (spec §15), against hand-edited problems
and an independent numpy backward pass."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from rnncli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_set_equals_the_hand_edited_problem():
    changed = json.loads(run("gradients", PROBLEMS / "lstm-dcdc.yaml", "--set", "f=0", "--format", "json"))
    edited = json.loads(run("gradients", PROBLEMS / "lstm-dcdc-forget-closed.yaml", "--format", "json"))
    assert changed["loss"] == edited["loss"] and changed["params"] == edited["params"]
    assert changed["steps"] == edited["steps"]
    assert "changed for this run: f = 0 (--set)" in run("gradients", PROBLEMS / "lstm-dcdc.yaml",
                                                        "--set", "f=0")
    jac = json.loads(run("jacobian", PROBLEMS / "lstm-dcdc.yaml", "--of", "c", "--set", "f=0",
                         "--format", "json"))
    # With the forget gate shut, c(t) = i(t) g(t) reads c(t-1) only through h(t-1): the direct
    # term (the constant-error carousel, f(t)) is 0 at every step.
    assert all(np.allclose(step["direct"], 0) for step in jac["steps"])


def test_teacher_forcing_flows_no_gradient_through_the_forced_reads():
    """The network of two-layer-feedback-teacher-forcing.yaml, its loss written here, and dL/dW
    computed by a numpy backward pass in which y[t-1] is the target (an input)."""
    import yaml

    data = yaml.safe_load((PROBLEMS / "two-layer-feedback-teacher-forcing.yaml").read_text())
    loss = "-sum(target * log(y))"
    out = json.loads(run("gradients", PROBLEMS / "two-layer-feedback-teacher-forcing.yaml",
                         "--loss", loss, "--format", "json"))
    p = {k: np.array(v, dtype=float) for k, v in data["params"].items()}
    xs = np.array(data["inputs"]["x"], dtype=float)
    targets = np.array(data["inputs"]["target"], dtype=float)
    eqs = data["equations"]
    # Evaluate the file's own equations with numpy (they are plain expressions in x, h1, h2, y).
    env = {"tanh": np.tanh, "softmax": lambda a: np.exp(a - a.max()) / np.exp(a - a.max()).sum(),
           "sigmoid": lambda a: 1 / (1 + np.exp(-a))}

    def forward(params):
        h1 = np.zeros(len(p["b"]))
        h2 = np.zeros(len(p["c"]))
        # before the first step the forced read takes y's initial value (spec §15)
        prev_target = np.array(data["initial"]["y"], dtype=float)
        total = 0.0
        for x, target in zip(xs, targets):
            scope = {**env, **params, "x": x, "target": target}
            scope["h1"] = _eval(eqs["h1"], scope, {"h1": h1, "h2": h2, "y": prev_target})
            scope["h2"] = _eval(eqs["h2"], scope, {"h1": h1, "h2": h2, "y": prev_target})
            scope["y"] = _eval(eqs["y"], scope, {"h1": h1, "h2": h2, "y": prev_target})
            h1, h2 = scope["h1"], scope["h2"]
            prev_target = target
            total += -np.sum(target * np.log(scope["y"]))
        return total

    assert np.isclose(out["loss"], forward(p), rtol=1e-12)
    # central differences of the independent forward pass, for every parameter entry
    for name, grad in out["params"].items():
        grad = np.asarray(grad)
        for index in np.ndindex(p[name].shape):
            bumped = {k: v.copy() for k, v in p.items()}
            bumped[name][index] += 1e-6
            up = forward(bumped)
            bumped[name][index] -= 2e-6
            down = forward(bumped)
            assert np.isclose(grad[index], (up - down) / 2e-6, rtol=1e-5, atol=1e-8), (name, index)


def _eval(text: str, scope: dict, lagged: dict):
    """Evaluates one equation of the file with numpy: `a[t-1]` reads the previous step."""
    import re

    source = re.sub(r"\b([A-Za-z_]\w*)\[t-1\]", lambda m: f"__lag_{m.group(1)}", text)
    local = {**scope, **{f"__lag_{k}": v for k, v in lagged.items()}}
    # The test's own oracle: a plain expression over numpy arrays, written in the problem file.
    return eval(compile(source, "<equation>", "eval"), {"__builtins__": {}}, local)  # noqa: S307
