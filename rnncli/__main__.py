"""`python -m rnncli` runs the command line."""
from rnncli.cli import main

main()
