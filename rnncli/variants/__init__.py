"""Problem with `vary:` -> exam variants: each student their own numbers, every answer computed by rnncli."""
