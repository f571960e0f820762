"""The equation language: expression tree, parser, functions, shape algebra, one printer per format."""
