"""The equation language is an allow-list over Python's `ast`: nothing is ever executed.

Every construct outside the grammar of docs/equations.md is refused with an
EquationError, in the parser and, through a problem file, at `trace` time.
"""
from __future__ import annotations

import ast
import builtins

import pytest

from rnncli.language.equations import MAX_DEPTH, MAX_EXPRESSION_CHARS, parse_expression
from rnncli.errors import EquationError, RnncliError
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace

REFUSED = [
    # attribute access and dunder names
    "a.b", "x.__class__", "x.__class__.__bases__[0].__subclasses__()", "np.exp(x)",
    "__import__('os')", "__import__('os').system('echo hacked')", "__builtins__",
    "__class__", "h__x", "_private", "x.real",
    # imports and statements
    "import os", "from os import system", "exec('import os')", "x = 1", "del x",
    "x; y", "assert x", "global x", "pass", "raise x",
    # lambdas, comprehensions, generators
    "lambda: 1", "(lambda x: x)(1)", "[x for x in y]", "{x for x in y}", "{a: b for a in c}",
    "(x for x in y)", "sum(x for x in y)",
    # keywords, unpacking, f-strings, strings, bytes
    "sigmoid(x, key=1)", "sigmoid(**k)", "sigmoid(*a)", "f'{x}'", "f'{__import__(1)}'",
    "'abc'", "b'abc'", "'a' + 'b'",
    # walrus, conditionals, comparisons, boolean logic
    "(y := 3)", "x if y else z", "x < y", "x == y", "x and y", "x or y", "not x",
    # operators outside + - * / @ **
    "~x", "x // y", "x % y", "x << 1", "x >> 1", "x ^ y", "x | y", "x & y",
    # subscripts other than t and t-k (k from 1 to 9)
    "h[0]", "h[1]", "h[-1]", "h[t+1]", "h[t-10]", "h[t-0]", "h[1:2]", "h[:]", "h[t-1][t-1]",
    "h[x]", "h['a']", "h[t-1.0]", "h[t*1]", "h[2-t]", "h[t-k]", "h[t, 1]", "W[0][1]",
    "sigmoid(x)[0]", "[a, b][0]",
    # calls of something that is not a plain name
    "f(x)(y)", "x.y(z)", "[sigmoid][0](x)",
    # literals that are not numbers
    "None", "True", "False", "...", "1j", "(1, 2)", "()", "{1: 2}", "{1, 2}", "[]",
    # async and generators
    "await x", "yield x",
    # t outside brackets, empty calls
    "t", "t + 1", "sigmoid()",
    # out-of-range numbers, a huge integer literal
    "1e13", "1e400", "1" * 400, "0x" + "f" * 300, "-" * 100 + "x",
    # comments and control characters
    "x # comment", "#", "x\x00", "x\x1b[31m",
    # syntax errors
    "", "   ", "x +", "(x", "x)", "sigmoid(", "@x", "x @", "**x",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_with_an_equation_error(text):
    with pytest.raises(EquationError) as info:
        parse_expression(text, equation="h")
    assert info.value.equation == "h"
    assert "\n" not in info.value.message


def test_length_limit():
    text = "+".join(["x"] * (MAX_EXPRESSION_CHARS // 2 + 1))
    with pytest.raises(EquationError, match=f"longer than {MAX_EXPRESSION_CHARS}"):
        parse_expression(text)


def test_depth_limit():
    ok = "(" * (MAX_DEPTH - 5) + "x" + ")" * (MAX_DEPTH - 5)
    parse_expression("-" * (MAX_DEPTH - 2) + "x")
    parse_expression(ok)
    with pytest.raises(EquationError, match=f"deeper than {MAX_DEPTH}"):
        parse_expression("sigmoid(" * 70 + "x" + ")" * 70)
    with pytest.raises(EquationError, match="deeper"):
        parse_expression("-" * 100 + "x")
    with pytest.raises(EquationError, match="deeper|cannot parse|longer"):
        parse_expression("(" * 1000 + "x" + ")" * 1000)


def test_the_messages_name_what_was_refused():
    cases = {
        "a.b": "attribute access",
        "__import__('os')": "`__import__` is not an allowed name",
        "lambda: 1": "lambda",
        "[x for x in y]": "comprehension",
        "sigmoid(x, key=1)": "keyword arguments",
        "(y := 3)": "`:=`",
        "f'{x}'": "string",
        "h[0]": "takes t or t-k",
        "h[t+1]": "future step",
        "x // y": "FloorDiv",
        "(1, 2)": "use [a, b] to concatenate",
        "x # c": "`#`",
        "1" * 400: "with 400 digits is out of range",
    }
    for text, message in cases.items():
        with pytest.raises(EquationError) as info:
            parse_expression(text)
        assert message in info.value.message, (text, info.value.message)


@pytest.fixture
def no_eval(monkeypatch):
    """Makes eval, exec and compiling to code explode while the test runs (ast.parse may run)."""
    # Warm up first: importing a module legitimately executes its code.
    problem = parse_problem("equations:\n  h: foo(x)\ninputs: {x: [1]}\n")
    with pytest.raises(EquationError):
        run_trace(problem)
    run_trace(parse_problem("cell: rnn\nparams: {W_xh: 1, W_hh: 1, b_h: 1}\ninputs: {x: [1]}\n"))
    real_compile = builtins.compile

    def boom(*args, **kwargs):
        raise AssertionError("eval/exec was called")

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("compile to code was called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    monkeypatch.setattr(builtins, "compile", ast_only_compile)


def test_parsing_and_tracing_never_evaluate_python(no_eval):
    problem = parse_problem("equations:\n  h: tanh(w * x + u * h[t-1])\n"
                            "params: {w: 0.5, u: -0.25}\ninputs: {x: [1, 2]}\n")
    assert run_trace(problem).steps[-1].values["h"] is not None


@pytest.mark.parametrize("call", ["exec(x)", "eval(x)", "open(x)", "print(x)", "getattr(x)",
                                  "system(x)", "breakpoint(x)", "input(x)", "compile(x)",
                                  "globals(x)", "vars(x)", "max(x)"])
def test_calls_outside_the_allow_list_are_refused_by_trace(call, tmp_path, no_eval):
    text = f"equations:\n  h: {call}\ninputs: {{x: [1]}}\n"
    problem = parse_problem(text, "p.yaml")
    with pytest.raises(EquationError, match="unknown function") as info:
        run_trace(problem)
    assert info.value.line == 2


def test_an_open_call_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problem = parse_problem("equations:\n  h: open(x)\ninputs: {x: [1]}\n")
    with pytest.raises(RnncliError):
        run_trace(problem)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["__import__('os').system('echo hacked')", "x.__class__",
                                  "[c for c in x]", "lambda: x"])
def test_refused_in_a_problem_file_with_its_line(text):
    problem_text = f"title: t\nequations:\n  y: \"{text}\"\n  h: x\ninputs: {{x: [1]}}\n"
    with pytest.raises(EquationError) as info:
        run_trace(parse_problem(problem_text, "evil.yaml"))
    assert info.value.file == "evil.yaml" and info.value.line == 3
    assert str(info.value).startswith("evil.yaml:3: equation `y`: ")


def test_names_that_look_like_python_are_just_parameters():
    """`os`, `sys` and `print` are plain names of numbers here, never looked up in Python."""
    problem = parse_problem("equations:\n  h: os * x + sys\nparams: {os: 2, sys: 1}\n"
                            "inputs: {x: [3]}\n")
    assert float(run_trace(problem).steps[0].values["h"]) == 7.0
