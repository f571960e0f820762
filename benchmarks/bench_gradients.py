"""Benchmarks of issue 10's speed targets (not a test: machines are noisy).

    python benchmarks/bench_gradients.py            # full size, 5 rounds
    python benchmarks/bench_gradients.py --quick    # 200 steps, 3 rounds: a smoke run

1. `gradients` of a 256-unit LSTM (32 inputs) over 1,000 steps, loss ½‖h − target‖²
   at every step, within 3x of the same problem's `trace` (both in this process:
   rnncli.solve.gradients.run_gradients vs rnncli.solve.trace.run_trace).
2. The same backward pass within 2x of PyTorch autograd, float64, one thread
   (the forward loop with the same equations, then loss.backward(); torch's
   import is not timed). Skipped when torch is not installed.
3. `jacobian` of a 64-unit LSTM over 200 steps (--of c) under 5x its trace.

Runs are paired: each round times both sides, alternating which goes first, and
the medians are compared. Before timing, the gradients are checked against
torch's (to 1e-9 relative) when torch is there.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnncli.files.problem import Problem, parse_loss  # noqa: E402
from rnncli.solve.gradients import run_gradients  # noqa: E402
from rnncli.solve.jacobian import run_jacobian  # noqa: E402
from rnncli.solve.trace import run_trace  # noqa: E402

GATES = ("i", "f", "o", "g")


def lstm_problem(steps: int, hidden: int, inputs: int, seed: int = 0, loss: bool = True) -> Problem:
    """Returns a standard-LSTM Problem with random weights, inputs and targets (no YAML)."""
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(hidden)
    params = {}
    for gate in GATES:
        params[f"W_{gate}"] = rng.uniform(-scale, scale, (hidden, inputs))
        params[f"U_{gate}"] = rng.uniform(-scale, scale, (hidden, hidden))
        params[f"b_{gate}"] = rng.uniform(-scale, scale, hidden)
    sequences = {"x": tuple(rng.normal(size=inputs) for _ in range(steps))}
    if loss:
        sequences["target"] = tuple(rng.uniform(-0.5, 0.5, hidden) for _ in range(steps))
    return Problem(file="<benchmark>", cell="lstm", params=params, inputs=sequences,
                   input_names=tuple(sequences),
                   loss=parse_loss("0.5 * sum((h - target) ** 2)") if loss else None)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def paired(a, b, rounds: int) -> tuple[float, float]:
    """Returns the median times of two callables run in alternating pairs."""
    times_a, times_b = [], []
    for i in range(rounds):
        if i % 2:
            times_b.append(timed(b))
            times_a.append(timed(a))
        else:
            times_a.append(timed(a))
            times_b.append(timed(b))
    return statistics.median(times_a), statistics.median(times_b)


def torch_backward(problem: Problem):
    """Returns a callable running the forward loop and loss.backward() in torch (float64)."""
    import torch

    torch.set_num_threads(1)
    p = {n: torch.tensor(v, requires_grad=True) for n, v in problem.params.items()}
    xs = torch.tensor(np.array(problem.inputs["x"]))
    targets = torch.tensor(np.array(problem.inputs["target"]))
    hidden = p["b_i"].shape[0]

    def run():
        for v in p.values():
            v.grad = None
        h = torch.zeros(hidden, dtype=torch.float64)
        c = torch.zeros(hidden, dtype=torch.float64)
        loss = 0
        for x, target in zip(xs, targets):
            i = torch.sigmoid(p["W_i"] @ x + p["U_i"] @ h + p["b_i"])
            f = torch.sigmoid(p["W_f"] @ x + p["U_f"] @ h + p["b_f"])
            o = torch.sigmoid(p["W_o"] @ x + p["U_o"] @ h + p["b_o"])
            g = torch.tanh(p["W_g"] @ x + p["U_g"] @ h + p["b_g"])
            c = f * c + i * g
            h = o * torch.tanh(c)
            loss = loss + 0.5 * ((h - target) ** 2).sum()
        loss.backward()
        return {n: v.grad.numpy().copy() for n, v in p.items()}

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    steps = 200 if args.quick else 1000
    rounds = args.rounds or (3 if args.quick else 5)
    rows = []

    big = lstm_problem(steps, 256, 32)
    trace_time, grad_time = paired(lambda: run_trace(big), lambda: run_gradients(big), rounds)
    rows.append(("gradients / trace, 256-unit LSTM", steps, grad_time, trace_time, 3.0))
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: the autograd comparison is skipped")
    else:
        backward = torch_backward(big)
        ours = run_gradients(big).params
        theirs = backward()
        for name, value in theirs.items():
            np.testing.assert_allclose(ours[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
        torch_time, grad_time2 = paired(backward, lambda: run_gradients(big), rounds)
        rows.append(("gradients / torch autograd (float64, 1 thread)", steps, grad_time2,
                     torch_time, 2.0))

    small = lstm_problem(200, 64, 16, loss=False)
    trace_small, jac_time = paired(lambda: run_trace(small), lambda: run_jacobian(small, "c"),
                                   rounds)
    rows.append(("jacobian / trace, 64-unit LSTM", 200, jac_time, trace_small, 5.0))

    print(f"{'comparison':50} {'steps':>6} {'ours s':>8} {'anchor s':>9} {'ratio':>6} {'target':>7}")
    for name, n, ours_s, anchor_s, target in rows:
        ratio = ours_s / anchor_s
        print(f"{name:50} {n:6d} {ours_s:8.3f} {anchor_s:9.3f} {ratio:6.2f} {'<= ' + str(target):>7}"
              f"{'' if ratio <= target else '  MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps([dict(zip(
            ("comparison", "steps", "ours", "anchor", "target"), r)) for r in rows], indent=1))


if __name__ == "__main__":
    main()
