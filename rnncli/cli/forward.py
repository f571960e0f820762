"""Commands on one problem's forward pass and structure: trace, lstm-trace, check, cells, unroll, graph."""
from __future__ import annotations

import sys

import click

from rnncli.cli.app import FORMATS, cli, emit, format_option, precision_option
from rnncli.errors import RnncliError


def _show_trace(path: str, output_format: str, precision: int, lstm_only: bool,
                all_steps: bool = False) -> None:
    from rnncli.files.problem import load_problem
    from rnncli.solve.trace import run_trace

    problem = load_problem(path)
    if lstm_only:
        _require_lstm(problem)
    trace = run_trace(problem)
    if output_format == "json":
        from rnncli.render.json_stream import write_trace_json

        # Streamed step by step: the bytes of dumps(trace_document(trace)), in bounded memory.
        write_trace_json(trace, sys.stdout.write)
        sys.stdout.write("\n")
        sys.stdout.flush()
    elif output_format == "markdown":
        from rnncli.render.trace import render_markdown

        emit(render_markdown(trace, precision, all_steps))
    elif output_format == "latex":
        from rnncli.render.trace import render_latex

        emit(render_latex(trace, precision))
    else:
        from rnncli.render.text import make_console, render_trace_text

        render_trace_text(trace, precision, make_console(), all_steps)


all_steps_option = click.option(
    "--all-steps", is_flag=True,
    help="Show every step in the summary table (beyond 20 steps it shows the first 10 and last 5).")


def _require_lstm(problem) -> None:
    from rnncli.cells.builtin import LSTM_FAMILY, cell_names
    from rnncli.errors import ProblemError

    # An unknown cell name (`lsmt`) is left to the trace, which suggests the right one.
    if problem.cell and problem.cell in cell_names() and problem.cell not in LSTM_FAMILY:
        raise ProblemError(f"lstm-trace traces LSTM cells ({', '.join(LSTM_FAMILY)}), not "
                           f"`{problem.cell}`; use `rnncli trace`", file=problem.file,
                           line=problem.line("cell"))


@cli.command()
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True))
@format_option(FORMATS)
@precision_option
@all_steps_option
def trace(problem, output_format, precision, all_steps):
    """Step-by-step forward pass of any cell: every equation, with the numbers substituted.

    \b
    Example:
      rnncli trace problems/gru-seed003.yaml --format markdown
    """
    _show_trace(problem, output_format, precision, lstm_only=False, all_steps=all_steps)


@cli.command("lstm-trace")
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True))
@format_option(FORMATS)
@precision_option
@all_steps_option
def lstm_trace(problem, output_format, precision, all_steps):
    """Step-by-step forward pass of an LSTM (a built-in cell must be an LSTM variant).

    \b
    Example:
      rnncli lstm-trace problems/lstm-goodfellow-forward.yaml --precision 6
    """
    _show_trace(problem, output_format, precision, lstm_only=True, all_steps=all_steps)


@cli.command()
@click.argument("problems", nargs=-1, required=True,
                type=click.Path(dir_okay=False, allow_dash=True))
def check(problems):
    """Validate problem files; prints an "ok" line for each valid file.

    Every file is checked, even after a bad one; the exit code is 2 if any failed.

    \b
    Example:
      rnncli check problems/*.yaml
    """
    from rnncli.grading.checking import check_problem_file

    failed = False
    for path in problems:
        try:
            check_problem_file(path)
        except RnncliError as exc:
            failed = True
            click.echo(f"Error: {exc}", err=True)
        else:
            click.echo(f"ok {path}")
    if failed:
        sys.exit(2)


@cli.command()
@click.argument("name", required=False)
@click.option("--convention", help="Show one convention of the cell (default: all of them).")
@format_option(("text", "json", "markdown"))
def cells(name, convention, output_format):
    """List the built-in cells, or show one cell's equations and parameters.

    \b
    Examples:
      rnncli cells
      rnncli cells gru --convention pytorch
    """
    from rnncli.cells.catalog import describe_cells, render_cells

    emit(render_cells(describe_cells(name, convention), output_format))


@cli.command()
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--to", "to", type=int, required=True, metavar="T",
              help="The step T whose formula is written out.")
@click.option("--quantity", metavar="Q",
              help="The quantity to unroll (default: the last equation's quantity).")
@click.option("--depth", type=click.IntRange(min=1), metavar="K",
              help="Substitute only K steps back; the quantities of step T-K stay standing.")
@click.option("--let", "use_let", is_flag=True,
              help="Name every quantity used more than once (`where h(3) = ...`) instead of copying it.")
@format_option(FORMATS)
def unroll(problem, to, quantity, depth, use_let, output_format):
    """The formula of Q[T] with every earlier step substituted, down to the inputs.

    Works on symbols alone: a problem needs only `equations:` and `steps:`,
    and a function the language does not know (such as f) stays a symbol.

    \b
    Examples:
      rnncli unroll problems/rnn-unroll-five-steps.yaml --to 5
      rnncli unroll problems/lstm-goodfellow-forward.yaml --to 3 --let --format latex
    """
    from rnncli.files.problem import load_problem
    from rnncli.render.unroll import render_unrolled
    from rnncli.solve.unrolling import unroll as unroll_formula

    unrolled = unroll_formula(load_problem(problem), to, quantity, depth=depth, let=use_let)
    emit(render_unrolled(unrolled, output_format))


@cli.command()
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--unfold", type=click.IntRange(1, 100), metavar="T",
              help="Draw the graph unfolded over T steps (default: the folded graph).")
@click.option("--params", "show_params", is_flag=True,
              help="Label each edge with the parameters that multiply its source (U, V, W).")
@click.option("--format", "output_format", type=click.Choice(("text", "dot", "mermaid", "json")),
              default="text", show_default=True, help="Output: terminal text, Graphviz DOT, "
              "Mermaid, JSON.")
@click.option("--render", metavar="FILE", type=click.Path(dir_okay=False),
              help="Lay the graph out with Graphviz's dot into FILE.svg, .png or .pdf.")
def graph(problem, unfold, show_params, output_format, render):
    """The folded or unfolded computational graph of a problem's equations.

    Folded, a recurrent edge (a value read at t-1) carries a black square ■, the
    Deep Learning book's delay; unfolded, there is a node per quantity per step.

    \b
    Examples:
      rnncli graph problems/two-layer-feedback-graph.yaml
      rnncli graph problems/two-layer-feedback-graph.yaml --unfold 3 --format dot
      rnncli graph problems/two-layer-feedback-graph.yaml --params --render folded.svg
    """
    from rnncli.solve.graphs import build_graph
    from rnncli.files.problem import load_problem
    from rnncli.render.graph import render_dot, render_file, render_graph

    built = build_graph(load_problem(problem), unfold, params=show_params)
    if render:
        size = render_file(render_dot(built), render)
        click.echo(f"wrote {render} ({size} bytes)", err=True)
    else:
        emit(render_graph(built, output_format))
