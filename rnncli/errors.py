"""The one hierarchy of user-facing errors.

The library raises these; the CLI (the one error boundary) prints them as
`Error: FILE:LINE: message` and exits 2. Anything else that escapes is a bug
and keeps its traceback.
"""
from __future__ import annotations


class RnncliError(Exception):
    """A mistake in a user's file or command line, with where it is."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.key = key

    def located(self, file: str | None = None, line: int | None = None) -> "RnncliError":
        """Fill in the file and line if they are not known yet; returns self."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            name = one_line(str(self.file))
            where = f"{name}:{self.line}: " if self.line else f"{name}: "
        return where + one_line(self.message)


def one_line(text: str) -> str:
    """Returns text with every control, format and bidi character escaped, as `\\n` or
    `\\u202e`: a message quotes user text (a YAML key may hold a line break, a file name
    an escape sequence), and an error must stay one line that cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    code = ord(c)
    if c in "\n\t\r":
        return repr(c)[1:-1]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class InputFileError(RnncliError):
    """A file that cannot be read or is not safe, well-formed YAML."""


class ProblemError(RnncliError):
    """A problem or answers file whose content is not valid."""


class EquationError(RnncliError):
    """An expression that does not parse, names something unknown, or does not fit."""

    def __init__(self, message: str, *, equation: str | None = None, **where):
        super().__init__(message, **where)
        self.equation = equation


class ShapeError(EquationError):
    """Shapes that do not fit together in an equation."""


class UsageError(RnncliError):
    """A command-line option that is not valid on its own."""


def did_you_mean(word: str, choices) -> str:
    """Returns ' (did you mean `x`?)' for the closest choice, or ''."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
