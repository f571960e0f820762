"""Cell -> solutions: the forward trace, its worked forms, parameter counts, unrolled formulas, graphs.

The package is also callable, so that a notebook writes `rnncli.solve("problem.yaml")`
and gets the solution sheet (`sheet.Sheet`), which shows itself. Calling it
loads the solver; importing it loads nothing (no numpy).
"""
import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *problems, precision: int = 4):
        """Returns the Sheet of problem files (or Problem objects), numbered in the order given."""
        from rnncli.solve.sheet import build_sheet

        if len(problems) == 1 and isinstance(problems[0], (list, tuple)):
            problems = tuple(problems[0])
        return build_sheet(problems, precision)


sys.modules[__name__].__class__ = _CallablePackage
