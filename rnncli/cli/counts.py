"""`rnncli count-params`."""
from __future__ import annotations


import click

from rnncli.cli.app import cli, emit, format_option


@cli.command("count-params")
@click.argument("problem", required=False, type=str)
@click.option("--cell", metavar="C", help="Built-in cell, without a PROBLEM file (rnncli cells).")
@click.option("--convention", metavar="K", help="Its convention (default: standard).")
@click.option("--input-size", metavar="I", help="Input size.")
@click.option("--hidden-size", metavar="H", help="Hidden size.")
@click.option("--output-size", metavar="O", help="Adds the cell's linear read-out of size O.")
@click.option("--layers", metavar="L", help="Stacked layers (default 1).")
@click.option("--bidirectional", is_flag=True, help="A reverse copy of every layer.")
@click.option("--proj-size", metavar="P", help="PyTorch LSTM projection size (P < H).")
@click.option("--no-bias", is_flag=True, help="Drop every bias.")
@click.option("--steps", metavar="N", multiple=True,
              help="Also say what unrolling over N steps does to the count (repeatable).")
@click.option("--compare", metavar="C1,C2,...",
              help="Cells side by side for the same sizes: cell[:convention][@hidden].")
@format_option(("text", "json", "markdown", "latex"))
def count_params(problem, compare, steps, output_format, **options):
    """Parameter table: every parameter's role, shape, formula and count, and the total.

    Counts come from the cell's equations and inferred shapes, in the
    convention's own form (PyTorch's two biases, Keras's GRU reset_after).
    `total` counts trainable parameters (`fixed:` ones are listed apart).

    \b
    Examples:
      rnncli count-params problems/rnn-params.yaml --steps 5 --steps 10
      rnncli count-params --cell lstm --convention pytorch --input-size 10 \\
          --hidden-size 20 --layers 2 --bidirectional --format json
      rnncli count-params --cell lstm --input-size 20 --hidden-size 128 \\
          --compare gru,lstm-coupled,lstm@64
    """
    from rnncli.solve.count_options import count_request, steps_from_options

    unrolled = steps_from_options(steps)
    result = count_request(problem, compare=compare, **options)
    is_comparison = compare is not None
    if output_format == "json":
        from rnncli.render.counts import compare_document, count_document
        from rnncli.render.json_document import dumps

        document = compare_document if is_comparison else count_document
        emit(dumps(document(result, unrolled)))
    elif output_format == "markdown":
        from rnncli.render.counts import render_compare_markdown, render_markdown

        emit((render_compare_markdown if is_comparison else render_markdown)(result, unrolled))
    elif output_format == "latex":
        from rnncli.render.counts_latex import render_compare_latex, render_latex

        emit((render_compare_latex if is_comparison else render_latex)(result, unrolled))
    else:
        from rnncli.render.counts_text import render_compare_text, render_count_text
        from rnncli.render.text import make_console

        render = render_compare_text if is_comparison else render_count_text
        render(result, make_console(), unrolled)
