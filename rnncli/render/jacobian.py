"""Jacobian -> text lines, Markdown, LaTeX and the `rnncli/jacobian@1` JSON document."""
from __future__ import annotations

import numpy as np

from rnncli.language.expression import Value
from rnncli.language.printing.base import format_number
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.render.json_document import dumps, fast_json, plain
from rnncli.render.json_stream import array_json
from rnncli.render.trace import MAX_SHOWN_ENTRIES, one_line, value_text


def _printer(cls, result, step=None, precision=4):
    # The expansion multiplies Jacobians (matrices): written with ·, never ⊙.
    return cls(step=step, precision=precision, scalar=lambda node: True,
               constants=frozenset(result.cell.params))


def matrix_text(value, precision: int) -> str:
    """Returns a Jacobian as `value_text` writes a vector: whole when small, else its first
    three and last two rows and columns with … and its size, formatting only the numbers
    shown (a 64 × 64 matrix at each of 200 steps is 2.4 million numbers; JSON has them).
    """
    value = np.asarray(value, dtype=float)
    if value.ndim != 2 or max(value.shape) <= MAX_SHOWN_ENTRIES:
        return value_text(value, precision)
    inner = lambda part: value_text(part, precision)[1:-1]  # noqa: E731

    def row_text(row):
        if len(row) <= MAX_SHOWN_ENTRIES:
            return value_text(row, precision)
        return f"[{inner(row[:3])}, …, {inner(row[-2:])}]"

    count = value.shape[0]
    if count <= MAX_SHOWN_ENTRIES:
        rows = [row_text(row) for row in value]
    else:
        rows = [row_text(row) for row in value[:3]] + ["…"] + [row_text(row) for row in value[-2:]]
    return "[" + ", ".join(rows) + f"] ({count} × {value.shape[1]})"


def matrix_latex(value, precision: int) -> str:
    """Returns a Jacobian in LaTeX: whole when small, else its first three and last two
    rows and columns with dots and its size (a 64 × 64 bmatrix neither compiles — amsmath
    takes 10 columns — nor helps a reader, and formatting it cost seconds)."""
    value = np.asarray(value, dtype=float)
    printer = LatexPrinter(precision=precision)
    if value.ndim != 2 or max(value.shape) <= MAX_SHOWN_ENTRIES:
        return printer.doprint(Value(value))

    def shown(size):
        return list(range(size)) if size <= MAX_SHOWN_ENTRIES else [0, 1, 2, None, size - 2, size - 1]

    rows = []
    for i in shown(value.shape[0]):
        cells = [(r"\ddots" if i is None else r"\cdots") if j is None else
                 (r"\vdots" if i is None else printer.number(value[i, j], False))
                 for j in shown(value.shape[1])]
        rows.append(" & ".join(cells))
    return (r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}_{"
            + rf"{value.shape[0]} \times {value.shape[1]}}}")


def _flag(result) -> list[str]:
    lines = []
    if result.vanishing is not None:
        lines.append(f"vanishing: the norm falls below 1e-3 at k = {result.vanishing} "
                     f"({result.to - result.vanishing} steps back)")
    if result.exploding is not None:
        lines.append(f"exploding: the norm rises above 1e3 at k = {result.exploding} "
                     f"({result.to - result.exploding} steps back)")
    if not lines:
        lines.append("the norm stays between 1e-3 and 1e3 back to the initial state")
    return lines


def text_sections(result, precision: int):
    """Yields (section title, [lines]) in reading order, for text and Markdown."""
    q = result.of
    symbolic = _printer(TextPrinter, result, precision=precision)
    lines = [f"d{q}(t)/d{q}(t−1) = {symbolic.doprint(result.expansion)}",
             f"direct term ({q}'s own equation, everything else held) = "
             f"{symbolic.doprint(result.direct_term)}"]
    if result.indirect:
        through = ", ".join(symbolic.doprint(n) for n in result.indirect)
        lines.append(f"indirect terms: through {through}, which {q}(t−1) also moves")
    yield "One step, by the chain rule", lines
    rows = []
    for step in result.steps:
        rows.append(f"d{q}({step.t})/d{q}({step.t - 1}): direct = {matrix_text(step.direct, precision)}"
                    f", total = {matrix_text(step.total, precision)}")
    yield "One step, with numbers", rows
    rows = [f"d{q}({result.to})/d{q}({b.k}) = {matrix_text(b.jacobian, precision)}, "
            f"norm {format_number(b.norm, precision) if b.norm >= 10 ** -precision else f'{b.norm:.3e}'}"
            for b in result.back]
    yield f"Back through time from step {result.to}", rows + _flag(result)


def render_markdown(result, precision: int) -> str:
    problem = result.problem
    out = [f"# {one_line(problem.title or 'Jacobians')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    for title, lines in text_sections(result, precision):
        out += [f"## {title}", ""] + [f"- `{line}`" for line in lines] + [""]
    return "\n".join(out)


def render_jacobian_text(result, precision: int, console) -> None:
    from rich.text import Text

    from rnncli.render.text import title_lines

    title_lines(console, result.problem)
    for title, lines in text_sections(result, precision):
        console.print()
        console.print(Text(title, style="bold cyan"))
        for line in lines:
            console.print("  " + line, soft_wrap=True)


def render_latex(result, precision: int) -> str:
    """Returns a complete LaTeX document: the expansion, the one-step and the long-range
    derivatives with their norms, and where they vanish or explode."""
    from rnncli.render.latex import align_rows, document, latex_text

    problem = result.problem
    q = latex_name(result.of)
    printer = _printer(LatexPrinter, result, precision=precision)
    printer.breakable = True
    value = lambda v: matrix_latex(v, precision)  # noqa: E731
    frac = lambda a, b: rf"\frac{{\partial {{{q}}}^{{({a})}}}}{{\partial {{{q}}}^{{({b})}}}}"  # noqa: E731
    body = [r"\subsection*{One step, by the chain rule}"]
    body += align_rows([(frac("t", "t-1"), [printer.doprint(result.expansion)]),
                        (r"\text{direct}", [printer.doprint(result.direct_term)])])
    body += align_rows([(frac(step.t, step.t - 1), [value(step.total)]) for step in result.steps]
                       + [(rf"\text{{direct}}^{{({step.t})}}", [value(step.direct)])
                          for step in result.steps])
    body += [r"\subsection*{Back to every earlier step}"]
    body += align_rows([(frac(result.to, b.k), [value(b.jacobian), rf"\lVert\cdot\rVert = {b.norm:.4g}"])
                        for b in result.back])
    body += [latex_text(line) + "\n" for line in _flag(result)]
    return document(problem.title or "Jacobians", body, problem.source)


def jacobian_document(result, values: bool = True) -> dict:
    """Returns the `rnncli/jacobian@1` document (spec §14); a scalar state gives numbers.

    Without `values` the `steps` and `from` lists are left empty (jacobian_json's frame).
    """
    return {
        "schema": "rnncli/jacobian@1",
        "title": result.problem.title,
        "of": result.of,
        "to": result.to,
        "steps": [{"t": s.t, "step": plain(np.asarray(s.total)), "direct": plain(np.asarray(s.direct))}
                  for s in result.steps] if values else [],
        "from": [{"k": b.k, "jacobian": plain(np.asarray(b.jacobian)), "norm": b.norm}
                 for b in result.back] if values else [],
        "vanishing": result.vanishing,
        "exploding": result.exploding,
    }


def jacobian_json(result) -> str:
    """Returns `dumps(jacobian_document(result))`, byte for byte, written faster.

    The document of a 64-unit state over 200 steps holds 2.5 million numbers, and
    the standard library's float repr is most of its cost. With orjson installed
    the matrices' numbers are written by it (the same shortest round-trip digits as
    repr), and the numbers from 1e-10 to 1e-4, which it writes as 0.00001 or 1e-7
    where repr writes 1e-05 and 1e-07, are rewritten by repr. The rest of the document is
    written by `dumps`, so its keys, title and layout are the standard library's.
    """
    encode = _array_encoder()
    if encode is None:
        return dumps(jacobian_document(result))
    head, _, rest = dumps(jacobian_document(result, values=False)).partition('"steps": []')
    middle, _, tail = rest.partition('"from": []')
    steps = ", ".join(f'{{"t": {dumps(s.t)}, "step": {encode(s.total)}, '
                      f'"direct": {encode(s.direct)}}}' for s in result.steps)
    back = ", ".join(f'{{"k": {dumps(b.k)}, "jacobian": {encode(b.jacobian)}, '
                     f'"norm": {dumps(b.norm)}}}' for b in result.back)
    return f'{head}"steps": [{steps}]{middle}"from": [{back}]{tail}'


def _array_encoder():
    """Returns encode(value) -> its JSON text as dumps(plain(value)) writes it, or None
    without orjson."""
    if fast_json() is None:      # missing, or writing numbers otherwise: the standard library
        return None

    def encode(value) -> str:
        value = np.asarray(value, dtype=np.float64)
        if value.ndim == 0 or value.size == 0:
            return dumps(plain(value))
        return array_json(np.ascontiguousarray(value)) or dumps(plain(value))

    return encode
