"""What a trace adds to its headings and layout beyond one cell: layers, changes, comparisons.

- Heading notes: the network's layers and directions, the packed tensors cut
  into per-gate parameters, the changes made for this run (`--set`, teacher
  forcing) and the parameters they left unused, the mode (teacher forcing or
  free running).
- The working grouped by layer and direction, each in its own time order (a
  backward direction from the last step to the first), so a student follows
  one chain at a time; the summary folded into one table per group.
- `--compare`: the changed run next to the unchanged one, per quantity and step,
  with the difference.
"""
from __future__ import annotations

import numpy as np

from rnncli.render.worked import Skipped, chain, gap_row, summary_steps, value_text, worked_steps
from rnncli.language.printing.text import TextPrinter
from rnncli.solve.working import scalar_test


def heading_notes(trace) -> list[str]:
    """Returns the lines a heading adds for a network, packed tensors and changes (plain text)."""
    problem, cell = trace.problem, trace.cell
    notes = []
    if cell.blocks:
        parts = [f"{problem.layers} layer{'s' if problem.layers > 1 else ''}"]
        if problem.bidirectional:
            parts.append("bidirectional")
        if problem.proj_size:
            parts.append(f"projection to {problem.proj_size} (h = W_hr·(o ⊙ tanh(c)))")
        names = ""
        if problem.bidirectional:
            names = (". Names of layer k end in _lk, the backward direction's in _lk_reverse"
                     + ("; layer k+1 reads [h_lk, h_lk_reverse]" if problem.layers > 1 else ""))
        elif problem.layers > 1:
            names = ". Names of layer k end in _lk; layer k+1 reads h_lk"
        notes.append("Network: " + ", ".join(parts) + names)
        if problem.bidirectional:
            last = problem.time_start + len(trace.steps)
            notes.append(f"The backward direction reads x from the last step to the first; "
                         f"its state before it starts is at step {last}; output = "
                         "[forward h, backward h] of the top layer")
    for split in trace.splits:
        notes.append("Packed: " + split.describe())
    for change in problem.changes:
        if change.kind == "set":
            notes.append(f"Changed for this run: {change.describe()}")
    if cell.unused:
        notes.append("Unused after the change (not read by any equation): " + ", ".join(cell.unused))
    if problem.teacher_forcing:
        first = problem.time_start - 1
        forced = ", ".join(f"{name}[t−1] reads the input {target}[t−1], and {target}({first}) "
                           f"is the initial {name}"
                           for name, target in problem.teacher_forcing.items())
        notes.append(f"Mode: teacher forcing ({forced}; {', '.join(problem.teacher_forcing)} "
                     "itself is still computed)")
    return notes


def _reads_inputs(cell, names) -> bool:
    from rnncli.language.expression import Name, walk

    inputs = set(cell.inputs)
    return any(isinstance(n, Name) and n.name in inputs
               for name in names for n in walk(cell.equation(name).expr))


def worked_groups(trace, all_steps: bool = False) -> list:
    """Returns [(group title, shows inputs, wanted names, [worked step])]: one group per layer and
    direction, each in its own time order (a backward direction from the last step to the first)."""
    cell = trace.cell
    worked = worked_steps(trace, all_steps)
    groups = []
    for block in cell.schedule:
        steps = list(reversed(worked)) if block.direction == "reverse" else list(worked)
        title = block.title[:1].upper() + block.title[1:]
        if block.direction == "reverse":
            title += " (runs from the last step to the first)"
        groups.append((title, _reads_inputs(cell, block.names), frozenset(block.names), steps))
    return groups


def grouped_lines(trace, precision: int, all_steps: bool = False) -> list:
    """Returns [(group title, [(t, inputs text, [equation lines])])], each group in its time order."""
    cell = trace.cell
    scalar = scalar_test(cell.shapes)
    constants = frozenset(cell.params)
    groups = []
    for title, shows_inputs, wanted, steps in worked_groups(trace, all_steps):
        lines_of_steps = []
        for step in steps:
            if isinstance(step, Skipped):
                lines_of_steps.append((None, step.text(), []))
                continue
            t = step.t
            printer = TextPrinter(step=t, precision=precision, scalar=scalar, constants=constants)
            inputs = ", ".join(f"{name}({t}) = {value_text(v, precision, given=True)}"
                               for name, v in step.inputs.items()) if shows_inputs else ""
            lines = [f"{w.name}({t}) = " + " = ".join(
                         chain(printer, w, value_text(w.value, precision, given=w.constant)))
                     for w in step.equations if w.name in wanted]
            lines_of_steps.append((t, inputs, lines))
        groups.append((title, lines_of_steps))
    return groups


def summary_groups(trace, precision: int, all_steps: bool = False) -> list:
    """Returns [(title, header, rows)]: the summary folded into one table per layer and direction."""
    cell = trace.cell
    groups = []
    for index, block in enumerate(cell.schedule):
        names = (list(cell.inputs) if index == 0 else []) + list(block.names)
        rows = []
        for step in summary_steps(trace.steps, all_steps):
            if isinstance(step, int):
                rows.append(gap_row(step, len(names) + 1))
                continue
            values = {**step.inputs, **step.values}
            rows.append([str(step.t)] + [value_text(values[n], precision) for n in names])
        groups.append((block.title[:1].upper() + block.title[1:], ["t"] + names, rows))
    return groups


# --- --compare ------------------------------------------------------------------------------


def baseline_label(trace) -> str:
    """Returns what the other run is called: `free running` under teacher forcing, else `unchanged`."""
    return "free running" if trace.problem.teacher_forcing else "unchanged"


def compare_tables(trace, baseline, precision: int) -> list:
    """Returns [(quantity, header, rows)]: per step, the quantity in both runs and the difference.

    One table per quantity keeps each one readable at any width (vectors take room).
    """
    label = baseline_label(trace)
    tables = []
    for name in (n for n in trace.cell.quantities if n in baseline.cell.quantities):
        rows = []
        for changed, original in zip(trace.steps, baseline.steps):
            a = np.asarray(changed.values[name], dtype=float)
            b = np.asarray(original.values[name], dtype=float)
            fits = a.shape == b.shape or a.ndim == 0 or b.ndim == 0
            rows.append([str(changed.t), value_text(a, precision), value_text(b, precision),
                         value_text(a - b, precision) if fits else "—"])
        tables.append((name, ["t", name, f"{name} ({label})", f"Δ{name}"], rows))
    return tables


def compare_title(trace) -> str:
    """Returns what is compared: `f = 0 (--set) against the problem as written`."""
    changes = [c.describe() for c in trace.problem.changes if c.kind == "set"]
    if trace.problem.teacher_forcing:
        changes.append("teacher forcing")
    against = "free running" if trace.problem.teacher_forcing else "the problem as written"
    return "Comparison: " + "; ".join(changes) + f" against {against}"


def compare_markdown(trace, baseline, precision: int) -> list[str]:
    label = baseline_label(trace)
    lines = ["## " + compare_title(trace), "",
             f"Each quantity as changed, {label}, and the difference Δ (changed − {label}).", ""]
    for name, header, rows in compare_tables(trace, baseline, precision):
        lines.append("| " + " | ".join(f"`{h}`" if h != "t" else h for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    return lines[:-1]


def compare_latex(trace, baseline, precision: int) -> list[str]:
    from rnncli.language.printing.latex import latex_name

    def cell_text(text: str) -> str:
        return "$" + text.replace("−", "-").replace("…", r"\ldots") + "$"

    label = baseline_label(trace)
    out = [f"% {compare_title(trace)}", f"\\subsection*{{Comparison with the run {label}}}"
           if label == "free running" else "\\subsection*{Comparison with the unchanged problem}"]
    for name, header, rows in compare_tables(trace, baseline, precision):
        symbol = latex_name(name)
        out += ["\\begin{tabular}{rlll}",
                f"$t$ & ${symbol}$ & ${symbol}$ ({label}) & $\\Delta {symbol}$ \\\\", "\\hline"]
        out += [" & ".join(cell_text(c) for c in row) + " \\\\" for row in rows]
        out += ["\\end{tabular}", ""]
    return out[:-1]
