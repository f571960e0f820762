"""The command line: a thin shell over the library, one module per group of commands.

`app` holds the group and the one error boundary; each command module
registers its commands on it when imported here.
"""
from __future__ import annotations

import gc
import sys

from rnncli.cli import counts, forward, grade, gradients, solve, variants  # noqa: F401  (registers the commands)
from rnncli.cli.app import cli


def main() -> None:
    """Entry point of the `rnncli` console script."""
    try:
        cli.main(prog_name="rnncli")
    except BrokenPipeError:  # `rnncli trace ... | head`: the reader left; not an error
        sys.stderr.close()
        sys.exit(0)
    finally:
        # The process ends here and the operating system frees what is left, so the
        # collection at interpreter exit need not walk every object (about 10 ms of a
        # short command; Python does not promise finalizers at exit anyway).
        gc.freeze()
