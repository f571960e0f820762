"""The `rnncli` group, the options every command shares, and the one error boundary.

The cli package is the only part of rnncli that imports click. Heavy modules
(numpy, rich, the solver) are imported inside the commands, so that
`rnncli --help` stays fast.
"""
from __future__ import annotations

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
      rnncli lstm-trace problems/lstm-goodfellow-forward.yaml
      rnncli cells lstm --convention pytorch
      rnncli check problems/*.yaml
    """
