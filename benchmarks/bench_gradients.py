"""Benchmarks of issue 10's speed targets (not a test: machines are noisy).

    python benchmarks/bench_gradients.py            # full size, 5 rounds
    python benchmarks/bench_gradients.py --quick    # 200 steps, 3 rounds: a smoke run

1. `gradients` of a 256-unit LSTM (32 inputs) over 1,000 steps, loss ½‖h − target‖²
   at every step, within 3x of the same problem's `trace` (both in this process:
   rnncli.solve.gradients.run_gradients vs rnncli.solve.trace.run_trace).
2. The same backward pass within 2x of PyTorch autograd, float64, one thread
   (the forward loop with the same equations, then loss.backward(); torch's
   import is not timed). Skipped when torch is not installed.
3. `jacobian` of a 64-unit LSTM (16 inputs) over 200 steps (--of c) under 5x its
   trace: in this process (run_jacobian vs run_trace), and as whole commands,
   `rnncli jacobian P --of c --format F` vs `rnncli trace P --format F` for the text
   and JSON formats (P written as a problem file, numbers to 4 decimals; output
   thrown away; start-up and reading the file are in both).

Runs are paired: each round times both sides, alternating which goes first, and
the medians of the pairs' ratios are reported. Before timing, the gradients are
checked against torch's (to 1e-9 relative) when torch is there.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
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


def paired(a, b, rounds: int) -> tuple[float, float, float]:
    """Returns the median times of two callables run in alternating pairs, and the
    median of the pairs' ratios b/a (what holds when the machine's speed drifts)."""
    times_a, times_b = [], []
    for i in range(rounds):
        if i % 2:
            times_b.append(timed(b))
            times_a.append(timed(a))
        else:
            times_a.append(timed(a))
            times_b.append(timed(b))
    ratio = statistics.median(tb / ta for ta, tb in zip(times_a, times_b))
    return statistics.median(times_a), statistics.median(times_b), ratio


def problem_file(problem: Problem, path: Path) -> None:
    """Writes a problem file of the problem's numbers, to 4 decimals (under the size limit)."""
    def text(value):
        value = np.asarray(value)
        if value.ndim == 0:
            return repr(round(float(value), 4))
        return "[" + ", ".join(text(v) for v in value) + "]"

    lines = ["title: benchmark LSTM", f"cell: {problem.cell}", "params:"]
    lines += [f"  {name}: {text(value)}" for name, value in problem.params.items()]
    lines += ["inputs:"] + [f"  {name}: [{', '.join(text(v) for v in values)}]"
                            for name, values in problem.inputs.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def command(*args: str):
    """Returns a callable running `rnncli ARGS` as a new process, its output thrown away."""
    def run():
        subprocess.run([sys.executable, "-m", "rnncli", *args], check=True,
                       stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1])
    return run


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


def gradient_rows(steps: int, rounds: int) -> list:
    """Returns the rows of targets 1 and 2: gradients vs trace, and vs torch's autograd."""
    rows = []
    big = lstm_problem(steps, 256, 32)
    trace_time, grad_time, ratio = paired(lambda: run_trace(big), lambda: run_gradients(big),
                                          rounds)
    rows.append(("gradients / trace, 256-unit LSTM", steps, grad_time, trace_time, ratio, 3.0))
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: the autograd comparison is skipped")
        return rows
    backward = torch_backward(big)
    ours = run_gradients(big).params
    theirs = backward()
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
    torch_time, grad_time2, ratio = paired(backward, lambda: run_gradients(big), rounds)
    rows.append(("gradients / torch autograd (float64, 1 thread)", steps, grad_time2,
                 torch_time, ratio, 2.0))
    return rows


def jacobian_phases(problem: Problem, rounds: int) -> list:
    """Returns (phase, median seconds) of run_jacobian's parts, each timed alone."""
    from rnncli.cells.build import build_cell
    from rnncli.files.problem import LossSpec
    from rnncli.language.expression import Number
    from rnncli.solve import jacobian as J
    from rnncli.solve.gradient_plan import build_plan

    cell = build_cell(problem)
    trace = run_trace(problem, cell)
    plan = build_plan(problem, cell, LossSpec(each="0", expr=Number(0.0)))
    reverse = J._Reverse(plan, cell, trace, "c")
    moved, _ = J._dependents(cell, "c")
    top = len(trace.steps) - 1
    grads, initial = reverse.run(top, 0)
    matrices = [grads[k]["c"] for k in range(top - 1, -1, -1)] + [initial["c"]]
    phases = [("the trace (run_trace)", lambda: run_trace(problem)),
              ("the chain rule compiled (build_plan)",
               lambda: build_plan(problem, cell, LossSpec(each="0", expr=Number(0.0)))),
              ("one-step derivatives dq(t)/dq(t-1), all t",
               lambda: J._one_steps(reverse, trace, cell, "c", moved)),
              ("the backward sweep dq(T)/dq(k), all k", lambda: reverse.run(top, 0)),
              ("the spectral norms (201 SVDs)", lambda: J.spectral_norms(matrices))]
    out = []
    for name, function in phases:
        out.append((name, statistics.median(timed(function) for _ in range(rounds))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--only-jacobian", action="store_true",
                        help="time the jacobian rows alone (no 256-unit gradients)")
    parser.add_argument("--no-commands", action="store_true",
                        help="skip the whole-command pairs (rnncli processes)")
    args = parser.parse_args()
    steps = 200 if args.quick else 1000
    rounds = args.rounds or (3 if args.quick else 5)
    rows = []

    if not args.only_jacobian:
        rows += gradient_rows(steps, rounds)

    small = lstm_problem(200, 64, 16, loss=False)
    # A fifth of a second a round: more rounds steady the median on a busy machine.
    trace_small, jac_time, ratio = paired(lambda: run_trace(small),
                                          lambda: run_jacobian(small, "c"), max(3 * rounds, 9))
    rows.append(("jacobian / trace, 64-unit LSTM", 200, jac_time, trace_small, ratio, 5.0))
    phases = jacobian_phases(small, max(3 * rounds, 9))
    if not args.no_commands:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "lstm64.yaml"
            problem_file(small, path)
            for fmt in ("text", "json"):
                anchor, ours, ratio = paired(command("trace", str(path), "--format", fmt),
                                             command("jacobian", str(path), "--of", "c",
                                                     "--format", fmt), rounds)
                rows.append((f"rnncli jacobian / rnncli trace, --format {fmt}", 200, ours, anchor,
                             ratio, 5.0))

    print(f"{'comparison':50} {'steps':>6} {'ours s':>8} {'anchor s':>9} {'ratio':>6} {'target':>7}")
    for name, n, ours_s, anchor_s, ratio, target in rows:
        print(f"{name:50} {n:6d} {ours_s:8.3f} {anchor_s:9.3f} {ratio:6.2f} {'<= ' + str(target):>7}"
              f"{'' if ratio <= target else '  MISSED'}")
    print("ratio: the median of the rounds' paired ratios; times: medians")
    print("\nwhere run_jacobian's time goes (each part timed alone, in traces):")
    for name, seconds in phases:
        print(f"  {name:45} {seconds:7.3f} s {seconds / phases[0][1]:6.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps([dict(zip(
            ("comparison", "steps", "ours", "anchor", "ratio", "target"), r)) for r in rows],
            indent=1))


if __name__ == "__main__":
    main()
