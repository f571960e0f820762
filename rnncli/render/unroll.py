"""Unrolled formula -> text, Markdown, LaTeX and JSON (`rnncli/unroll@1`)."""
from __future__ import annotations

from rnncli.language.expression import BinOp
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.source import SourcePrinter
from rnncli.language.printing.text import TextPrinter
from rnncli.render.headings import INPUTS_BY_NAME_KEY, inputs_by_name_line
from rnncli.solve.unrolling import Unrolled


class FormulaSourcePrinter(SourcePrinter):
    """The equation language, keeping a + (b + c) bracketed so that it reads back as the same tree.

    Reading `a + b + c` back gives (a + b) + c, which can differ from a + (b + c)
    in the last bit; the JSON formula must evaluate to exactly the trace's value.
    """

    def operands(self, node: BinOp) -> tuple[str, str]:
        left, right = super().operands(node)
        if node.op == "+" and isinstance(node.right, BinOp) and node.right.op in "+-":
            right = self.brackets(right)
        return left, right


class FormulaTextPrinter(TextPrinter):
    def _print_Step(self, node):
        # The same minus sign as the trace's h(−1).
        return super()._print_Step(node).replace("-", "−")


def _scalar(unrolled: Unrolled):
    from rnncli.solve.scalars import scalar_test

    return scalar_test(unrolled.cell.shapes) if unrolled.cell.shapes else None


def _rows(unrolled: Unrolled, printer) -> list[tuple]:
    """Returns (name, step, printed formula) for each definition, then for the formula itself."""
    rows = [(d.name, d.step, printer.doprint(d.formula)) for d in unrolled.lets]
    return rows + [(unrolled.name, unrolled.step, printer.doprint(unrolled.formula))]


def render_text(unrolled: Unrolled, precision: int = 4) -> str:
    """Returns `y(5) = f(W·x(5) + ...)`, then `where` and the definitions, in order."""
    line = inputs_by_name_line(unrolled.cell.inputs_by_name)
    return "".join(f"Changed for this run: {note}\n" for note in _changes(unrolled)) \
        + (f"{line}\n" if line else "") + _formula_text(unrolled, precision)


def _formula_text(unrolled: Unrolled, precision: int) -> str:
    """Returns the formula and its definitions in text, without a heading."""
    printer = FormulaTextPrinter(precision=precision, scalar=_scalar(unrolled),
                                 constants=frozenset(unrolled.cell.params))
    rows = [f"{n}({s})".replace("-", "−") + f" = {text}" for n, s, text in _rows(unrolled, printer)]
    lines = [rows[-1]]
    if unrolled.lets:
        lines += ["where"] + ["  " + row for row in rows[:-1]]
    return "\n".join(lines) + "\n"


def _changes(unrolled: Unrolled) -> list[str]:
    from rnncli.files.changes import change_notes

    return change_notes(unrolled.problem)


def render_markdown(unrolled: Unrolled, precision: int = 4) -> str:
    """Returns the unrolled formula in Markdown, each formula as `$...$` math."""
    problem = unrolled.problem
    out = [f"# Unrolled formula of ${_target(unrolled.name, unrolled.step)}$", ""]
    if problem.title:
        out += [f"Problem: {problem.title}", ""]
    if problem.source:
        out += [f"Source: {problem.source}", ""]
    out += [f"Changed for this run: {note}.\n" for note in _changes(unrolled)]
    if unrolled.cell.inputs_by_name:
        out += [inputs_by_name_line(unrolled.cell.inputs_by_name), ""]
    printer = LatexPrinter(precision=precision, scalar=_scalar(unrolled),
                           constants=frozenset(unrolled.cell.params))
    rows = [f"${_target(n, s)} = {text}$" for n, s, text in _rows(unrolled, printer)]
    out += [rows[-1], ""]
    if unrolled.lets:
        out += ["where", ""] + [f"- {row}" for row in rows[:-1]] + [""]
    leaves = unrolled.leaves
    parts = [f"{label}: " + ", ".join(f"${_latex_ref(r)}$" for r in leaves[kind])
             for kind, label in (("inputs", "inputs"), ("states", "states left standing"),
                                 ("params", "parameters")) if leaves[kind]]
    if parts:
        out += ["Written in " + "; ".join(parts) + ".", ""]
    return "\n".join(out)


def _target(name: str, step) -> str:
    """Returns a quantity at a step in LaTeX: h^{(5)}, {h_{1}}^{(-1)}."""
    base = latex_name(name)
    return f"{{{base}}}^{{({step})}}" if "_" in base else f"{base}^{{({step})}}"


def _latex_ref(ref: str) -> str:
    """Returns a reference in LaTeX: h[0] -> h^{(0)}, W_f -> W_{f}."""
    name, _, step = ref.partition("[")
    return _target(name, step.rstrip("]")) if step else latex_name(name)


def _as_text(ref: str) -> str:
    """Returns a step reference as the text printer writes it: h[0] -> h(0)."""
    return ref.replace("[", "(").replace("]", ")").replace("-", "−")


def render_latex(unrolled: Unrolled, precision: int = 4) -> str:
    """Returns a LaTeX document: the formula, then its definitions, broken to fit the page."""
    from rnncli.render.latex import align_rows, document

    problem = unrolled.problem
    printer = LatexPrinter(precision=precision, scalar=_scalar(unrolled),
                           constants=frozenset(unrolled.cell.params), breakable=True)
    rows = [(_target(n, s), [text]) for n, s, text in _rows(unrolled, printer)]
    title = problem.title or f"Unrolled formula of {unrolled.ref}"
    body = align_rows(rows[-1:])
    from rnncli.render.latex import latex_text

    notes = [f"Changed for this run: {note}." for note in _changes(unrolled)]
    if unrolled.cell.inputs_by_name:
        notes.append(inputs_by_name_line(unrolled.cell.inputs_by_name))
    body = [r"\noindent " + latex_text(note) + "\n" for note in notes] + body
    if unrolled.lets:
        body += ["where"] + align_rows(rows[:-1])
    return document(title, body, problem.source)


def unroll_document(unrolled: Unrolled) -> dict:
    """Returns the `rnncli/unroll@1` document; `let` (an rnncli extension) only with --let."""
    printer = FormulaSourcePrinter()
    document = {"schema": "rnncli/unroll@1", "ref": unrolled.ref,
                "formula": printer.doprint(unrolled.formula)}
    if unrolled.lets:
        document["let"] = [{"ref": d.ref, "formula": printer.doprint(d.formula)}
                           for d in unrolled.lets]
    changed = {c.name: c.text for c in unrolled.problem.changes if c.kind == "set"}
    if changed:
        document["set"] = changed
    if unrolled.cell.inputs_by_name:
        document[INPUTS_BY_NAME_KEY] = list(unrolled.cell.inputs_by_name)
    return document


def render_unrolled(unrolled: Unrolled, output_format: str, precision: int = 4) -> str:
    """Returns the unrolled formula in one output format."""
    if output_format == "json":
        from rnncli.render.json_document import dumps

        return dumps(unroll_document(unrolled)) + "\n"
    if output_format == "markdown":
        return render_markdown(unrolled, precision)
    if output_format == "latex":
        return render_latex(unrolled, precision)
    return render_text(unrolled, precision)
