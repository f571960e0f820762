"""The `rnncli` group, the options every command shares, and the one error boundary.

The cli package is the only part of rnncli that imports click. Heavy modules
(numpy, rich, the solver) are imported inside the commands, so that
`rnncli --help` stays fast.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager

import click

from rnncli import __version__
from rnncli.errors import RnncliError, one_line


class UserError(click.ClickException):
    """A user's mistake, printed as `Error: FILE:LINE: message`, exit 2."""

    exit_code = 2


class RnncliGroup(click.Group):
    """Turns every RnncliError raised below, and click's own usage errors (a bad option, a
    missing argument), into one line on stderr and exit 2: no usage block, no traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _one_line_usage(exc) from None

    def invoke(self, ctx):
        frozen_before = gc.get_freeze_count()
        try:
            return super().invoke(ctx)
        except RnncliError as exc:
            raise UserError(str(exc)) from None
        except click.UsageError as exc:
            raise _one_line_usage(exc) from None
        finally:
            # Unfreezes what loading_modules froze; in a process that froze objects
            # itself (a pre-forking server), what is frozen stays frozen.
            if not frozen_before:
                gc.unfreeze()


def _one_line_usage(exc: click.UsageError) -> UserError:
    """Returns click's usage error as one `Error:` line (the command named, the help hinted)."""
    command = exc.ctx.command_path if exc.ctx is not None else "rnncli"
    return UserError(one_line(f"{command}: {exc.format_message()} "
                              f"(`{command} --help` shows the options)"))


FORMATS = ("text", "json", "markdown", "latex")


def format_option(choices=FORMATS[:3]):
    return click.option("--format", "output_format", type=click.Choice(choices), default="text",
                        show_default=True, help="Output: terminal text, JSON, Markdown"
                        + (", LaTeX" if "latex" in choices else "") + ".")


precision_option = click.option("--precision", type=click.IntRange(0, 15), default=4,
                                show_default=True, help="Decimals shown (JSON is always exact).")


@contextmanager
def loading_modules():
    """Pauses the cyclic garbage collector while a command imports what it needs.

    Importing numpy, rich and the solver makes tens of thousands of objects that
    live as long as the process and next to no garbage, yet the collector walks
    them again and again: about 15 ms of a short command. Afterwards every object
    made so far is frozen (gc.freeze), so that the command's own work runs with
    the collector on but without walking them; RnncliGroup.invoke unfreezes them
    when the command ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


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
