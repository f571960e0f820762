"""`rnncli cells --format latex`: the built-in cells, or one cell's equations and parameters."""
from __future__ import annotations

from rnncli.language.printing.latex import latex_name
from rnncli.render.cells import step_t_latex as _target
from rnncli.render.latex import align_rows, document, latex_text, table, wrapped


def render_cells_latex(described) -> str:
    """Returns the listing of `describe_cells` (tuples) or its ConventionInfo records as LaTeX."""
    if described and isinstance(described[0], tuple):
        rows = [[r"\texttt{" + latex_text(c) + "}", latex_text(", ".join(conv)), latex_text(s)]
                for c, conv, s in described]
        body = table(["cell", "conventions", "summary"], rows, ["l", wrapped("5cm"), wrapped("8cm")],
                     [14, 28, 44])
        return document("Built-in cells", body)
    body = []
    for info in described:
        body += [r"\section*{" + latex_text(f"{info.cell} ({info.convention})") + "}",
                 latex_text(info.summary) + r"\\", "Source: " + latex_text(info.source)]
        body += align_rows([(_target(n), [form]) for n, form in info.latex])
        rows = [[f"${latex_name(n)}$", latex_text(s), latex_text(r)] for n, r, s in info.params]
        body += table(["parameter", "shape", "role"], rows, ["l", "l", wrapped("9cm")], [12, 12, 50])
    title = described[0].cell if described else "Cells"
    return document(f"The {title} cell", body)
