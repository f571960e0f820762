"""The options that change a problem for one run (`--set`, `--teacher-forcing`, `--compare`),
shared by every command on a problem; the changes themselves are `rnncli.files.changes`."""
from __future__ import annotations

import click


def change_options(command):
    """Adds `--set NAME=EXPR` (repeatable): the changes of spec §15, to any command on a problem."""
    return click.option("--set", "sets", multiple=True, metavar="NAME=EXPR",
                        help="Replace (or add) the equation of NAME for this run, exactly as an "
                        "`equations:` entry would; repeatable. Example: --set f=0")(command)


def teacher_forcing_option(command):
    """Adds `--teacher-forcing Y=INPUT` (repeatable), spec §15."""
    return click.option("--teacher-forcing", "forcings", multiple=True, metavar="Y=INPUT",
                        help="Every read of Y at an earlier step takes the input INPUT at that "
                        "step instead; Y is still computed. Repeatable.")(command)


def forcing_options(command):
    """Adds `--teacher-forcing` and `--compare` (the changed run beside the unchanged one)."""
    command = click.option("--compare", is_flag=True,
                           help="Also run the unchanged problem (no --set, free running) and "
                           "show both, with the differences per quantity and step.")(command)
    return teacher_forcing_option(command)


def load_changed(path: str, sets=(), forcings=()):
    """Returns the problem of a file with the command line's changes made."""
    from rnncli.files.problem import load_problem

    if not sets and not forcings:       # the usual run: rnncli.files.changes is not imported
        return load_problem(path)
    from rnncli.files.changes import (apply_changes, parse_set_option,
                                      parse_teacher_forcing_option)

    changes = [parse_set_option(s) for s in sets]
    changes += [parse_teacher_forcing_option(f) for f in forcings]
    return apply_changes(load_problem(path), changes)
