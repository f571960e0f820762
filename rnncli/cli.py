"""The command line: a thin shell over the library, and the one error boundary.

Only this module imports click. Heavy modules (numpy, rich, the solver) are
imported inside the commands, so that `rnncli --help` stays fast.
"""
from __future__ import annotations

import sys

import click

from rnncli import __version__
from rnncli.errors import RnncliError


class UserError(click.ClickException):
    """A user's mistake, printed as `Error: FILE:LINE: message`, exit 2."""

    exit_code = 2


class RnncliGroup(click.Group):
    """Turns every RnncliError raised below into one line on stderr and exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RnncliError as exc:
            raise UserError(str(exc)) from None


FORMATS = ("text", "json", "markdown", "latex")


def format_option(choices=FORMATS[:3]):
    return click.option("--format", "output_format", type=click.Choice(choices), default="text",
                        show_default=True, help="Output: terminal text, JSON, Markdown"
                        + (", LaTeX" if "latex" in choices else "") + ".")


precision_option = click.option("--precision", type=click.IntRange(0, 15), default=4,
                                show_default=True, help="Decimals shown (JSON is always exact).")


def emit(text: str) -> None:
    """Writes a whole document to stdout at once."""
    click.echo(text, nl=not text.endswith("\n"))


@click.group(cls=RnncliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rnncli")
def cli():
    """Worked, checked solutions of exercises on recurrent neural networks.

    \b
    Examples:
      rnncli lstm-trace problems/lstm-goodfellow-seed002.yaml
      rnncli cells lstm --convention pytorch
      rnncli check problems/*.yaml
    """


def _show_trace(path: str, output_format: str, precision: int, lstm_only: bool) -> None:
    from rnncli.files.problem import load_problem
    from rnncli.solve.trace import run_trace

    problem = load_problem(path)
    if lstm_only:
        _require_lstm(problem)
    trace = run_trace(problem)
    if output_format == "json":
        from rnncli.render.json_document import dumps, trace_document

        emit(dumps(trace_document(trace)))
    elif output_format == "markdown":
        from rnncli.render.trace import render_markdown

        emit(render_markdown(trace, precision))
    elif output_format == "latex":
        from rnncli.render.trace import render_latex

        emit(render_latex(trace, precision))
    else:
        from rnncli.render.text import make_console, render_trace_text

        render_trace_text(trace, precision, make_console())


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
def trace(problem, output_format, precision):
    """Step-by-step forward pass of any cell: every equation, with the numbers substituted.

    \b
    Example:
      rnncli trace problems/gru-seed003.yaml --format markdown
    """
    _show_trace(problem, output_format, precision, lstm_only=False)


@cli.command("lstm-trace")
@click.argument("problem", type=click.Path(dir_okay=False, allow_dash=True))
@format_option(FORMATS)
@precision_option
def lstm_trace(problem, output_format, precision):
    """Step-by-step forward pass of an LSTM (a built-in cell must be an LSTM variant).

    \b
    Example:
      rnncli lstm-trace problems/lstm-goodfellow-seed002.yaml --precision 6
    """
    _show_trace(problem, output_format, precision, lstm_only=True)


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
      rnncli unroll problems/rnn-unroll-seed002.yaml --to 5
      rnncli unroll problems/lstm-goodfellow-seed002.yaml --to 3 --let --format latex
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
      rnncli graph problems/two-layer-feedback-seed000.yaml
      rnncli graph problems/two-layer-feedback-seed000.yaml --unfold 3 --format dot
      rnncli graph problems/two-layer-feedback-seed000.yaml --params --render folded.svg
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


@cli.command("count-params")
@click.argument("problem", required=False, type=click.Path(dir_okay=False, allow_dash=True))
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
@format_option(("text", "json", "markdown"))
def count_params(problem, compare, steps, output_format, **options):
    """Parameter table: every parameter's role, shape, formula and count, and the total.

    Counts come from the cell's equations and inferred shapes, in the
    convention's own form (PyTorch's two biases, Keras's GRU reset_after).
    `total` counts trainable parameters (`fixed:` ones are listed apart).

    \b
    Examples:
      rnncli count-params problems/rnn-params-seed001.yaml --steps 5 --steps 10
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
    else:
        from rnncli.render.counts_text import render_compare_text, render_count_text
        from rnncli.render.text import make_console

        render = render_compare_text if is_comparison else render_count_text
        render(result, make_console(), unrolled)


@cli.command()
@click.argument("answers", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--problem", "problem_path", metavar="PROBLEM", type=click.Path(allow_dash=True),
              help="Grade against this (the instructor's) problem; every answers file's "
                   "`problem:` key is ignored.")
@format_option()
@precision_option
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write a gradebook: one row per answers file (written atomically).")
@click.option("--gradescope", "gradescope_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write a Gradescope autograder results.json (one answers file).")
def grade(answers, problem_path, output_format, precision, csv_path, gradescope_path):
    """Grade answers files: tolerances, follow-through credit, diagnoses of common slips.

    Without --problem, each answers file is graded against its own `problem:`
    (self-check). Exit code: 0 full marks, 1 points lost, 2 an input could not
    be read (a broken answers file is reported, scored 0, and the batch goes on).

    \b
    Examples:
      rnncli grade problems/answers/seed002-ada.yaml
      rnncli grade --problem problems/lstm-goodfellow-seed002.yaml submissions/*.yaml --csv grades.csv
      rnncli grade --problem /autograder/source/problem.yaml /autograder/submission/answers.yaml \\
          --gradescope /autograder/results/results.json
    """
    from rnncli.errors import UsageError

    if gradescope_path and len(answers) != 1:
        raise UsageError("--gradescope writes one submission's results.json; give exactly one "
                         "answers file")
    if list(answers).count("-") + (problem_path == "-") > 1:
        raise UsageError("standard input (-) can be read only once")
    from rnncli.grading.grade import grade_files

    report = grade_files(answers, problem_path)
    for result in report.results:
        if result.error:
            click.echo(f"Error: {result.error}", err=True)
    if csv_path:
        from rnncli.render.gradebook import csv_text, write_atomically

        write_atomically(csv_path, csv_text(report))
    if gradescope_path:
        from rnncli.render.gradebook import gradescope_results, write_atomically
        from rnncli.render.json_document import dumps

        write_atomically(gradescope_path,
                         dumps(gradescope_results(report.results[0], precision)) + "\n")
    if output_format == "json":
        from rnncli.render.grade import grade_document, grades_document
        from rnncli.render.json_document import dumps

        single = len(answers) == 1
        emit(dumps(grade_document(report.results[0]) if single else grades_document(report)))
    elif output_format == "markdown":
        from rnncli.render.grade import render_markdown

        emit(render_markdown(report, precision))
    else:
        from rnncli.render.grade import render_text
        from rnncli.render.text import make_console

        render_text(report, precision, make_console())
    sys.exit(report.exit_code)


def main() -> None:
    """Entry point of the `rnncli` console script."""
    try:
        cli.main(prog_name="rnncli")
    except BrokenPipeError:  # `rnncli trace ... | head`: the reader left; not an error
        sys.stderr.close()
        sys.exit(0)
