"""Expression text -> expression tree, through Python's `ast` and an allow-list.

The text is parsed with `ast.parse(mode="eval")` and every node is checked
against the grammar of the equation language (docs/equations.md); nothing is
ever evaluated as Python. An unknown node type is an explicit error.
"""
from __future__ import annotations

import ast
import math
import re
import warnings

from rnncli.errors import EquationError
from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Node, Number, Step

MAX_EXPRESSION_CHARS = 2000
MAX_DEPTH = 60
MAX_LAG = 9
MAX_CONSTANT = 1e12
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@",
              ast.Pow: "**"}

# What a refused construct is called in the error message.
_REFUSED = {
    ast.Attribute: "attribute access (`a.b`)",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison", ast.BoolOp: "`and`/`or`", ast.IfExp: "`if ... else`",
    ast.Dict: "a dict", ast.Set: "a set", ast.Tuple: "a tuple (use [a, b] to concatenate)",
    ast.Starred: "`*` unpacking", ast.JoinedStr: "a string", ast.NamedExpr: "`:=`",
    ast.Await: "`await`", ast.Yield: "`yield`", ast.YieldFrom: "`yield`", ast.Slice: "a slice",
}


def parse_expression(text: str, *, equation: str | None = None, allow_steps: bool = False) -> Node:
    """Returns the expression tree of `text`, or raises EquationError saying why not.

    `allow_steps` admits fixed step references such as `h[0]` (unrolled formulas);
    equations of a cell read only `name[t-k]`.
    """
    if not isinstance(text, str):
        raise EquationError("expected an expression as text", equation=equation)
    if len(text) > MAX_EXPRESSION_CHARS:
        raise EquationError(f"expression longer than {MAX_EXPRESSION_CHARS} characters",
                            equation=equation)
    # An expression may span lines (a YAML block scalar); a newline is a space.
    text = " ".join(text.split())
    if not text:
        raise EquationError("empty expression", equation=equation)
    bad = next((c for c in text if not c.isprintable()), None)
    if bad is not None:
        raise EquationError(f"the character {bad!r} is not allowed in an expression",
                            equation=equation)
    if "#" in text:
        # Python would read the rest of the line as a comment and drop it silently.
        raise EquationError("`#` is not allowed in an expression (it would start a comment)",
                            equation=equation)
    try:
        with warnings.catch_warnings():
            # Python warns on stderr about some text it still parses (`1if x else x`:
            # "invalid decimal literal"); the error below is the one message the user gets.
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(text, mode="eval")
    except SyntaxWarning as exc:
        raise EquationError(f"cannot parse `{text}`: {exc}", equation=equation) from None
    except SyntaxError as exc:
        raise EquationError(f"cannot parse `{text}`: {exc.msg}", equation=equation) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise EquationError(f"cannot parse `{text}`: {exc}", equation=equation) from None
    _check_depth(tree.body, equation)
    return _Converter(equation, allow_steps).convert(tree.body)


def _short(value: int) -> str:
    digits = len(str(value)) if value.bit_length() < 10_000 else "many"
    return str(value) if value.bit_length() < 64 else f"with {digits} digits"


def _check_depth(root: ast.AST, equation: str | None) -> None:
    """Refuses trees deeper than MAX_DEPTH before the recursive conversion."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise EquationError(f"expression nested deeper than {MAX_DEPTH} levels",
                                equation=equation)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Converter:
    def __init__(self, equation: str | None, allow_steps: bool):
        self.equation = equation
        self.allow_steps = allow_steps

    def fail(self, message: str):
        raise EquationError(message, equation=self.equation)

    def convert(self, node: ast.AST) -> Node:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            what = _REFUSED.get(type(node), f"`{type(node).__name__}`")
            self.fail(f"{what} is not allowed in an equation")
        return handler(node)

    def _Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{value!r} is not a number")
        # An int is compared before any float conversion: 10**400 does not fit a float.
        if isinstance(value, int) and abs(value) > MAX_CONSTANT:
            self.fail(f"the number {_short(value)} is out of range (at most {MAX_CONSTANT:g})")
        if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
            self.fail(f"the number {value!r} is out of range (at most {MAX_CONSTANT:g})")
        return Number(float(value))

    def _Name(self, node: ast.Name) -> Node:
        return Name(self._identifier(node.id))

    def _identifier(self, name: str) -> str:
        if not IDENTIFIER.match(name) or "__" in name:
            self.fail(f"`{name}` is not an allowed name (letters, digits and _, no __)")
        if name == "t":
            self.fail("`t` is the step index; use it only inside brackets, as in h[t-1]")
        return name

    def _BinOp(self, node: ast.BinOp) -> Node:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            self.fail(f"the operator `{type(node.op).__name__}` is not allowed "
                      "(use + - * / @ **)")
        return BinOp(op, self.convert(node.left), self.convert(node.right))

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.convert(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            if isinstance(operand, Number):
                return Number(-operand.value)
            return Neg(operand)
        self.fail(f"the operator `{type(node.op).__name__}` is not allowed")

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            self.fail("only a named function can be called, as in sigmoid(x)")
        if node.keywords:
            self.fail(f"keyword arguments are not allowed in a call of `{node.func.id}`")
        name = self._identifier(node.func.id)
        if not node.args:
            self.fail(f"`{name}()` needs an argument")
        return Call(name, tuple(self.convert(arg) for arg in node.args))

    def _List(self, node: ast.List) -> Node:
        if not node.elts:
            self.fail("`[]` concatenates nothing; write [a, b]")
        return Concat(tuple(self.convert(item) for item in node.elts))

    def _Subscript(self, node: ast.Subscript) -> Node:
        if not isinstance(node.value, ast.Name):
            self.fail("only a name can take a step index, as in h[t-1]")
        name = self._identifier(node.value.id)
        index = node.slice
        if isinstance(index, ast.Name) and index.id == "t":
            return Name(name)
        if (isinstance(index, ast.BinOp) and isinstance(index.left, ast.Name)
                and index.left.id == "t" and isinstance(index.right, ast.Constant)
                and type(index.right.value) is int):
            k = index.right.value
            if isinstance(index.op, ast.Add) and k > 0:
                self.fail(f"`{name}[t+{k}]` reads a future step; an equation can read only "
                          "the current or earlier steps")
            if isinstance(index.op, ast.Sub) and 1 <= k <= MAX_LAG:
                return Name(name, k)
        if self.allow_steps:
            # Fixed steps of unrolled formulas; negative ones are the values before
            # the first step (`h[-1]` when time_start is 0, or h[t-2] at step 1).
            sign, constant = 1, index
            if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
                sign, constant = -1, index.operand
            if (isinstance(constant, ast.Constant) and type(constant.value) is int
                    and constant.value <= 10**7):
                return Step(name, sign * constant.value)
        self.fail(f"`{name}[...]` takes t or t-k (k from 1 to {MAX_LAG}), as in {name}[t-1]")
