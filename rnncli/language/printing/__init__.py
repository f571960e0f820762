"""One printer per output format over the one expression tree (sympy's layout).

    source  the equation language itself (round-trips through the parser)
    text    Unicode for terminals and Markdown: σ, ⊙, x(5)
    latex   for solution sheets: \\sigma, \\odot, x^{(5)}
"""
from rnncli.language.printing.base import Printer, format_number

__all__ = ["Printer", "format_number"]
