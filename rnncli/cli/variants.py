"""`rnncli variants`."""
from __future__ import annotations

import click

from rnncli.cli.app import cli, emit


@cli.command()
@click.argument("problem", type=str)
@click.option("--count", type=click.IntRange(1, 10_000), required=True, metavar="N",
              help="How many variants to write (numbered 1..N).")
@click.option("-o", "--output", "directory", metavar="DIR", default="variants", show_default=True,
              help="Folder to write the problem files and the key into (created if missing).")
@click.option("--roster", metavar="ROSTER.csv", type=str,
              help="A CSV with a student_id column: also write each student's own problem file "
                   "and the roster with a `variant` column.")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="What is printed: a summary, or JSON.")
def variants(problem, count, directory, roster, output_format):
    """Exam variants: N problem files with the numbers drawn from `vary:`, and their answer key.

    The same problem file always gives byte-identical variants. A draw is made
    again when it is degenerate (a value not finite, a gate saturated, the same
    numbers twice); the summary says how many draws were rejected and why.
    Grade with `rnncli grade --problem PROBLEM --variants N ANSWERS...`.

    \b
    Examples:
      rnncli variants problems/lstm-goodfellow-variants.yaml --count 30 -o handout
      rnncli variants problems/lstm-goodfellow-variants.yaml --count 5 -o handout \\
          --roster problems/roster-example.csv
    """
    from rnncli.files.problem import load_problem
    from rnncli.render.variant_files import handout_files, write_files
    from rnncli.variants.drawing import draw_variants

    roster_data = None
    if roster is not None:
        from rnncli.files.roster import load_roster

        roster_data = load_roster(roster)
    variant_set = draw_variants(load_problem(problem), count)
    files = handout_files(variant_set, roster_data)
    write_files(directory, files)
    rejected = sum(n for _, n in variant_set.rejected)
    if output_format == "json":
        from rnncli.render.json_document import dumps

        emit(dumps({"schema": "rnncli/variants@1", "problem": problem, "seed": variant_set.seed,
                    "count": count, "directory": directory, "files": sorted(files),
                    "rejected": [{"reason": r, "draws": n} for r, n in variant_set.rejected]}))
        return
    lines = [f"wrote {count} variant{'s' if count != 1 else ''} of {problem} (seed "
             f"{variant_set.seed}) and key.json, key.csv to {directory}/"]
    if roster_data is not None:
        lines.append(f"wrote {len(roster_data.ids)} students' problem files and roster.csv "
                     "(with a variant column)")
    if rejected:
        lines.append(f"{rejected} degenerate draw{'s' if rejected != 1 else ''} drawn again: "
                     + "; ".join(f"{n} × {r}" for r, n in variant_set.rejected))
    else:
        lines.append("no draw was degenerate")
    emit("\n".join(lines))
