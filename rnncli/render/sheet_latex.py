"""Sheet -> a complete LaTeX document for pdflatex; figures as PDF files written beside it.

Packages are those of a basic TeX installation (amsmath, amssymb, graphicx,
booktabs, longtable, geometry, breqn). A chain of working puts each form on its own line
(align*), and a formula longer than a line (an unrolled formula) is set with
breqn's dmath*, which breaks it to fit A4.
"""
from __future__ import annotations

import re

from rnncli.language.expression import Value
from rnncli.render.drawing import to_pdf
from rnncli.render.sheet_blocks import (Boxed, Code, Equations, Figure, Heading, Math, Paragraph,
                                        Table, key_table, sheet_blocks)
from rnncli.render.sheet_markdown import chain_texts, latex_of

SHORT_CHAIN = 95   # characters a reader sees, below which a chain of working stays on one line
LONG = 90          # characters of LaTeX source beyond which a formula gets breqn's line breaking
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
            "×": r"\ensuremath{\times}", "σ": r"\ensuremath{\sigma}", "⊙": r"\ensuremath{\odot}",
            "■": r"\ensuremath{\blacksquare}", "·": r"\ensuremath{\cdot}", "−": "-", "—": "---",
            "–": "--", "→": r"\ensuremath{\to}", "…": r"\dots{}", "≤": r"\ensuremath{\le}",
            "≥": r"\ensuremath{\ge}", "±": r"\ensuremath{\pm}",
            "“": "``", "”": "''", "’": "'", "‘": "`"}
PREAMBLE = r"""\documentclass[a4paper,11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{breqn}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{array}
\usepackage{longtable}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
"""


def escape_text(text: str) -> str:
    """Returns plain text safe in LaTeX; characters outside Latin-1 that have no command become `?`."""
    out = []
    for char in text:
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif ord(char) < 256 and (char.isprintable() or char == " "):
            out.append(char)
        else:
            out.append("?")
    return "".join(out)


def _visible(tex: str) -> int:
    """Returns about how many characters a LaTeX formula shows."""
    return len(re.sub(r"\\(left|right|cdot|odot|operatorname|mathrm)|[{}^_\\]", "", tex))


class LatexWriter:
    def __init__(self, precision: int = 4, stem: str = "sheet"):
        self.precision = precision
        self.stem = stem
        self.files: dict[str, bytes] = {}

    def tex(self, math: Math) -> str:
        return latex_of(math, self.precision)

    def runs(self, runs) -> str:
        return "".join(f"${self.tex(r)}$" if isinstance(r, Math) else escape_text(r) for r in runs)

    def block(self, block) -> str:
        if isinstance(block, Heading):
            command = {1: "section*", 2: "section*", 3: "subsection*", 4: "subsubsection*"}[block.level]
            return f"\\{command}{{{escape_text(block.text)}}}"
        if isinstance(block, Paragraph):
            return self.runs(block.runs) + "\n"
        if isinstance(block, Equations):
            return self.equations(block.rows)
        if isinstance(block, Table):
            spec = "".join(a if a in "lr" else "l" for a in block.align) or "l" * len(block.header)
            if "tolerance" in block.header:      # the key: formulas wrap in a paragraph column
                spec = "rllp{5.2cm}p{3.0cm}r"
            # longtable: a key of many answers (or a long table of inputs) runs on over pages,
            # its header repeated, instead of running off the bottom of one.
            lines = [r"{\small", f"\\begin{{longtable}}{{{spec}}}", r"\toprule",
                     " & ".join(escape_text(h) for h in block.header) + r" \\",
                     r"\midrule\endhead"]
            lines += [" & ".join(self.cell(c, "tolerance" in block.header) for c in row) + r" \\"
                      for row in block.rows]
            lines += [r"\bottomrule", r"\end{longtable}}"]
            return "\n".join(lines)
        if isinstance(block, Figure):
            name = f"{self.stem}-{block.name}.pdf"
            self.files[name] = to_pdf(block.drawing)
            return (r"\begin{center}" + "\n" + f"\\includegraphics[width=0.85\\linewidth,"
                    f"height=0.6\\textheight,keepaspectratio]{{{name}}}\\\\\n"
                    f"\\emph{{{escape_text(block.caption)}}}\n" + r"\end{center}")
        if isinstance(block, Boxed):
            value = (f"$\\boxed{{{self.tex(block.value)}}}$" if isinstance(block.value, Math)
                     else escape_text(block.value))
            if isinstance(block.value, Math) and len(self.tex(block.value)) > LONG:
                value = "as above"
            return f"\\texttt{{{escape_text(block.ref)}}}: {value}\n"
        if isinstance(block, Code):
            return "\\begin{verbatim}\n" + block.text + "\n\\end{verbatim}"
        raise TypeError(block)

    def cell(self, value, wrap: bool) -> str:
        if isinstance(value, Math):
            tex = self.tex(value)
            # A formula too wide for its column is shown as source text, which wraps; numbers
            # stay a (narrow) rounded matrix, as on the sheet.
            if wrap and len(tex) > 40 and not isinstance(value.node, Value):
                from rnncli.render.unroll import FormulaSourcePrinter

                source = FormulaSourcePrinter().doprint(value.node)
                return r"\raggedright\texttt{" + escape_text(source) + "}"
            return f"${tex}$"
        return escape_text(str(value))

    def equations(self, rows) -> str:
        """Returns the rows as one align* (each chain on one line when it fits, else a form a line);
        a formula too long for a line gets a dmath* of its own."""
        out, aligned = [], []

        def flush():
            if aligned:
                out.append("\\begin{align*}\n  " + " \\\\\n  ".join(aligned) + "\n\\end{align*}")
                aligned.clear()

        for row in rows:
            texts = chain_texts(row, self.tex)
            if max(_visible(t) for t in texts) > SHORT_CHAIN:
                flush()
                out.append("\\begin{dmath*}\n" + " = ".join(texts) + "\n\\end{dmath*}")
            elif sum(_visible(t) for t in texts) <= SHORT_CHAIN:
                aligned.append(f"{texts[0]} &= " + " = ".join(texts[1:]))
            else:
                aligned.append(f"{texts[0]} &= " + " \\\\\n  &= ".join(texts[1:]))
        flush()
        return "\n".join(out)


def render_latex_files(sheet, precision: int = 4, stem: str = "sheet", key: bool = True) -> tuple:
    """Returns (the LaTeX document, {file name: PDF bytes} of the figures to write beside it)."""
    writer = LatexWriter(precision, stem)
    blocks = sheet_blocks(sheet, precision, key)
    body = "\n".join(writer.block(b) for b in blocks.body)
    document = (PREAMBLE + f"\\title{{{escape_text(blocks.title)}}}\n\\date{{}}\n"
                "\\begin{document}\n\\maketitle\n" + body + "\n\\end{document}\n")
    return document, writer.files


def render_latex(sheet, precision: int = 4, stem: str = "sheet") -> str:
    return render_latex_files(sheet, precision, stem)[0]


def render_latex_body(sheet, precision: int = 4) -> str:
    """Returns the sheet's formulas for a notebook's LaTeX display: the boxed answers as one align*."""
    from rnncli.render.sheet_blocks import answer_value

    rows = []
    for number, answer in sheet.answers:
        value = answer_value(sheet.problems[number - 1], answer)
        if isinstance(value, Math):
            rows.append(r"\text{" + escape_text(str(answer.ref)) + r"} &= " + latex_of(value, precision))
    return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$" if rows else ""


def render_key_latex(sheet, precision: int = 4) -> str:
    """Returns the answer key alone as a LaTeX document."""
    writer = LatexWriter(precision)
    return (PREAMBLE + "\\begin{document}\n\\section*{Answer key: " + escape_text(sheet.title)
            + "}\n" + writer.block(key_table(sheet, precision)) + "\n\\end{document}\n")
