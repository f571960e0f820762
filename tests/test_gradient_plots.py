"""`gradients --plot/--chart` (‖dL/dq(t)‖ against t) and `jacobian --plot/--chart` (‖dq(T)/dq(k)‖
against k on a log scale): the plotted numbers are the norms of the JSON's own values."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.files.problem import load_problem
from rnncli.solve.gradients import run_gradients
from rnncli.solve.jacobian import run_jacobian
from rnncli.solve.series import gradient_chart, jacobian_chart

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_gradient_chart_is_the_norm_of_each_quantitys_gradient():
    path = PROBLEMS / "lstm-goodfellow-gradients.yaml"
    document = json.loads(run("gradients", path, "--format", "json").stdout)
    chart = gradient_chart(run_gradients(load_problem(str(path))))
    by_label = {s.label: s for s in chart.series}
    for step in document["steps"]:
        for name, grad in step["grads"].items():
            series = by_label[f"‖dL/d{name}‖"]
            value = series.values[series.steps.index(step["t"])]
            assert value == pytest.approx(float(np.linalg.norm(np.ravel(grad))), rel=1e-12)
    out = run("gradients", path, "--chart")
    assert out.exit_code == 0 and "‖dL/dh‖" in out.stdout and "Loss" not in out.stdout


def test_jacobian_chart_is_on_a_log_scale_of_the_norms():
    path = PROBLEMS / "rnn-vanishing-gradients.yaml"
    document = json.loads(run("jacobian", path, "--of", "h", "--format", "json").stdout)
    chart = jacobian_chart(run_jacobian(load_problem(str(path)), "h", None))
    assert chart.log
    (series,) = chart.series
    assert dict(zip(series.steps, series.values)) == pytest.approx(
        {item["k"]: item["norm"] for item in document["from"]}, rel=1e-12)
    out = run("jacobian", path, "--of", "h", "--chart")
    assert out.exit_code == 0 and "log10 ‖dh(" in out.stdout
    # the terminal draws log10 of the norms: the top tick is at or above the largest log
    assert max(math.log10(v) for v in series.values) <= 0.5


def test_plot_files_need_the_plot_extra(tmp_path):
    target = tmp_path / "g.svg"
    out = run("gradients", PROBLEMS / "lstm-goodfellow-gradients.yaml", "--plot", target)
    if importlib.util.find_spec("matplotlib") is None:
        assert out.exit_code == 2 and "pip install 'rnncli[plot]'" in out.stderr
    else:
        assert out.exit_code == 0 and target.read_text().count("<path") > 0
