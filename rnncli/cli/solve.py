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
@click.option("--variants", "variant_count", type=click.IntRange(1, 10_000), metavar="N",
              help="With --key, on a problem with `vary:`: the key of every one of its N exam "
                   "variants (as `rnncli variants --count N` writes it).")
@precision_option
def solve(problems, output_format, output, key, variant_count, precision):
    """The worked solution sheet: every question with its working, a boxed answer, and the key.

    Several problems make one sheet, numbered in the order given. A problem
    without `questions:` gets a section for each thing rnncli computes for it.

    \b
    Examples:
      rnncli solve problems/lstm-goodfellow-forward.yaml
      rnncli solve problems/rnn-unroll-five-steps.yaml problems/lstm-goodfellow-forward.yaml --key --format csv
      rnncli solve problems/lstm-goodfellow-variants.yaml --key --variants 30 --format csv
    """
    from rnncli.errors import UsageError
    from rnncli.solve.sheet import build_sheet

    if output_format == "csv" and not key:
        raise UsageError("--format csv is for the answer key: add --key")
    if variant_count is not None:
        if not key:
            raise UsageError("--variants is for the answer key of every variant: add --key")
        text = _variants_key(problems, variant_count, output_format)
        if output is None:
            emit(text)
        else:
            from rnncli.render.graph import write_atomically

            write_atomically(output, text.encode("utf-8"))
            click.echo(f"wrote {output}", err=True)
        return
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


def _variants_key(problems, count: int, output_format: str) -> str:
    """Returns the key of every exam variant of one problem with `vary:`, as CSV or Markdown."""
    from rnncli.errors import UsageError
    from rnncli.files.problem import load_problem
    from rnncli.render.variant_files import key_csv, key_document, variant_file_name
    from rnncli.variants.drawing import draw_variants

    if len(problems) != 1:
        raise UsageError("--variants keys the variants of one problem: give exactly one")
    if output_format not in ("csv", "markdown"):
        raise UsageError("--variants writes the key as --format csv or markdown")
    variant_set = draw_variants(load_problem(problems[0]), count)
    stem = os.path.splitext(os.path.basename(problems[0]))[0] if problems[0] != "-" else "problem"
    document = key_document(variant_set, [variant_file_name(stem, v.number, count)
                                          for v in variant_set.variants])
    text = key_csv(document)
    if output_format == "csv":
        return text
    import csv

    rows = list(csv.reader(text.splitlines()))
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]]
    return f"# Answer key of {count} variants of {problems[0]}\n\n" + "\n".join(lines) + "\n"
