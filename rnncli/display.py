"""`Displayable`: results that show themselves in Jupyter (`_repr_html_`, `_repr_markdown_`, `_repr_latex_`).

The results live in solve/ and grading/, their renderers in render/, which
imports them: so the mixin looks the renderer up only when a notebook asks,
through render/notebook.py, and importing a result never loads a renderer.
"""
from __future__ import annotations


class Displayable:
    """Mixin for result classes; each method returns None when the format does not apply."""

    def _repr_html_(self):
        return _represent("html", self)

    def _repr_markdown_(self):
        return _represent("markdown", self)

    def _repr_latex_(self):
        return _represent("latex", self)


def _represent(kind: str, result):
    from rnncli.render.notebook import represent

    return represent(kind, result)
