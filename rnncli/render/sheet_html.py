"""Sheet -> one self-contained HTML file: MathML formulas, inline SVG figures, a print stylesheet.

No script, no font, no network: a browser draws MathML natively. The markup is
XHTML-compatible (every element closed, every attribute quoted), so an XML
parser reads it too (tests do).
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from rnncli.language.expression import Value
from rnncli.language.printing.mathml import MathmlPrinter, math as math_element
from rnncli.render.drawing import to_svg
from rnncli.render.sheet_blocks import (Boxed, Code, Equations, Figure, Heading, Math, Paragraph,
                                        Table, key_table, sheet_blocks)
from rnncli.render.sheet_markdown import chain_texts

STYLE = """
.rnncli-sheet { font-family: "Latin Modern Roman", "Cambria", Georgia, serif; max-width: 52em;
  margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #111; }
.rnncli-sheet h1, .rnncli-sheet h2, .rnncli-sheet h3, .rnncli-sheet h4 { font-family: Helvetica, Arial, sans-serif; }
.rnncli-sheet h2 { border-bottom: 1px solid #999; padding-bottom: .2em; margin-top: 2em; }
.rnncli-sheet .eq { overflow-x: auto; margin: .35em 0 .35em 1.5em; }
.rnncli-sheet mtd.lhs { text-align: right; padding-right: 0; }
.rnncli-sheet mtd.rhs { text-align: left; padding-left: 0; }
.rnncli-sheet table { border-collapse: collapse; margin: .6em 0; }
.rnncli-sheet th, .rnncli-sheet td { border-bottom: 1px solid #ccc; padding: .2em .7em; text-align: left; vertical-align: top; }
.rnncli-sheet td.r { text-align: right; }
.rnncli-sheet .nw { white-space: nowrap; }
.rnncli-sheet .answer { margin: .3em 0 .3em 1.5em; }
.rnncli-sheet .box { display: inline-block; border: 1.5px solid #111; padding: .1em .5em; }
.rnncli-sheet figure { margin: 1em 0; }
.rnncli-sheet figcaption { font-style: italic; font-size: .92em; }
.rnncli-sheet code { font-family: "DejaVu Sans Mono", monospace; font-size: .9em; }
.rnncli-sheet svg { max-width: 100%; height: auto; }
@media print {
  .rnncli-sheet { max-width: none; margin: 0; font-size: 10.5pt; }
  .rnncli-sheet h2 { page-break-before: auto; page-break-after: avoid; }
  .rnncli-sheet h3, .rnncli-sheet h4 { page-break-after: avoid; }
  .rnncli-sheet figure, .rnncli-sheet table, .rnncli-sheet .eq { page-break-inside: avoid; }
  .rnncli-sheet .eq { overflow: visible; }
}
@page { size: A4; margin: 18mm; }
"""


KEY_FORMULA = 40     # visible characters beyond which the key shows a formula as source text
LONG_CHAIN = 70      # visible characters beyond which a chain of working is set one form per line


def _visible(mathml: str) -> int:
    """Returns about how many characters a MathML fragment shows."""
    return len(re.sub(r"<[^>]+>", "", mathml))


class HtmlWriter:
    def __init__(self, precision: int = 4):
        self.precision = precision

    def content(self, math: Math) -> str:
        return MathmlPrinter(step=math.step, precision=self.precision, scalar=math.scalar,
                             constants=math.constants).doprint(math.node)

    def math(self, math: Math, display: bool = False) -> str:
        return math_element(self.content(math), display)

    def chain(self, row: tuple) -> str:
        """Returns target = form = ... as one display formula; a long chain one form per line, aligned at =."""
        texts = chain_texts(row, self.content)
        if len(texts) < 3 or sum(_visible(t) for t in texts) <= LONG_CHAIN:
            return math_element("<mo>=</mo>".join(f"<mrow>{t}</mrow>" for t in texts),
                                displaystyle=True)
        cells = [(texts[0], texts[1])] + [("", t) for t in texts[2:]]
        body = "".join(f'<mtr><mtd class="lhs"><mrow>{a}</mrow></mtd>'
                       f'<mtd class="rhs"><mrow><mo>=</mo>{b}</mrow></mtd></mtr>' for a, b in cells)
        return math_element(f'<mtable displaystyle="true">{body}</mtable>', displaystyle=True)

    def runs(self, runs) -> str:
        out, index = [], 0
        while index < len(runs):
            run = runs[index]
            if (isinstance(run, Math) and index + 2 < len(runs) and runs[index + 1] == " = "
                    and isinstance(runs[index + 2], Math)):
                # name = value never breaks across lines
                out.append(f'<span class="nw">{self.math(run)} = {self.math(runs[index + 2])}</span>')
                index += 3
                continue
            out.append(self.math(run) if isinstance(run, Math) else escape(run))
            index += 1
        return "".join(out)

    def cell(self, value, wrap: bool = False) -> str:
        if not isinstance(value, Math):
            return escape(str(value))
        content = self.content(value)
        if wrap and _visible(content) > KEY_FORMULA and not isinstance(value.node, Value):
            # A formula too long for a table cell: the equation language, which wraps
            # (numbers stay a rounded matrix, as on the sheet).
            from rnncli.render.unroll import FormulaSourcePrinter

            return f"<code>{escape(FormulaSourcePrinter().doprint(value.node))}</code>"
        return math_element(content)

    def block(self, block) -> str:
        if isinstance(block, Heading):
            return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
        if isinstance(block, Paragraph):
            return f"<p>{self.runs(block.runs)}</p>"
        if isinstance(block, Equations):
            return "\n".join('<div class="eq">' + self.chain(row) + "</div>" for row in block.rows)
        if isinstance(block, Table):
            head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
            body = []
            for row in block.rows:
                cells = []
                for i, value in enumerate(row):
                    right = i < len(block.align) and block.align[i] == "r"
                    opening = '<td class="r">' if right else "<td>"
                    cells.append(f"{opening}{self.cell(value, 'tolerance' in block.header)}</td>")
                body.append("<tr>" + "".join(cells) + "</tr>")
            return (f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body)
                    + "\n</tbody></table>")
        if isinstance(block, Figure):
            return (f"<figure>{to_svg(block.drawing).rstrip()}"
                    f"<figcaption>{escape(block.caption)}</figcaption></figure>")
        if isinstance(block, Boxed):
            value = (self.math(block.value) if isinstance(block.value, Math)
                     else escape(block.value))
            return (f'<p class="answer"><code>{escape(block.ref)}</code>: '
                    f'<span class="box">{value}</span></p>')
        if isinstance(block, Code):
            return f"<pre><code>{escape(block.text)}</code></pre>"
        raise TypeError(block)


def _document(title: str, body: list, fragment: bool) -> str:
    inner = "\n".join(body)
    if fragment:
        return f'<div class="rnncli-sheet"><style>{STYLE}</style>\n{inner}\n</div>\n'
    return ("<!DOCTYPE html>\n"
            '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\n<head>\n'
            '<meta charset="utf-8"/>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f'<body>\n<main class="rnncli-sheet">\n{inner}\n</main>\n</body>\n</html>\n')


def render_html(sheet, precision: int = 4, fragment: bool = False, key: bool = True) -> str:
    """Returns the sheet as a complete HTML document (or a <div> for notebooks when `fragment`)."""
    writer = HtmlWriter(precision)
    blocks = sheet_blocks(sheet, precision, key)
    body = [f"<h1>{escape(blocks.title)}</h1>"] + [writer.block(b) for b in blocks.body]
    return _document(blocks.title, body, fragment)


def render_key_html(sheet, precision: int = 4) -> str:
    """Returns the answer key alone as an HTML document."""
    writer = HtmlWriter(precision)
    title = f"Answer key: {sheet.title}"
    return _document(title, [f"<h1>{escape(title)}</h1>",
                             writer.block(key_table(sheet, precision))], False)
