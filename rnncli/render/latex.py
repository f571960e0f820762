"""The LaTeX document around every `--format latex` output: preamble, text, line breaks, tables.

Every command's LaTeX is one complete document that `pdflatex` compiles as it
is, on A4 paper: formulas wider than the page are broken at a sum's `+` and
`−` (never inside a subscript or a matrix), and tables wider than the page are
split into several tables of whole columns.
"""
from __future__ import annotations

import re
import unicodedata

from rnncli.language.printing.latex import BREAK

# What fits on a line of the page (A4, 2 cm margins, 10 pt) in `latex_width` units:
# one unit is about one character of math.
LINE_WIDTH = 72
TABLE_WIDTH = 84
# A table longer than this may not fit one page: it becomes a longtable.
LONG_TABLE_ROWS = 25

PREAMBLE = (r"\documentclass[a4paper,10pt]{article}", r"\usepackage[margin=2cm]{geometry}",
            r"\usepackage{amsmath}", r"\usepackage{amssymb}", r"\usepackage{array}",
            r"\usepackage{longtable}",
            r"\setlength{\parindent}{0pt}", r"\allowdisplaybreaks", r"\sloppy")

# Characters of titles and sources that are not ASCII, and how LaTeX writes them.
_UNICODE = {"σ": r"$\sigma$", "·": r"$\cdot$", "⊙": r"$\odot$", "−": "-", "–": "--",
            "—": "---", "→": r"$\to$", "←": r"$\leftarrow$", "×": r"$\times$", "≈": r"$\approx$",
            "≤": r"$\leq$", "≥": r"$\geq$", "■": r"$\blacksquare$", "…": r"\ldots{}",
            "‘": "`", "’": "'", "“": "``", "”": "''", "τ": r"$\tau$", "λ": r"$\lambda$",
            "§": r"\S{}", "±": r"$\pm$", "≠": r"$\neq$", "∞": r"$\infty$", "²": r"$^2$",
            "μ": r"$\mu$", "ε": r"$\varepsilon$", "Σ": r"$\Sigma$", "∂": r"$\partial$",
            "α": r"$\alpha$", "β": r"$\beta$", "η": r"$\eta$", "θ": r"$\theta$"}
_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}


def latex_text(text: str) -> str:
    """Returns plain text (a title, a role) escaped for LaTeX's text mode, ASCII only."""
    out: list[str] = []
    for char in " ".join(str(text).split()):
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in _UNICODE:
            out.append(_UNICODE[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            # é and h̃ are a letter and a combining accent, which LaTeX's accent commands put
            # back (\'{e}, \~{h}); other characters beyond ASCII have no glyph in pdflatex.
            for part in unicodedata.normalize("NFKD", char):
                if unicodedata.combining(part):
                    if part in _ACCENTS and out and len(out[-1]) == 1 and out[-1].isalpha():
                        out[-1] = _ACCENTS[part] + "{" + out[-1] + "}"
                else:
                    out.append(part if ord(part) < 128 else "?")
    return "".join(out)


_ACCENTS = {"\u0300": "\\`", "\u0301": "\\'", "\u0302": "\\^", "\u0303": "\\~",
            "\u0308": '\\"', "\u0304": "\\=", "\u0327": "\\c", "\u030c": "\\v", "\u030a": "\\r"}


def document(title: str | None, body: list[str], source: str | None = None) -> str:
    """Returns a complete LaTeX document: the preamble, a title and source, then `body`."""
    out = list(PREAMBLE) + [r"\begin{document}"]
    if title:
        out.append(r"\section*{" + latex_text(title) + "}")
    if source:
        out.append(r"\noindent Source: " + latex_text(source) + "\n")
    out += body
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def latex_width(math: str) -> float:
    """Returns the estimated printed width of a math-mode string, in characters.

    A matrix counts as its widest row; a command such as \\sigma as one
    character; scripts at two thirds.
    """
    math = math.replace(BREAK, "")
    math = re.sub(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}",
                  lambda m: "M" * round(2 + max(latex_width(row) + 2 * row.count("&")
                                           for row in m.group(1).split(r"\\"))), math)
    scripts = sum(len(m) for m in re.findall(r"[_^]\{([^{}]*)\}", math))
    math = re.sub(r"\\(left|right)\.", "", math)
    math = re.sub(r"\\(left|right|operatorname|mathrm)\b", "", math)
    math = re.sub(r"\\(cdot|odot)|[-+=]", "MMM", math)      # an operator with its spaces
    math = re.sub(r"\\[A-Za-z]+", "M", math)
    math = re.sub(r"[{}_^\s]", "", math)
    return len(math) - scripts / 3


def _break_points(math: str) -> list[int]:
    """Returns where BREAK markers sit outside braces and matrices."""
    points, braces, matrices, i = [], 0, 0, 0
    while i < len(math):
        if math.startswith(r"\begin{bmatrix}", i):
            matrices += 1
        elif math.startswith(r"\end{bmatrix}", i):
            matrices -= 1
        elif math.startswith("\\{", i) or math.startswith("\\}", i):
            i += 2
            continue
        elif math[i] == "{":
            braces += 1
        elif math[i] == "}":
            braces -= 1
        elif math[i] == BREAK and braces == 0 and matrices == 0:
            points.append(i)
        i += 1
    return points


def _open_delimiters(math: str) -> int:
    """Returns how many \\left delimiters are still open at the end of `math`."""
    return len(re.findall(r"\\left\b", math)) - len(re.findall(r"\\right\b", math))


def break_lines(math: str, indent: float = 0.0, width: float = LINE_WIDTH) -> list[str]:
    """Returns `math` in pieces that fit a line, for rows `&= piece \\\\ &\\qquad piece`.

    A break inside \\left( ... \\right) closes the open delimiters with
    \\right. and opens them again on the next line with \\left., which is
    how amsmath allows a bracket to span lines. `indent` is the width left of
    the alignment point (the left-hand side).
    """
    pieces, start, used, budget = [], 0, 0.0, width - indent - 3
    last = 0
    for point in _break_points(math) + [len(math)]:
        size = latex_width(math[last:point])
        if used + size > budget and last > start:
            pieces.append(math[start:last])
            start, used, budget = last, 0.0, width - indent - 6    # \qquad indents the next line
        used += size
        last = point
    pieces.append(math[start:])
    out, depth = [], 0
    for piece in pieces:
        text = piece.replace(BREAK, "")
        if out:
            # {} makes a leading + or \odot binary, spaced as in the line before.
            text = "\\left." * depth + "{}" + text
        depth = _open_delimiters(text)
        out.append(text + "\\right." * depth)
    return out


def align_rows(rows: list[tuple[str, list[str]]]) -> list[str]:
    """Returns an align* environment: each (left side, forms) as `lhs &= form` lines.

    Every form after the first starts a line `&= form` (one line per stage of
    the working), and a form too long for the page continues on `&\\qquad` lines.
    """
    lines = []
    indent = max((latex_width(left) for left, _ in rows), default=0)
    for left, forms in rows:
        row = []
        for index, form in enumerate(forms):
            pieces = break_lines(form, indent)
            lead = f"{left} &= " if index == 0 else "&= "
            row.append(lead + pieces[0])
            row += ["&\\qquad " + piece for piece in pieces[1:]]
        lines.append(" \\\\\n".join(row))
    return [r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"]


def table(header: list[str], rows: list[list[str]], align: str | list[str] = "l",
          widths: list[float] | None = None) -> list[str]:
    """Returns one or more tables (tabular, or longtable when long): whole columns beyond the page go to the next.

    `header` and `rows` are LaTeX already (text or `$math$`); the first column
    (a step, a name) repeats in every part. `align` is one column type for all
    columns or one per column (`p{5cm}` wraps a long text); `widths` estimate
    each column's width in `latex_width` units.
    """
    aligns = [align] * len(header) if isinstance(align, str) else list(align)
    if widths is None:
        widths = [max(latex_width(c) for c in column) + 2 for column in zip(header, *rows)]
    parts, current, used = [], [], widths[0]
    for index in range(1, len(header)):
        if current and used + widths[index] > TABLE_WIDTH:
            parts.append(current)
            current, used = [], widths[0]
        current.append(index)
        used += widths[index]
    parts.append(current)
    out = []
    for part in parts:
        columns = [0] + part
        spec = "|".join(aligns[c] for c in columns)
        head = " & ".join(header[c] for c in columns) + r" \\ \hline"
        body = [" & ".join(row[c] for c in columns) + r" \\" for row in rows]
        if len(rows) > LONG_TABLE_ROWS:
            # longtable breaks across pages and repeats its header on each (a second
            # pdflatex run aligns its columns from page to page).
            out += [r"\begin{longtable}{" + spec + "}", head + r" \endhead"] + body
            out += [r"\end{longtable}", ""]
        else:
            out += [r"\begin{tabular}{" + spec + "}", head] + body
            out += [r"\end{tabular}", r"\medskip", ""]
    return out


def wrapped(width: str) -> str:
    """Returns a table column type of `width` ("5cm") whose text wraps, ragged right."""
    return r">{\raggedright\arraybackslash}p{" + width + "}"


def math_text(formula: str) -> str:
    """Returns a count formula in text notation (H·(H+I) = 128·148) as LaTeX math."""
    return formula.replace("·", r" \cdot ").replace("−", "-")
