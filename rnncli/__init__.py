"""rnncli: worked, checked solutions of exercises on recurrent neural networks.

The data flow is the architecture, one module per stage:

    yaml_source  YAML text -> plain data with a line number for every key
    problem      plain data -> validated `Problem`
    equations    expression text -> `expression` tree (parsed, never executed)
    builtin_cells, cell, shapes
                 Problem -> `Cell`: equations in evaluation order, shapes inferred
    trace        Cell + numbers -> `Trace`, every quantity at every step
    render_*     Trace -> text (rich), markdown, JSON

This module stays import-light so that `rnncli --help` never loads numpy or rich.
"""

__version__ = "0.1.0"
