"""Gradients -> text lines, Markdown, LaTeX and the `rnncli/gradients@1` JSON document.

The rich terminal rendering (render_gradients_text) prints the same lines as
the Markdown, with colour; rich is imported only there.
"""
from __future__ import annotations

from rnncli.language.expression import Value
from rnncli.language.printing.base import format_number
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.render.json_document import plain
from rnncli.render.trace import describe_cell, one_line, value_text
from rnncli.solve.gradient_working import work_groups, work_initial, work_param
from rnncli.solve.working import scalar_test


def heading(result) -> str:
    """Returns what was computed: which steps' losses, sum or mean, truncation."""
    counted = result.counted
    steps = ("every step" if len(counted) == len(result.steps) else
             f"step {counted[0]}" if len(counted) == 1 else
             "steps " + ", ".join(map(str, counted)))
    text = (f"Back-propagation through time: L = the {'mean' if result.mean else 'sum'} of the "
            f"loss L(t) over {steps}")
    if result.truncate is not None:
        text += (f"; truncated BPTT: each step's loss flows back at most {result.truncate} "
                 f"step{'s' if result.truncate != 1 else ''}")
    from rnncli.files.changes import change_notes, mode

    if result.problem.teacher_forcing:
        text += f"; {mode(result.problem)}: the lagged reads of a forced quantity are inputs"
    notes = change_notes(result.problem)
    if notes:
        text += "; changed for this run: " + ", ".join(notes)
    return text


def _printer(cls, result, step, precision):
    return cls(step=step, precision=precision, scalar=scalar_test(result.cell.shapes),
               constants=frozenset(result.cell.params))


def _forms(printer, worked) -> list[str]:
    forms = []
    for node in (worked.symbolic, worked.substituted, worked.terms):
        if node is not None:
            text = printer.doprint(node)
            if not forms or text != forms[-1]:
                forms.append(text)
    return forms


def _line(target: str, forms: list, value: str) -> str:
    if forms and forms[-1] == value:
        forms = forms[:-1]
    return " = ".join([target] + forms + [value])


def text_sections(result, precision: int):
    """Yields (section title, [lines]) in reading order, for text and Markdown."""
    loss_printer = _printer(TextPrinter, result, None, precision)
    lines = [f"L(t) = {loss_printer.doprint(result.plan.loss.expr)}"]
    lines += [f"L({t}) = {value_text(v, precision)}" for t, v in result.losses]
    lines.append(f"L = {format_number(result.loss, precision).replace('-', '−')}")
    yield "Loss", lines
    for group, steps in work_groups(result):
        if group:
            yield group, []       # a network's layer and direction, then its steps
        for step in steps:
            printer = _printer(TextPrinter, result, step.t, precision)
            lines = []
            for worked in step.gradients:
                target = f"∂L/∂{worked.name}({step.t})"
                lines.append(_line(target, _forms(printer, worked),
                                   value_text(worked.value, precision)))
            yield (f"{group.split(' (')[0]}, step t = {step.t}" if group
                   else f"Step t = {step.t} (backward)"), lines
    initial = work_initial(result)
    if initial:
        # Each at its own step: before the first, or after the last for a backward direction.
        yield "Initial states", [_line(f"∂L/∂{w.name}({str(w.t).replace('-', '−')})",
                                       _forms(_printer(TextPrinter, result, w.t, precision), w),
                                       value_text(w.value, precision)) for w in initial]
    yield "Parameters (sum over the steps)", list(_param_lines(result, precision))
    yield "Norm", [f"‖∇L‖ = sqrt(sum of the squares of every parameter's gradient) = "
                   f"{format_number(result.norm, precision)}"]
    if result.clip is not None:
        yield "Clipping", list(_clip_lines(result, precision))
    if result.update is not None:
        clipped = " (clipped)" if result.clip is not None else ""
        yield "One step of gradient descent", [
            f"{p} ← {p} − {format_number(result.lr, precision)}·∂L/∂{p}{clipped} = "
            f"{value_text(v, precision)}" for p, v in result.update.items()]


def _param_lines(result, precision):
    symbolic = _printer(TextPrinter, result, None, precision)
    for p in result.plan.trainable:
        worked = work_param(result, p)
        forms = []
        if worked.symbolic is not None:
            forms.append("Σ_t " + symbolic.parenthesize(worked.symbolic, "·"))
        numeric = _printer(TextPrinter, result, 0, precision)
        for node in (worked.substituted, worked.terms):
            if node is not None:
                forms.append(numeric.doprint(node))
        yield _line(f"∂L/∂{p}", forms, value_text(worked.value, precision))
    for p in result.problem.fixed:
        yield f"{p} is fixed: no gradient"


def _clip_lines(result, precision):
    clip = result.clip
    n = format_number(clip.norm, precision)
    if clip.kind == "norm":
        yield (f"clip_grad_norm_(max_norm = {format_number(clip.max, precision)}): total norm "
               f"before clipping N = {n}")
        yield (f"factor = min(1, {format_number(clip.max, precision)}/(N + 1e-6)) = "
               f"{format_number(clip.factor, precision)}"
               + ("  (no clipping: the norm is within the bound)" if clip.factor >= 1 else ""))
    else:
        yield (f"clip_grad_value_(clip_value = {format_number(clip.max, precision)}): every entry "
               f"into [−{format_number(clip.max, precision)}, {format_number(clip.max, precision)}]"
               f"; total norm before clipping N = {n}")
    for p, g in clip.params.items():
        yield f"∂L/∂{p} (clipped) = {value_text(g, precision)}"


def render_markdown(result, precision: int) -> str:
    problem = result.problem
    out = [f"# {one_line(problem.title or 'Gradients')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    out += [f"Cell: {describe_cell(result.trace.problem)}.", "", heading(result) + ".", ""]
    for title, lines in text_sections(result, precision):
        out += [f"## {title}", ""] + [f"- `{line}`" for line in lines] + [""]
    return "\n".join(out)


def render_gradients_text(result, precision: int, console) -> None:
    from rich.text import Text

    from rnncli.render.text import title_lines

    title_lines(console, result.trace.problem)
    console.print(Text(heading(result), style="dim"), soft_wrap=True)
    for title, lines in text_sections(result, precision):
        console.print()
        console.print(Text(title, style="bold cyan"))
        for line in lines:
            target, sep, rest = line.partition(" = ")
            text = Text("  ")
            text.append(target, style="bold")
            text.append(sep + rest)
            console.print(text, soft_wrap=True)


def _latex_value(value, precision):
    return LatexPrinter(precision=precision).doprint(Value(value))


def _latex_printer(result, step, precision):
    printer = _printer(LatexPrinter, result, step, precision)
    printer.breakable = True         # long working breaks across lines to fit the page
    return printer


def _d(name: str, step=None) -> str:
    """Returns dL/dq(t) (or dL/dp for a parameter) in LaTeX."""
    base = latex_name(name)
    target = base if step is None else f"{{{base}}}^{{({step})}}"
    return f"\\frac{{\\partial L}}{{\\partial {target}}}"


def render_latex(result, precision: int) -> str:
    """Returns a complete LaTeX document: the loss, each step's gradients back in time, the
    parameters' gradients, clipping and the update, each working broken to fit A4."""
    from rnncli.render.latex import align_rows, document, latex_text

    problem = result.problem
    body = [latex_text(heading(result)) + "\n"]
    printer = _latex_printer(result, None, precision)
    rows = [("L^{(t)}", [printer.doprint(result.plan.loss.expr)])]
    rows += [(f"L^{{({t})}}", [_latex_value(v, precision)]) for t, v in result.losses]
    rows.append(("L", [_latex_value(result.loss, precision)]))
    body += ["\\subsection*{Loss}"] + align_rows(rows)
    for group, steps in work_groups(result):
        level = "\\subsection*"
        if group:
            body.append("\\subsection*{" + latex_text(group) + "}")
            level = "\\subsubsection*"
        for step in steps:
            printer = _latex_printer(result, step.t, precision)
            rows = [(_d(w.name, step.t), _forms(printer, w) + [_latex_value(w.value, precision)])
                    for w in step.gradients]
            body += [f"{level}{{Step $t = {step.t}$ (backward)}}"] + align_rows(rows)
    initial = work_initial(result)
    if initial:
        rows = [(_d(w.name, w.t), _forms(_latex_printer(result, w.t, precision), w)
                 + [_latex_value(w.value, precision)]) for w in initial]
        body += ["\\subsection*{Initial states}"] + align_rows(rows)
    rows = []
    symbolic = _latex_printer(result, None, precision)
    numeric = _latex_printer(result, 0, precision)
    for p in result.plan.trainable:
        worked = work_param(result, p)
        forms = []
        if worked.symbolic is not None:
            forms.append("\\sum_t " + symbolic.parenthesize(worked.symbolic, "·"))
        forms += [numeric.doprint(n) for n in (worked.substituted, worked.terms) if n is not None]
        forms.append(_latex_value(worked.value, precision))
        rows.append((_d(p), forms))
    rows.append(("\\lVert \\nabla L \\rVert", [_latex_value(result.norm, precision)]))
    body += ["\\subsection*{Parameters}"] + align_rows(rows)
    if result.clip is not None:
        clip = result.clip
        rows = [("N", [_latex_value(clip.norm, precision)])]
        if clip.kind == "norm":
            rows.append(("c", [f"\\min\\left(1, \\frac{{{_latex_value(clip.max, precision)}}}"
                               f"{{N + 10^{{-6}}}}\\right)", _latex_value(clip.factor, precision)]))
        rows += [(_d(p) + "_{\\text{clipped}}", [_latex_value(g, precision)])
                 for p, g in clip.params.items()]
        body += [f"\\subsection*{{Clipping by {clip.kind}}}"] + align_rows(rows)
    if result.update is not None:
        rows = [(f"{latex_name(p)}_{{\\text{{new}}}}", [_latex_value(v, precision)])
                for p, v in result.update.items()]
        body += [f"\\subsection*{{Gradient descent, $\\eta = {format_number(result.lr, precision)}$}}"]
        body += align_rows(rows)
    return document(problem.title or "Gradients", body, problem.source)


def gradients_document(result) -> dict:
    """Returns the `rnncli/gradients@1` document (spec §13), full float64."""
    document = {
        "schema": "rnncli/gradients@1",
        "title": result.problem.title,
        "loss": result.loss,
        "losses": [{"t": t, "value": v} for t, v in result.losses],
        "steps": [{"t": s.t, "grads": {q: plain(v) for q, v in s.grads.items()}}
                  for s in result.steps],
        "initial": {q: plain(v) for q, v in result.initial.items()},
        "params": {p: plain(g) for p, g in result.params.items()},
        "norm": result.norm,
    }
    if result.truncate is not None:
        document["truncate"] = result.truncate
    if result.clip is not None:
        clip = result.clip
        document["clip"] = {"kind": clip.kind, "max": clip.max, "norm": clip.norm,
                            "factor": clip.factor,
                            "params": {p: plain(g) for p, g in clip.params.items()}}
    if result.update is not None:
        document["update"] = {"lr": result.lr,
                              "params": {p: plain(v) for p, v in result.update.items()}}
    return document
