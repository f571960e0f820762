"""Cell -> solutions: the forward trace, its worked forms, parameter counts, unrolled formulas, graphs."""
