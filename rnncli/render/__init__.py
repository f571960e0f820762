"""Results -> text (rich, imported only here), Markdown, LaTeX, JSON, DOT, Mermaid, gradebooks."""
