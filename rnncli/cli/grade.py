"""`rnncli grade`."""
from __future__ import annotations

import sys

import click

from rnncli.cli.app import cli, emit, format_option, precision_option


@cli.command()
@click.argument("answers", nargs=-1, required=True, type=str)
@click.option("--problem", "problem_path", metavar="PROBLEM", type=str,
              help="Grade against this (the instructor's) problem; every answers file's "
                   "`problem:` key is ignored.")
@format_option(("text", "json", "markdown", "latex"))
@precision_option
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write a gradebook: one row per answers file (written atomically).")
@click.option("--gradescope", "gradescope_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write a Gradescope autograder results.json (one answers file).")
@click.option("--variants", "variant_count", type=click.IntRange(1, 10_000), metavar="N",
              help="Grade each file against its student's exam variant of --problem (rnncli "
                   "variants PROBLEM --count N made them).")
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Grade with N processes (default: one per CPU for 64 files or more, "
                   "else 1); the report is the same, in the order the files were given.")
@click.option("--debug", is_flag=True,
              help="If grading a file fails unexpectedly (a bug), print the traceback on "
                   "stderr; the file is scored 0 either way.")
def grade(answers, problem_path, output_format, precision, csv_path, gradescope_path, variant_count,
          jobs, debug):
    """Grade answers files: tolerances, follow-through credit, diagnoses of common slips.

    Without --problem, each answers file is graded against its own `problem:`
    (self-check). Exit code: 0 full marks, 1 points lost, 2 an input could not
    be read (a broken answers file is reported, scored 0, and the batch goes on).
    On Gradescope the files are /autograder/source/problem.yaml,
    /autograder/submission/answers.yaml and /autograder/results/results.json.

    \b
    Examples:
      rnncli grade problems/answers/lstm-goodfellow-ada.yaml
      rnncli grade --problem problems/rnn-params.yaml problems/answers/rnn-params-*.yaml \\
          --csv grades.csv
      rnncli grade --problem problems/rnn-params.yaml problems/answers/rnn-params-bo.yaml \\
          --gradescope results.json
      rnncli grade --problem problems/lstm-goodfellow-variants.yaml --variants 30 \\
          problems/answers/variant-s1001.yaml
    """
    from rnncli.errors import UsageError

    if gradescope_path and len(answers) != 1:
        raise UsageError("--gradescope writes one submission's results.json; give exactly one "
                         "answers file")
    if list(answers).count("-") + (problem_path == "-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if (len(answers) > 1 and variant_count is None and not gradescope_path
            and output_format in ("json", "markdown")):
        _grade_streamed(answers, problem_path, output_format, precision, csv_path, jobs, debug)
    if variant_count is None:
        from rnncli.grading.results import GradeReport
        from rnncli.grading.parallel import iter_graded, job_count

        graded = iter_graded(answers, problem_path, job_count(jobs, len(answers)), debug)
        report = GradeReport(problem_path, tuple(result for result, _ in graded))
    else:
        from rnncli.grading.batch import grade_files

        report = grade_files(answers, problem_path, variants=variant_count,
                             debug=sys.stderr if debug else None)
    for result in report.results:
        if result.error:
            click.echo(f"Error: {result.error}", err=True)
    if csv_path:
        from rnncli.render.gradebook import csv_text, write_atomically

        write_atomically(csv_path, csv_text(report))
    if gradescope_path:
        from rnncli.render.gradebook import gradescope_results, write_atomically
        from rnncli.render.json_document import dumps

        write_atomically(gradescope_path,
                         dumps(gradescope_results(report.results[0], precision)) + "\n")
    if output_format == "json":
        from rnncli.render.grade import grade_document, grades_document
        from rnncli.render.json_document import dumps

        single = len(answers) == 1
        emit(dumps(grade_document(report.results[0]) if single else grades_document(report)))
    elif output_format == "latex":
        from rnncli.render.grade_latex import render_latex

        emit(render_latex(report, precision))
    elif output_format == "markdown":
        from rnncli.render.grade import render_markdown

        emit(render_markdown(report, precision))
    else:
        from rnncli.render.grade import render_text
        from rnncli.render.text import make_console

        render_text(report, precision, make_console())
    sys.exit(report.exit_code)


def _grade_streamed(answers, problem_path, output_format, precision, csv_path, jobs,
                    debug) -> None:
    """Grades a batch writing each result as it comes (render/grade_stream.py), then exits;
    with several processes, each result is written out (its Digest) where it is graded."""
    from functools import partial

    from rnncli.grading.parallel import iter_graded, job_count
    from rnncli.render.grade_stream import BatchReport, digest

    batch = BatchReport(problem_path, output_format, precision)
    finish = partial(digest, output_format, precision)
    for result, digested in iter_graded(answers, problem_path, job_count(jobs, len(answers)),
                                        debug, finish):
        if digested is None:
            batch.add(result)
        else:
            batch.add_digest(digested)
    for error in batch.errors:
        click.echo(f"Error: {error}", err=True)
    if csv_path:
        from rnncli.render.gradebook import write_atomically

        write_atomically(csv_path, batch.csv_text())
    batch.write(lambda text: click.echo(text, nl=False))
    sys.exit(batch.exit_code)
