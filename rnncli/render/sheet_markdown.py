"""Sheet -> GitHub-flavoured Markdown: $...$ math, Mermaid for graphs, plots as SVG files beside it."""
from __future__ import annotations

import base64

from rnncli.language.printing.latex import LatexPrinter
from rnncli.render.drawing import to_svg
from rnncli.render.sheet_blocks import (Boxed, Code, Equations, Figure, Heading, Math, Paragraph,
                                        Table, key_table, sheet_blocks)


def latex_of(math: Math, precision: int) -> str:
    """Returns a Math block's formula in LaTeX (without $ delimiters)."""
    return LatexPrinter(step=math.step, precision=precision, scalar=math.scalar,
                        constants=math.constants).doprint(math.node)


def chain_texts(row: tuple, printed) -> list[str]:
    """Returns the printed forms of an equation row, dropping a form equal to the one before it."""
    texts = [printed(m) for m in row]
    out = texts[:1]
    for text in texts[1:]:
        if len(out) < 2 or text != out[-1]:
            out.append(text)
    return out


class MarkdownWriter:
    def __init__(self, precision: int = 4, stem: str = "sheet", inline_figures: bool = False):
        self.precision = precision
        self.stem = stem
        self.inline = inline_figures
        self.files: dict[str, bytes] = {}

    def math(self, math: Math) -> str:
        return "$" + latex_of(math, self.precision) + "$"

    def runs(self, runs) -> str:
        return "".join(self.math(r) if isinstance(r, Math) else r for r in runs)

    def cell(self, value) -> str:
        if isinstance(value, Math):
            return self.math(value)
        return str(value).replace("|", "\\|")

    def block(self, block) -> list[str]:
        if isinstance(block, Heading):
            return ["#" * block.level + " " + block.text, ""]
        if isinstance(block, Paragraph):
            return [self.runs(block.runs), ""]
        if isinstance(block, Equations):
            printed = lambda m: latex_of(m, self.precision)  # noqa: E731
            return [f"- ${' = '.join(chain_texts(row, printed))}$" for row in block.rows] + [""]
        if isinstance(block, Table):
            rule = ["---:" if a == "r" else "---" for a in block.align] or ["---"] * len(block.header)
            lines = ["| " + " | ".join(block.header) + " |", "|" + "|".join(rule) + "|"]
            lines += ["| " + " | ".join(self.cell(c) for c in row) + " |" for row in block.rows]
            return lines + [""]
        if isinstance(block, Figure):
            if block.mermaid:
                return ["```mermaid", block.mermaid.rstrip("\n"), "```", "", f"*{block.caption}*", ""]
            svg = to_svg(block.drawing)
            if self.inline:
                data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
                target = f"data:image/svg+xml;base64,{data}"
            else:
                target = f"{self.stem}-{block.name}.svg"
                self.files[target] = svg.encode("utf-8")
            return [f"![{block.caption}]({target})", "", f"*{block.caption}*", ""]
        if isinstance(block, Boxed):
            value = (f"$\\boxed{{{latex_of(block.value, self.precision)}}}$"
                     if isinstance(block.value, Math) else f"**{block.value}**")
            return [f"- `{block.ref}`: {value}"]
        if isinstance(block, Code):
            return ["```text", block.text.rstrip("\n"), "```", ""]
        raise TypeError(block)


def render_markdown(sheet, precision: int = 4, stem: str = "sheet", inline_figures: bool = False,
                    key: bool = True) -> str:
    """Returns the sheet as Markdown (figures inline as data URIs when `inline_figures`)."""
    return render_markdown_files(sheet, precision, stem, inline_figures, key)[0]


def render_markdown_files(sheet, precision: int = 4, stem: str = "sheet",
                          inline_figures: bool = False, key: bool = True) -> tuple:
    """Returns (Markdown text, {file name: bytes} of the figures to write beside it)."""
    writer = MarkdownWriter(precision, stem, inline_figures)
    blocks = sheet_blocks(sheet, precision, key)
    lines = [f"# {blocks.title}", ""]
    for block in blocks.body:
        if lines[-1] != "" and not isinstance(block, Boxed):
            lines.append("")       # a list of boxed answers ends before the next block
        lines += writer.block(block)
    return "\n".join(lines).rstrip("\n") + "\n", writer.files


def render_key_markdown(sheet, precision: int = 4) -> str:
    """Returns the answer key alone as a Markdown table."""
    writer = MarkdownWriter(precision)
    lines = [f"# Answer key: {sheet.title}", ""] + writer.block(key_table(sheet, precision))
    return "\n".join(lines).rstrip("\n") + "\n"
