"""`params_file:` and `inputs_file:` (.npz beside the problem): the same numbers and the same
checks as inline values, and no way out of the problem's folder or into pickle."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnncli.errors import RnncliError
from rnncli.files import arrays_file
from rnncli.files.problem import load_problem
from rnncli.render.json_document import dumps, trace_document
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parent.parent
INLINE = ROOT / "problems" / "lstm-standard.yaml"


def split_problem(tmp_path: Path, params=True, inputs=True) -> Path:
    """Writes lstm-standard.yaml with its params and/or inputs moved to .npz files."""
    problem = load_problem(str(INLINE))
    text = "title: from npz\ncell: lstm\ninitial: {h: [0, 0], c: [0, 0]}\n"
    if params:
        np.savez(tmp_path / "weights.npz", **problem.params)
        text += "params_file: weights.npz\n"
    else:
        text += "params:\n" + "".join(f"  {k}: {v.tolist()}\n" for k, v in problem.params.items())
    if inputs:
        np.savez(tmp_path / "inputs.npz", x=np.stack(problem.inputs["x"]))
        text += "inputs_file: inputs.npz\n"
    else:
        text += f"inputs:\n  x: {np.stack(problem.inputs['x']).tolist()}\n"
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def steps_json(path) -> str:
    document = trace_document(run_trace(load_problem(str(path))))
    document.pop("title")
    return dumps(document)


@pytest.mark.parametrize("params, inputs", [(True, False), (False, True), (True, True)])
def test_arrays_from_npz_trace_exactly_as_inline(tmp_path, params, inputs):
    assert steps_json(split_problem(tmp_path, params, inputs)) == steps_json(INLINE)


def error_of(path) -> RnncliError:
    with pytest.raises(RnncliError) as info:
        load_problem(str(path))
    return info.value


def problem_with(tmp_path, line: str, **arrays) -> Path:
    if arrays:
        np.savez(tmp_path / "w.npz", **arrays)
    path = tmp_path / "p.yaml"
    path.write_text(f"cell: rnn\ninputs: {{x: [1, 2]}}\n{line}\n")
    return path


@pytest.mark.parametrize("line, message", [
    ("params_file: /etc/passwd", "must be a path relative to the problem file"),
    ("params_file: ../w.npz", "leaves the problem's folder"),
    ("params_file: sub/../../w.npz", "leaves the problem's folder"),
    ("params_file: missing.npz", "no such file 'missing.npz'"),
    ("params_file: [1, 2]", "must be the name of a .npz file beside the problem, not a list"),
])
def test_paths_are_refused_with_the_key_and_line(tmp_path, line, message):
    (tmp_path / "sub").mkdir()
    error = error_of(problem_with(tmp_path, line))
    assert message in error.message and error.line == 3, str(error)


W = np.array([[0.5, 0.1], [0.2, 0.3]])


@pytest.mark.parametrize("arrays, message", [
    ({"W": np.array([[0.5, np.nan], [0.2, 0.3]])}, "`params.W[1][2]` must be a finite number, not NaN"),
    ({"W": np.array([[0.5, 2e9], [0.2, 0.3]])}, "`params.W[1][2]` = 2e+09 is too large"),
    ({"W": np.array([[1, 12345678901]])}, "`params.W[1][2]` = 12345678901 is too large"),
    ({"W": np.array([[0.5, np.inf]])}, "`params.W[1][2]` must be a finite number"),
    ({"W": np.array([True, False])}, "`params.W` must hold real numbers, not booleans"),
    ({"W": np.array([1 + 2j])}, "`params.W` must hold real numbers, not complex numbers"),
    ({"W": np.zeros((2, 2, 2))}, "`params.W` is nested too deeply"),
    ({"W": np.zeros((0,))}, "`params.W` is an empty list; expected numbers"),
    ({"W x": W}, "`W x` is not a valid name"),
])
def test_every_array_gets_the_checks_of_an_inline_value(tmp_path, arrays, message):
    error = error_of(problem_with(tmp_path, "params_file: w.npz", **arrays))
    assert message in error.message and error.line == 3, str(error)


def test_pickled_objects_are_refused_never_loaded(tmp_path):
    np.savez(tmp_path / "w.npz", W=np.array([{"a": 1}, None], dtype=object))
    error = error_of(problem_with(tmp_path, "params_file: w.npz"))
    assert "holds Python objects" in error.message and error.line == 3


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04broken"])
def test_a_file_that_is_not_npz_is_one_error(tmp_path, content):
    (tmp_path / "w.npz").write_bytes(content)
    error = error_of(problem_with(tmp_path, "params_file: w.npz"))
    assert "not a" in error.message and ".npz file" in error.message and error.line == 3


def test_a_single_npy_array_is_refused(tmp_path):
    np.save(tmp_path / "w.npz", W)
    (tmp_path / "w.npz.npy").rename(tmp_path / "w.npz")
    error = error_of(problem_with(tmp_path, "params_file: w.npz"))
    assert "not a single .npy array" in error.message


def test_the_size_is_checked_from_the_headers_before_loading(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays_file, "MAX_ENTRIES", 3)
    error = error_of(problem_with(tmp_path, "params_file: w.npz", W=W))
    assert "holds more than 3 numbers" in error.message
    monkeypatch.setattr(arrays_file, "MAX_FILE_BYTES", 10)
    error = error_of(problem_with(tmp_path, "params_file: w.npz", W=W))
    assert "is larger than" in error.message


def error_running(path) -> RnncliError:
    with pytest.raises(RnncliError) as info:
        run_trace(load_problem(str(path)))
    return info.value


def test_a_wrong_shape_from_a_file_is_the_error_of_an_inline_value(tmp_path):
    (tmp_path / "inline.yaml").write_text("cell: rnn\ninputs: {x: [[1, 2], [3, 4]]}\n"
                                          "params:\n  W_xh: [[1, 2, 3]]\n  W_hh: [[1]]\n  b_h: [0]\n")
    np.savez(tmp_path / "w.npz", W_xh=np.array([[1.0, 2, 3]]), W_hh=np.array([[1.0]]),
             b_h=np.array([0.0]))
    (tmp_path / "p.yaml").write_text("cell: rnn\ninputs: {x: [[1, 2], [3, 4]]}\nparams_file: w.npz\n")
    expected = error_running(tmp_path / "inline.yaml")
    error = error_running(tmp_path / "p.yaml")
    assert (error.message, error.line) == (expected.message, expected.line)


def test_given_twice_is_refused(tmp_path):
    error = error_of(problem_with(tmp_path, "params_file: w.npz\nparams: {W: 1}", W=W))
    assert "`params.W` is given twice" in error.message
    np.savez(tmp_path / "x.npz", x=np.array([1.0, 2.0]))
    error = error_of(problem_with(tmp_path, "inputs_file: x.npz"))
    assert "the inputs are given twice" in error.message


def test_input_arrays_are_steps(tmp_path):
    np.savez(tmp_path / "x.npz", x=np.array([0.5, 1.5, 2.5]), z=np.array([[1.0, 2.0]] * 3))
    path = tmp_path / "p.yaml"
    path.write_text("cell: rnn\ninputs_file: x.npz\n")
    problem = load_problem(str(path))
    assert problem.n_steps == 3 and problem.input_names == ("x", "z")
    assert problem.inputs["x"][1].shape == () and float(problem.inputs["x"][1]) == 1.5
    assert problem.inputs["z"][2].tolist() == [1.0, 2.0]
    np.savez(tmp_path / "x.npz", x=np.array([0.5, 1.5, 2.5]), z=np.array([1.0, 2.0]))
    assert "different lengths" in error_of(path).message
    np.savez(tmp_path / "x.npz", x=np.zeros((2, 2, 2)))
    assert "every step must be a number or a vector" in error_of(path).message
