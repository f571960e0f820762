"""Heading lines that several renderers share (count-params, graph, unroll)."""
from __future__ import annotations

INPUTS_BY_NAME_KEY = "inputs_by_name"


def inputs_by_name_line(names) -> str | None:
    """Returns the heading line naming the inputs taken by their name alone, or None.

    Without an `inputs:` key, an undefined name without a value that reads as
    an input (x, x1, x_t) is one; saying so at the top makes a surprise visible
    (a parameter named x1 would otherwise vanish from the count silently).
    """
    if not names:
        return None
    listed = ", ".join(names)
    verb = "is an input" if len(names) == 1 else "are inputs"
    return (f"Inputs by name: {listed} {verb} (the file has no `inputs:`; "
            "write `inputs: [...]` to choose others)")
