"""count_parameters against oracles that do not share its code.

- PyTorch: tests/fixtures/torch_param_counts.json (30 configurations, counts
  from torch 2.13 itself): totals, per-layer/direction subtotals, and every
  stacked torch tensor against the sum of rnncli's per-gate blocks.
- Keras: tests/fixtures/keras_param_counts.json (conventions.md §2.4).
- Every single-layer cell and convention: tests/reference_cells.py PARAMS,
  whose shape codes (HI, HH, HC, IH, H, OH, HO, O) were written from the
  sources, not from rnncli.
- The published formulas of conventions.md §1.5 and §2.1-§2.3 for random sizes
  (hypothesis), and counts by hand for the seed problems.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_cells import PARAMS
from rnncli.solve.count_options import NetworkSizes
from rnncli.solve.counting import count_parameters
from rnncli.errors import ProblemError
from rnncli.files.problem import Problem, load_problem, parse_problem
from rnncli.solve.references import Solution, parse_reference

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
TORCH = json.loads((FIXTURES / "torch_param_counts.json").read_text())
KERAS = json.loads((FIXTURES / "keras_param_counts.json").read_text())

# torch's stacked tensors -> the per-gate names of rnncli/cells/data/<cell>/pytorch.yaml
# (tests/fixtures/README.md, "Parameter names are the per-gate row blocks").
TORCH_BLOCKS = {
    "rnn": {"weight_ih": ["W_ih"], "weight_hh": ["W_hh"], "bias_ih": ["b_ih"], "bias_hh": ["b_hh"]},
    "lstm": {"weight_ih": ["W_ii", "W_if", "W_ig", "W_io"], "weight_hh": ["W_hi", "W_hf", "W_hg", "W_ho"],
             "bias_ih": ["b_ii", "b_if", "b_ig", "b_io"], "bias_hh": ["b_hi", "b_hf", "b_hg", "b_ho"],
             "weight_hr": ["W_hr"]},
    "gru": {"weight_ih": ["W_ir", "W_iz", "W_in"], "weight_hh": ["W_hr", "W_hz", "W_hn"],
            "bias_ih": ["b_ir", "b_iz", "b_in"], "bias_hh": ["b_hr", "b_hz", "b_hn"]},
}
TORCH_NAME = re.compile(r"^(weight_ih|weight_hh|weight_hr|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


def torch_problem(config) -> Problem:
    sizes = {"input": config["input_size"], "hidden": config["hidden_size"]}
    if config.get("output_size"):
        sizes["output"] = config["output_size"]
    return Problem(file="<fixture>", cell=config["cell"], convention="pytorch", sizes=sizes,
                   output="linear" if config.get("output_size") else "none",
                   layers=config["num_layers"], bidirectional=config["bidirectional"],
                   proj_size=config["proj_size"] or None, bias=config["bias"])


def suffix(config, layer: int, reverse: bool) -> str:
    if config["num_layers"] == 1 and not config["bidirectional"]:
        return ""
    return f"_l{layer}" + ("_reverse" if reverse else "")


def test_the_torch_fixture_has_at_least_20_configurations():
    assert len(TORCH) >= 20


@pytest.mark.parametrize("config", TORCH, ids=[c["module"] for c in TORCH])
def test_total_equals_pytorch(config):
    assert count_parameters(torch_problem(config)).total == config["total"]


@pytest.mark.parametrize("config", TORCH, ids=[c["module"] for c in TORCH])
def test_every_torch_tensor_is_the_sum_of_rnncli_blocks(config):
    counts = count_parameters(torch_problem(config))
    rows = {row.name: row for row in counts.rows}
    seen = set()
    for tensor in config["params"]:
        if tensor["name"] in ("weight", "bias"):        # the nn.Linear read-out
            names = ["W_hy" if tensor["name"] == "weight" else "b_y"]
        else:
            kind, layer, reverse = TORCH_NAME.match(tensor["name"]).groups()
            end = suffix(config, int(layer), bool(reverse))
            names = [base + end for base in TORCH_BLOCKS[config["cell"]][kind]]
        blocks = [rows[n] for n in names]
        assert sum(b.count for b in blocks) == tensor["count"], tensor["name"]
        # torch stacks the gate blocks along the rows: same columns, rows add up.
        shape = tensor["shape"]
        assert sum(b.shape[0] for b in blocks) == shape[0]
        assert all(list(b.shape[1:]) == shape[1:] for b in blocks)
        seen.update(names)
    assert seen == set(rows), "rnncli has parameters torch does not"


@pytest.mark.parametrize("config", [c for c in TORCH if c["num_layers"] > 1 or c["bidirectional"]],
                         ids=lambda c: c["module"])
def test_subtotals_per_layer_and_direction_equal_pytorch(config):
    counts = count_parameters(torch_problem(config))
    expected = {}
    for tensor in config["params"]:
        _, layer, reverse = TORCH_NAME.match(tensor["name"]).groups()
        key = f"layer {layer}" + ((" reverse" if reverse else " forward") if config["bidirectional"] else "")
        expected[key] = expected.get(key, 0) + tensor["count"]
    assert {s.name: s.count for s in counts.subtotals} == expected
    for s in counts.subtotals:
        assert s.layer == int(s.name.split()[1])
        assert s.direction == ("reverse" if s.name.endswith("reverse") else "forward")


@pytest.mark.parametrize("model", KERAS["models"], ids=[m["model"] for m in KERAS["models"]])
def test_total_equals_keras(model):
    sizes = NetworkSizes(model["input_size"], model["hidden_size"], model.get("output_size"),
                         model.get("layers", 1), model.get("bidirectional", False), None,
                         model.get("bias", True))
    assert count_parameters(sizes.problem(model["cell"], model["convention"])).total == model["count"]
    if "model_total" in model:
        assert model["count"] + model["not_counted"] == model["model_total"]


def test_keras_summary_splits_the_seed001_rnn_like_keras():
    counts = count_parameters(NetworkSizes(20, 128, 10).problem("rnn", "keras"))
    assert {s.name: s.count for s in counts.subtotals} == {"cell": 19072, "read-out": 1290}


# --- every built-in cell and convention, tensor by tensor, against reference_cells.PARAMS ---

def reference_count(code: str, I: int, H: int, O: int) -> int:
    sizes = {"HI": H * I, "HH": H * H, "HC": H * (H + I), "IH": I * H, "H": H,
             "OH": O * H, "HO": H * O, "O": O}
    return sizes[code]


@pytest.mark.parametrize("key", sorted(PARAMS), ids=lambda k: f"{k[0]}-{k[1]}")
@pytest.mark.parametrize("I,H,O", [(20, 128, 10), (3, 5, 2), (1, 1, 1), (7, 4, 9)])
def test_every_convention_matches_the_reference_shapes(key, I, H, O):
    cell, convention = key
    counts = count_parameters(NetworkSizes(I, H, O).problem(cell, convention))
    expected = {name: reference_count(code, I, H, O) for name, code in PARAMS[key].items()}
    assert {row.name: row.count for row in counts.rows} == expected
    assert counts.total == sum(expected.values())


# --- the published formulas, for random sizes ---

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def torch_formula(cell, I, H, layers, D, bias, P=0):
    """conventions.md §1.5."""
    G, R = GATES[cell], (P or H)
    total = 0
    for layer in range(layers):
        In = I if layer == 0 else D * R
        total += D * (G * H * In + G * H * R + (2 * G * H if bias else 0) + (P * H if P else 0))
    return total


def keras_formula(cell, convention, I, H, layers, D, bias):
    """conventions.md §2.1-§2.3, stacked as Keras' Bidirectional layers are (§2.4)."""
    biases = {"keras": 2 if cell == "gru" else 1, "keras-reset-before": 1}[convention]
    total = 0
    for layer in range(layers):
        In = I if layer == 0 else D * H
        total += D * GATES[cell] * H * (In + H + (biases if bias else 0))
    return total


sizes = st.integers(min_value=1, max_value=64)


@settings(max_examples=60, deadline=None)
@given(cell=st.sampled_from(sorted(GATES)), I=sizes, H=st.integers(2, 64),
       layers=st.integers(1, 4), bidirectional=st.booleans(), bias=st.booleans(),
       data=st.data())
def test_pytorch_counts_follow_the_published_formula(cell, I, H, layers, bidirectional, bias, data):
    P = data.draw(st.integers(0, H - 1)) if cell == "lstm" else 0
    problem = NetworkSizes(I, H, None, layers, bidirectional, P or None, bias).problem(cell, "pytorch")
    D = 2 if bidirectional else 1
    assert count_parameters(problem).total == torch_formula(cell, I, H, layers, D, bias, P)


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from([("rnn", "keras"), ("lstm", "keras"), ("gru", "keras"),
                            ("gru", "keras-reset-before")]),
       I=sizes, H=sizes, layers=st.integers(1, 3), bidirectional=st.booleans(), bias=st.booleans())
def test_keras_counts_follow_the_published_formula(key, I, H, layers, bidirectional, bias):
    cell, convention = key
    problem = NetworkSizes(I, H, None, layers, bidirectional, None, bias).problem(cell, convention)
    D = 2 if bidirectional else 1
    assert count_parameters(problem).total == keras_formula(cell, convention, I, H, layers, D, bias)


# --- variants the seeds name ---

def test_peephole_adds_three_diagonal_vectors():
    plain = count_parameters(NetworkSizes(20, 128).problem("lstm", "standard"))
    peephole = count_parameters(NetworkSizes(20, 128).problem("lstm-peephole", "standard"))
    assert peephole.total - plain.total == 3 * 128
    assert [r.name for r in peephole.rows if r.shape == (128,) and r.name.startswith("p_")] == \
        ["p_i", "p_f", "p_o"]


def test_coupled_gates_have_three_quarters_of_the_lstm():
    plain = count_parameters(NetworkSizes(20, 128).problem("lstm", "standard"))
    coupled = count_parameters(NetworkSizes(20, 128).problem("lstm-coupled", "standard"))
    assert coupled.total == 3 * 128 * (20 + 128 + 1)
    assert coupled.total * 4 == plain.total * 3


def test_olah_concatenation_has_a_concat_formula():
    counts = count_parameters(NetworkSizes(20, 128).problem("lstm", "olah"))
    row = counts.row("W_f")
    assert row.shape == (128, 148)
    assert row.formula == "H·(H+I) = 128·(128+20) = 18944"


def test_hopfield_counts_free_weights_of_a_symmetric_matrix():
    problem = parse_problem("equations:\n  h: sign(W @ h[t-1] + b)\nsizes: {h: 8}\nsymmetric: [W]\n")
    counts = count_parameters(problem)
    assert counts.row("W").count == 8 * 7 // 2
    assert counts.row("W").symmetric and counts.row("W").formula == "H·(H−1)/2 = 8·7/2 = 28"
    assert counts.total == 28 + 8


def test_symmetric_needs_a_square_matrix():
    problem = parse_problem("equations:\n  h: tanh(W @ x)\ninputs: [x]\nsizes: {x: 3, h: 4}\n"
                            "symmetric: [W]\n", "bad.yaml")
    with pytest.raises(ProblemError, match=r"square matrix") as info:
        count_parameters(problem)
    assert info.value.file == "bad.yaml" and info.value.line == 5


def test_echo_state_network_trains_only_the_readout():
    counts = count_parameters(load_problem(str(ROOT / "problems" / "echo-state-network-params.yaml")))
    assert counts.total == 10 * 128 + 10
    assert counts.fixed == 128 * 20 + 128 * 128 + 128
    assert counts.all == 20362
    assert {r.name for r in counts.rows if not r.trainable} == {"W_xh", "W_hh", "b_h"}


# --- the shipped problems ---

def problem_file(name):
    return load_problem(str(ROOT / "problems" / name))


def test_seed001_rnn_is_20362_and_20490_in_pytorch():
    assert count_parameters(problem_file("rnn-params.yaml")).total == 20362
    assert count_parameters(problem_file("rnn-params-pytorch.yaml")).total == 20490
    # The sheet's own breakdown (seed 001, Task 1).
    rows = {r.name: r.count for r in count_parameters(problem_file("rnn-params.yaml")).rows}
    assert rows == {"W_xh": 2560, "W_hh": 16384, "b_h": 128, "W_hy": 1280, "b_y": 10}


def test_seed000_feedback_network_counts_every_matrix():
    counts = count_parameters(problem_file("two-layer-feedback-sizes.yaml"))
    I, H1, H2, O = 10, 20, 16, 5
    by_hand = {"U": H1 * I, "V": H1 * H1, "W": H1 * H2, "b": H1,
               "R": H2 * H1, "S": H2 * H2, "T": H2 * O, "c": H2,
               "P": O * I, "Q": O * H2, "d": O}
    assert {r.name: r.count for r in counts.rows} == by_hand
    assert counts.total == sum(by_hand.values()) == 1747
    assert counts.row("T").role == "y[t-1] → h2"
    assert counts.row("T").formula == "n_h2·O = 16·5 = 80"
    assert counts.row("b").role == "bias of h1"


def test_lstm_2layer_bidirectional_problem():
    counts = count_parameters(problem_file("lstm-2layer-bidirectional.yaml"))
    assert counts.total == 15040
    assert counts.row("W_ii_l1").shape == (20, 40)
    assert counts.row("W_ii_l1").formula == "H·2H = 20·40 = 800"


@pytest.mark.parametrize("name,ref,expected", [
    ("rnn-params.yaml", "params.total", 20362),
    ("rnn-params.yaml", "params.W_hh", 16384),
    ("rnn-params-pytorch.yaml", "params.b_hh", 128),
    ("lstm-2layer-bidirectional.yaml", "params.W_ii_l1", 800),
    ("lstm-2layer-bidirectional.yaml", "params.W_ii_l0_reverse", 200),
    ("echo-state-network-params.yaml", "params.total", 1290),
    ("hopfield-params.yaml", "params.W", 28),
    ("two-layer-feedback-sizes.yaml", "params.T", 80),
])
def test_quantity_references_resolve(name, ref, expected):
    solution = Solution(problem_file(name))
    assert solution.value(parse_reference(ref)) == expected
    assert solution.is_count(parse_reference(ref))


def test_every_question_of_the_count_problems_resolves():
    for name in ("rnn-params.yaml", "rnn-params-pytorch.yaml",
                 "two-layer-feedback-sizes.yaml", "lstm-2layer-bidirectional.yaml",
                 "echo-state-network-params.yaml", "hopfield-params.yaml"):
        problem = problem_file(name)
        assert problem.title and problem.source
        solution = Solution(problem)
        for question in problem.questions:
            for ref in question.ask:
                assert isinstance(solution.value(parse_reference(ref)), int)


def test_unknown_parameter_reference_suggests_the_layer_name():
    solution = Solution(problem_file("lstm-2layer-bidirectional.yaml"))
    with pytest.raises(ProblemError, match="did you mean `W_ii_l1`"):
        solution.value(parse_reference("params.W_ii"))


# --- stacking errors in problem files ---

PYTORCH_LSTM = "cell: lstm\nconvention: pytorch\nsizes: {input: 3, hidden: 20}\n"


@pytest.mark.parametrize("text,message,line", [
    (PYTORCH_LSTM + "proj_size: 20\n", r"`proj_size` \(20\) must be smaller than the hidden size \(20\)", 4),
    ("cell: lstm\nconvention: keras\nsizes: {input: 3, hidden: 20}\nproj_size: 5\n",
     r"needs `cell: lstm` with `convention: pytorch`", 4),
    (PYTORCH_LSTM + "layers: 2\nequations:\n  y: W_hy @ h\n", r"`y` is new", 6),
    # A stacked network's numbers name their layer: a bare name belongs to no layer.
    (PYTORCH_LSTM + "layers: 2\nparams:\n  W_ii: [[1, 2, 3]]\n",
     r"`params.W_ii` is not used by any equation \(did you mean `W_ii_l\d`\?\)", 6),
])
def test_stacking_mistakes_name_the_line(text, message, line):
    problem = parse_problem(text, "net.yaml")
    with pytest.raises(ProblemError, match=message) as info:
        count_parameters(problem)
    assert info.value.file == "net.yaml"
    assert info.value.line == line


def test_custom_equations_cannot_be_stacked():
    problem = parse_problem("equations:\n  h: tanh(W @ x + U @ h[t-1])\ninputs: [x]\n"
                            "sizes: {x: 2, h: 3}\nlayers: 2\n", "c.yaml")
    with pytest.raises(ProblemError, match="stacks a built-in `cell`") as info:
        count_parameters(problem)
    assert info.value.line == 5


def test_no_bias_removes_the_readout_bias_of_a_stacked_network():
    counts = count_parameters(NetworkSizes(10, 20, 3, 2, True, None, False).problem("gru", "pytorch"))
    assert "b_y" not in {r.name for r in counts.rows}
    assert counts.row("W_hy").shape == (3, 40)
    assert counts.total == 11280 - 2 * 2 * 2 * 60 + 3 * 40
