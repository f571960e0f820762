"""`Cell`: a problem's equations in evaluation order, with every name classified and its shape.

`rnncli.cells.build` makes one from a `Problem`; everything downstream
(trace, counts, unrolling, graphs, grading) reads it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rnncli.cells.builtin import CellSpec
from rnncli.files.problem import Problem
from rnncli.language.expression import Node, names

READOUT_WRAP = {"linear": "{}", "softmax": "softmax({})", "sigmoid": "sigmoid({})"}
SIZE_ALIASES = ("input", "hidden", "output")


@dataclass(frozen=True)
class Equation:
    """One quantity's equation: its text as written and its parsed expression."""

    name: str
    text: str
    expr: Node
    line: int | None        # line in the problem file; None for a built-in equation
    builtin: bool


@dataclass(frozen=True)
class Block:
    """Equations that run together through time: one layer in one direction of a network."""

    title: str                      # "layer 0 forward", "output"; "" for a lone cell
    layer: int | None
    direction: str                  # "forward" (t = 1..T) or "reverse" (t = T..1)
    names: tuple                    # the quantities it defines, in evaluation order
    suffix: str = ""                # "_l0_reverse": what its names carry


@dataclass(frozen=True)
class Cell:
    """A cell ready to evaluate: equations in dependency order and what each name is."""

    equations: tuple                 # Equation, in evaluation order
    inputs: tuple                    # input names
    params: tuple                    # parameter names, in order of first use
    states: dict                     # quantity or input read at t-k -> largest k
    spec: CellSpec | None = None
    shapes: dict = field(default_factory=dict)   # name -> tuple of ints (when inferred)
    dims: dict = field(default_factory=dict)     # name -> tuple of shapes.Dim (symbolic sizes)
    input_name: str | None = None
    hidden_name: str | None = None
    inputs_by_name: tuple = ()       # inputs taken as such by their name (x, x1, x_t), no `inputs:`
    blocks: tuple = ()               # Block, in running order; () for a lone cell (one forward block)
    unused: tuple = ()               # parameters a change (`--set`) left unread, with their values

    @property
    def schedule(self) -> tuple:
        """Returns the blocks to run, in order: a lone cell is one forward block."""
        return self.blocks or (Block("", 0, "forward", self.quantities),)

    def equation(self, name: str) -> Equation:
        return next(e for e in self.equations if e.name == name)

    @property
    def quantities(self) -> tuple:
        return tuple(e.name for e in self.equations)

    def role(self, param: str) -> str:
        """Returns what a parameter does, from the built-in cell's roles or its use."""
        if self.spec and param in self.spec.roles:
            return self.spec.roles[param]
        users = [e.name for e in self.equations if any(n.name == param for n in names(e.expr))]
        return "used by " + ", ".join(users) if users else "unused"


def equation_line(problem: Problem, equation: Equation | None) -> int | None:
    """Returns the line to blame for an equation: its own, or the `cell:` it came from."""
    if equation is not None and equation.line:
        return equation.line
    return problem.line("cell") if problem.cell else problem.line("equations")
