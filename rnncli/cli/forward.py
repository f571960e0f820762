"""Commands on one problem's forward pass and structure: trace, lstm-trace, check, cells, unroll, graph."""
from __future__ import annotations

import sys

import click

from rnncli.cli.app import FORMATS, cli, emit, format_option, loading_modules, precision_option
from rnncli.cli.changes import change_options, forcing_options, load_changed
from rnncli.cli.plotting import plot_options, show_plots
from rnncli.errors import RnncliError, one_line


def _show_trace(path: str, output_format: str, precision: int, lstm_only: bool,
                sets=(), forcings=(), compare=False, plots: tuple = (None, None, False),
                all_steps: bool = False) -> None:
    from rnncli.errors import UsageError

    with loading_modules():
        from rnncli.solve.trace import run_trace

    problem = load_changed(path, sets, forcings)
    if lstm_only:
        _require_lstm(problem)
    trace = run_trace(problem)
    if show_plots(trace, *plots):
        return
    baseline = None
    if compare:
        if not problem.changes and not problem.teacher_forcing:
            raise UsageError("--compare compares a changed run with the unchanged one: give "
                             "--set or teacher forcing too", file=problem.file)
        from rnncli.files.changes import baseline as unchanged

        baseline = run_trace(unchanged(problem))
    if output_format == "json":
        from rnncli.render.json_stream import write_trace_json

        # Streamed a few steps at a time: the bytes of dumps(trace_document(...)), in
        # memory bounded by those steps, not by the document.
        write_trace_json(trace, sys.stdout.write, baseline)
        sys.stdout.write("\n")
        sys.stdout.flush()
    elif output_format == "markdown":
        from rnncli.render.trace import render_markdown

        emit(render_markdown(trace, precision, baseline, all_steps))
    elif output_format == "latex":
        from rnncli.render.trace import render_latex

        emit(render_latex(trace, precision, baseline, all_steps))
    else:
        with loading_modules():
            from rnncli.render.text import make_console, render_trace_text

        render_trace_text(trace, precision, make_console(), baseline, all_steps)


all_steps_option = click.option(
    "--all-steps", is_flag=True,
    help="Work out and tabulate every step (beyond 20 steps the working shows the first 3 "
         "and last 2 steps, the summary table the first 10 and last 5).")


def _require_lstm(problem) -> None:
    from rnncli.cells.builtin import LSTM_FAMILY, cell_names
    from rnncli.errors import ProblemError

    # An unknown cell name (`lsmt`) is left to the trace, which suggests the right one.
    if problem.cell and problem.cell in cell_names() and problem.cell not in LSTM_FAMILY:
        raise ProblemError(f"lstm-trace traces LSTM cells ({', '.join(LSTM_FAMILY)}), not "
                           f"`{problem.cell}`; use `rnncli trace`", file=problem.file,
                           line=problem.line("cell"))


@cli.command()
@click.argument("problem", type=str)
@format_option(FORMATS)
@precision_option
@change_options
@forcing_options
@plot_options
@all_steps_option
def trace(problem, output_format, precision, sets, forcings, compare, plot_file, plot_quantities,
          chart, all_steps):
    """Step-by-step forward pass of any cell: every equation, with the numbers substituted.

    Stacked and bidirectional networks are worked layer by layer, each
    direction in its own time order.

    \b
    Examples:
      rnncli trace problems/gru-olah-forward.yaml --format markdown
      rnncli trace problems/lstm-goodfellow-forward.yaml --chart --plot-quantities s,h,y
      rnncli trace problems/lstm-standard.yaml --set f=0 --compare
      rnncli trace problems/two-layer-feedback-teacher-forcing.yaml --compare
      rnncli trace problems/lstm-2layer-bidirectional-trace.yaml --format json
    """
    _show_trace(problem, output_format, precision, False, sets, forcings, compare,
                plots=(plot_file, plot_quantities, chart), all_steps=all_steps)


@cli.command("lstm-trace")
@click.argument("problem", type=str)
@format_option(FORMATS)
@precision_option
@change_options
@forcing_options
@plot_options
@all_steps_option
def lstm_trace(problem, output_format, precision, sets, forcings, compare, plot_file,
               plot_quantities, chart, all_steps):
    """Step-by-step forward pass of an LSTM (a built-in cell must be an LSTM variant).

    \b
    Examples:
      rnncli lstm-trace problems/lstm-goodfellow-forward.yaml --precision 6
      rnncli lstm-trace problems/lstm-standard.yaml --set f=0 --compare
    """
    _show_trace(problem, output_format, precision, True, sets, forcings, compare,
                plots=(plot_file, plot_quantities, chart), all_steps=all_steps)


@cli.command()
@click.argument("problems", nargs=-1, required=True,
                type=str)
def check(problems):
    """Validate problem files; prints an "ok" line for each valid file.

    Every file is checked, even after a bad one; the exit code is 2 if any failed.

    \b
    Example:
      rnncli check problems/*.yaml
    """
    from rnncli.files.text_source import STDIN_NAME
    from rnncli.grading.checking import check_problem_file

    failed = False
    for path in problems:
        try:
            check_problem_file(path)
        except RnncliError as exc:
            failed = True
            click.echo(f"Error: {exc}", err=True)
        else:
            click.echo(f"ok {STDIN_NAME if path == '-' else one_line(path)}")
    if failed:
        sys.exit(2)


@cli.command()
@click.argument("name", required=False)
@click.option("--convention", help="Show one convention of the cell (default: all of them).")
@format_option(FORMATS)
def cells(name, convention, output_format):
    """List the built-in cells, or show one cell's equations and parameters.

    \b
    Examples:
      rnncli cells
      rnncli cells gru --convention pytorch
    """
    from rnncli.cells.catalog import describe_cells
    from rnncli.render.cells import render_cells

    described = describe_cells(name, convention)
    if output_format == "latex":
        from rnncli.render.cells_latex import render_cells_latex

        emit(render_cells_latex(described))
    else:
        emit(render_cells(described, output_format))


@cli.command()
@click.argument("problem", type=str)
@click.option("--to", "to", type=int, required=True, metavar="T",
              help="The step T whose formula is written out.")
@click.option("--quantity", metavar="Q",
              help="The quantity to unroll (default: the last equation's quantity).")
@click.option("--depth", type=click.IntRange(min=1), metavar="K",
              help="Substitute only K steps back; the quantities of step T-K stay standing.")
@click.option("--let", "use_let", is_flag=True,
              help="Name every quantity used more than once (`where h(3) = ...`) instead of copying it.")
@format_option(FORMATS)
@change_options
def unroll(problem, to, quantity, depth, use_let, output_format, sets):
    """The formula of Q[T] with every earlier step substituted, down to the inputs.

    Works on symbols alone: a problem needs only `equations:` and `steps:`,
    and a function the language does not know (such as f) stays a symbol.

    \b
    Examples:
      rnncli unroll problems/rnn-unroll-five-steps.yaml --to 5
      rnncli unroll problems/lstm-goodfellow-forward.yaml --to 3 --let --format latex
      rnncli unroll problems/lstm-standard.yaml --to 2 --quantity c --set f=0
    """
    from rnncli.render.unroll import render_unrolled
    from rnncli.solve.unrolling import unroll as unroll_formula

    unrolled = unroll_formula(load_changed(problem, sets), to, quantity, depth=depth, let=use_let)
    emit(render_unrolled(unrolled, output_format))


@cli.command()
@click.argument("problem", type=str)
@click.option("--unfold", type=click.IntRange(1, 100), metavar="T",
              help="Draw the graph unfolded over T steps (default: the folded graph).")
@click.option("--params", "show_params", is_flag=True,
              help="Label each edge with the parameters that multiply its source (U, V, W).")
@click.option("--format", "output_format", type=click.Choice(("text", "dot", "mermaid", "json")),
              default=None, help="Output: terminal text (the default), Graphviz DOT, Mermaid, "
              "JSON. Not with --render, which takes the format from FILE's extension.")
@click.option("--render", metavar="FILE", type=click.Path(dir_okay=False),
              help="Lay the graph out with Graphviz's dot into FILE.svg, .png or .pdf.")
@change_options
def graph(problem, unfold, show_params, output_format, render, sets):
    """The folded or unfolded computational graph of a problem's equations.

    Folded, a recurrent edge (a value read at t-1) carries a black square ■, the
    Deep Learning book's delay; unfolded, there is a node per quantity per step.

    \b
    Examples:
      rnncli graph problems/two-layer-feedback-graph.yaml
      rnncli graph problems/two-layer-feedback-graph.yaml --unfold 3 --format dot
      rnncli graph problems/two-layer-feedback-graph.yaml --params --render folded.svg
      rnncli graph problems/lstm-2layer-bidirectional-trace.yaml --unfold 3
    """
    from rnncli.solve.graphs import build_graph
    from rnncli.render.graph import render_dot, render_file, render_graph

    if render and output_format is not None:
        raise click.UsageError("--render takes the format from FILE's extension (.svg, .png, "
                               ".pdf); leave out --format, or write --format without --render")
    built = build_graph(load_changed(problem, sets), unfold, params=show_params)
    if render:
        size = render_file(render_dot(built), render)
        click.echo(f"wrote {render} ({size} bytes)", err=True)
    else:
        emit(render_graph(built, output_format or "text"))
