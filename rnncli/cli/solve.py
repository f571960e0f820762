"""`rnncli solve`: the worked solution sheet of one or more problems, or its answer key."""
from __future__ import annotations

import os

import click

from rnncli.cli.app import cli, emit, precision_option


@cli.command()
@click.argument("problems", nargs=-1, required=True, type=str)
@click.option("--format", "output_format",
              type=click.Choice(("markdown", "html", "latex", "csv")), default="markdown",
              show_default=True, help="Markdown ($...$ math, Mermaid graphs), one self-contained "
              "HTML file (MathML, inline SVG), a LaTeX document; csv only with --key.")
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the sheet to FILE; figures (plots, graphs) are written beside it.")
@click.option("--key", is_flag=True, help="Print the answer key alone (reference, value, "
              "tolerance, points).")
@precision_option
def solve(problems, output_format, output, key, precision):
    """The worked solution sheet: every question with its working, a boxed answer, and the key.

    Several problems make one sheet, numbered in the order given. A problem
    without `questions:` gets a section for each thing rnncli computes for it.

    \b
    Examples:
      rnncli solve problems/lstm-goodfellow-forward.yaml
      rnncli solve problems/rnn-unroll-five-steps.yaml problems/lstm-goodfellow-forward.yaml --key --format csv
    """
    from rnncli.errors import UsageError
    from rnncli.solve.sheet import build_sheet

    if output_format == "csv" and not key:
        raise UsageError("--format csv is for the answer key: add --key")
    sheet = build_sheet(problems)
    if key:
        text, files = _key(sheet, output_format, precision), {}
    else:
        stem = os.path.splitext(os.path.basename(output))[0] if output else "sheet"
        text, files = _sheet(sheet, output_format, precision, stem, inline=output is None)
        if files and output is None:
            raise UsageError("this LaTeX sheet has figures, which are written as files beside "
                             "the document: add -o FILE.tex")
    if output is None:
        emit(text)
        return
    from rnncli.render.graph import write_atomically

    directory = os.path.dirname(os.path.abspath(output))
    for name, data in files.items():
        write_atomically(os.path.join(directory, name), data)
    write_atomically(output, text.encode("utf-8"))
    written = ", ".join([output] + [os.path.join(os.path.dirname(output), n) for n in files])
    click.echo(f"wrote {written}", err=True)


def _sheet(sheet, output_format: str, precision: int, stem: str, inline: bool):
    if output_format == "html":
        from rnncli.render.sheet_html import render_html

        return render_html(sheet, precision), {}
    if output_format == "latex":
        from rnncli.render.sheet_latex import render_latex_files

        return render_latex_files(sheet, precision, stem)
    from rnncli.render.sheet_markdown import render_markdown_files

    return render_markdown_files(sheet, precision, stem, inline_figures=inline)


def _key(sheet, output_format: str, precision: int) -> str:
    if output_format == "csv":
        from rnncli.render.sheet_key import render_key_csv

        return render_key_csv(sheet)
    if output_format == "html":
        from rnncli.render.sheet_html import render_key_html

        return render_key_html(sheet, precision)
    if output_format == "latex":
        from rnncli.render.sheet_latex import render_key_latex

        return render_key_latex(sheet, precision)
    from rnncli.render.sheet_markdown import render_key_markdown

    return render_key_markdown(sheet, precision)
