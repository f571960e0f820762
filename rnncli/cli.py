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
    from rnncli.problem import load_problem
    from rnncli.trace import run_trace

    problem = load_problem(path)
    if lstm_only:
        _require_lstm(problem)
    trace = run_trace(problem)
    if output_format == "json":
        from rnncli.render_json import dumps, trace_document

        emit(dumps(trace_document(trace)))
    elif output_format == "markdown":
        from rnncli.render_trace import render_markdown

        emit(render_markdown(trace, precision))
    elif output_format == "latex":
        from rnncli.render_trace import render_latex

        emit(render_latex(trace, precision))
    else:
        from rnncli.render_text import make_console, render_trace_text

        render_trace_text(trace, precision, make_console())


def _require_lstm(problem) -> None:
    from rnncli.builtin_cells import LSTM_FAMILY
    from rnncli.errors import ProblemError

    if problem.cell and problem.cell not in LSTM_FAMILY:
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
    from rnncli.checking import check_problem_file

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
    from rnncli.cell_catalog import describe_cells, render_cells

    emit(render_cells(describe_cells(name, convention), output_format))


def main() -> None:
    """Entry point of the `rnncli` console script."""
    try:
        cli.main(prog_name="rnncli")
    except BrokenPipeError:  # `rnncli trace ... | head`: the reader left; not an error
        sys.stderr.close()
        sys.exit(0)
