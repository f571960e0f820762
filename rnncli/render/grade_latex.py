"""GradeReport -> a LaTeX document: a table and a score line per answers file, the class summary."""
from __future__ import annotations

from rnncli.render.grade import HEADER, heading, not_graded_line, rows, score_line, summary_lines
from rnncli.render.latex import document, latex_text, table, wrapped

# The feedback column wraps; together the columns fit one A4 line (latex.TABLE_WIDTH).
_ALIGN = ["l", "l", "l", "l", "l", "r", wrapped("5.2cm")]
_WIDTHS = [4, 7, 8, 8, 12, 6, 36]
# With a formula answer (`unroll.h[5]: "f(W @ x[5] + ...)"`) the expected and given
# columns wrap too, and the feedback gives them room.
_FORMULA_ALIGN = ["l", "l", wrapped("3cm"), wrapped("3cm"), "l", "r", wrapped("2.8cm")]
_FORMULA_WIDTHS = [4, 7, 21, 21, 12, 6, 13]
_LONGEST_NUMBER = 14


def render_latex(report, precision: int = 4) -> str:
    """Returns the report as one LaTeX document."""
    body = []
    for result in report.results:
        body.append(r"\subsection*{" + latex_text(heading(result)) + "}")
        if not result.error:
            plain = rows(result, precision)
            cells = [[latex_text(c) for c in row] for row in plain]
            formulas = any(len(str(row[i])) > _LONGEST_NUMBER for row in plain for i in (2, 3))
            body += table([latex_text(h) for h in HEADER], cells,
                          _FORMULA_ALIGN if formulas else _ALIGN,
                          _FORMULA_WIDTHS if formulas else _WIDTHS)
        body.append(r"\textbf{" + latex_text(score_line(result)) + r"}\\")
        extra = not_graded_line(result)
        if extra:
            body.append(latex_text(extra) + r"\\")
    if len(report.results) > 1:
        body.append(r"\subsection*{Class summary}")
        body += [r"\begin{itemize}"] + [r"\item " + latex_text(line)
                                        for line in summary_lines(report)] + [r"\end{itemize}"]
    return document("Grades", body)
