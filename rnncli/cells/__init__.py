"""Problem -> Cell: built-in cells (data in `data/`), equations classified and ordered, shapes inferred, stacking."""
