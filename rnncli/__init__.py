"""rnncli: worked, checked solutions of exercises on recurrent neural networks.

The data flow is the architecture; each subpackage is one stage, and imports
point down this list, never up:

    errors     the one exception hierarchy (every error knows its file and line)
    language   the equation language: expression tree, parser (never executes),
               functions, shape algebra, one printer per output format
    files      YAML text -> validated `Problem` and `Answers` (safe YAML, number checks)
    cells      Problem -> `Cell`: built-in cells as data, equations ordered, shapes inferred
    solve      Cell -> solutions: `Trace`, worked forms, counts, unrolled formulas, graphs,
               gradients and Jacobians, solution sheets
    grading    Problem + answers -> `GradeReport`: tolerances, follow-through, diagnoses
    variants   Problem with `vary:` -> exam variants, each computed and keyed by rnncli
    render     results -> text (rich), Markdown, LaTeX, JSON, DOT, Mermaid, gradebooks
    cli        the command line, a thin shell over the above and the one error boundary

This module stays import-light so that `rnncli --help` never loads numpy or rich.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `rnncli.solve(...)`: the solve package is callable (rnncli/solve/__init__.py) and is
    # imported only when first used, so `import rnncli` stays free of numpy.
    if name == "solve":
        import importlib

        return importlib.import_module("rnncli.solve")
    raise AttributeError(f"module 'rnncli' has no attribute {name!r}")
