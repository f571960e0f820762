"""GradeReport -> JSON documents (docs/file-formats.md), Markdown, and terminal text (rich, imported only there).

One table per answers file (reference, expected, given, status, points,
feedback) and a score line; for a batch, a class summary at the end.
"""
from __future__ import annotations

from rnncli.errors import one_line
from rnncli.grading.summary import class_summary
from rnncli.render.json_document import plain

STATUS_STYLE = {"correct": "green", "follow-through": "cyan", "wrong": "red", "missing": "yellow",
                "invalid": "magenta"}
HEADER = ("question", "reference", "expected", "given", "status", "points", "feedback")


def points_text(value) -> str:
    """Returns points as a gradebook shows them: 9, 7.5, 3.333333333."""
    value = float(value)
    return str(int(value)) if value == int(value) else repr(round(value, 9))


def value_shown(value, precision: int) -> str:
    """Returns an expected or given value for a table: 0.2610, [0.1, 0.2], text as written, or -."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    from rnncli.render.trace import value_text

    return value_text(value, precision, minus="-")


# ---- JSON -------------------------------------------------------------------------------------

def _points(value):
    value = float(value)
    return int(value) if value == int(value) else value


def grade_document(result, convert=plain) -> dict:
    """Returns the `rnncli/grade@1` document of one answers file (values through `convert`)."""
    earned = result.question_points()
    return {
        "schema": "rnncli/grade@1",
        "student": result.student, "student_id": result.student_id,
        "file": result.file, "problem": result.problem, "status": result.status,
        "error": result.error,
        "score": _points(result.score), "max_score": _points(result.max_score),
        "questions": [{"id": qid, "points": _points(earned.get(qid, 0.0)), "max_points": _points(mx)}
                      for qid, mx in result.questions],
        "items": [_item_document(item, convert) for item in result.items],
        "not_graded": list(result.not_graded),
        "sheet_diagnosis": _diagnosis_document(result.sheet_diagnosis),
    } | ({"variant": result.variant} if result.variant is not None else {})


def _diagnosis_document(diagnosis):
    if diagnosis is None:
        return None
    return {"code": diagnosis.code, "label": diagnosis.label, "message": diagnosis.message}


def _item_document(item, convert=plain) -> dict:
    # A question with `set:` names its references `b: c[2]` and says what it changed.
    changed = {"set": dict(item.changes)} if item.changes else {}
    return {
        "question": item.question, "ref": item.label,
        "expected": convert(item.expected), "given": convert(item.given),
        "status": item.status, "points": _points(item.points), "max_points": _points(item.max_points),
        "feedback": item.feedback, "tolerance": item.tolerance,
        "difference": convert(item.difference),
        "diagnosis": _diagnosis_document(item.diagnosis),
        "follow_through_from": list(item.follow_through_from),
        "line": item.line,
    } | changed


def grades_document(report) -> dict:
    """Returns the `rnncli/grades@1` document of a batch, with its class summary."""
    document = grades_frame(report.problem, report.questions, class_summary(report))
    document["results"] = [grade_document(r) for r in report.results]
    return document | ({"variants": report.variants, "suspected": [
        {"student_id": s.student_id, "file": s.file, "variant": s.variant,
         "matches_variant": s.matches_variant, "matched": s.matched, "answered": s.answered}
        for s in report.suspected]} if report.variants else {})


def grades_frame(problem, questions, summary) -> dict:
    """Returns the `rnncli/grades@1` document up to its results (which come last)."""
    return {
        "schema": "rnncli/grades@1",
        "problem": problem,
        "questions": [{"id": qid, "max_points": _points(mx)} for qid, mx in questions],
        "summary": {
            "files": summary.files, "unreadable": summary.unreadable,
            "mean": summary.mean, "median": summary.median, "max_score": _points(summary.max_score),
            "questions": [{"id": qid, "mean": mean, "max_points": _points(mx)}
                          for qid, mean, mx in summary.questions],
            "statuses": dict(summary.statuses),
            "common_diagnosis": None if summary.common_diagnosis is None else {
                "label": summary.common_diagnosis[0], "items": summary.common_diagnosis[1]},
        },
    }


# ---- shared text ------------------------------------------------------------------------------

def heading(result) -> str:
    who = result.student or result.student_id
    if result.student and result.student_id:
        who = f"{result.student} ({result.student_id})"
    variant = f" (variant {result.variant})" if result.variant is not None else ""
    return one_line(f"{who}: {result.file}{variant}")


def rows(result, precision: int) -> list:
    # Every cell escaped (control, format and bidi characters made visible): answers,
    # references and feedback quote what a student wrote.
    return [tuple(one_line(cell) for cell in (
                item.question or "-", item.label, value_shown(item.expected, precision),
                value_shown(item.given, precision), item.status,
                f"{points_text(item.points)}/{points_text(item.max_points)}", item.feedback))
            for item in result.items]


def score_line(result) -> str:
    if result.error:
        return (f"Error: {result.error} (scored 0 / {points_text(result.max_score)})")
    percent = 100 * result.score / result.max_score if result.max_score else 100.0
    from rnncli.grading.results import STATUSES

    counts = [sum(1 for i in result.items if i.question is not None and i.status == status)
              for status in STATUSES]
    parts = ", ".join(f"{n} {status}" for status, n in zip(STATUSES, counts) if n)
    return (f"Score {points_text(result.score)} / {points_text(result.max_score)} "
            f"({percent:.0f}%): {parts}")


def sheet_line(result) -> str | None:
    """Returns the diagnosis of the whole sheet as a line, or None."""
    if result.sheet_diagnosis is None:
        return None
    message = result.sheet_diagnosis.message
    return "Note for the whole sheet: " + message[0].upper() + message[1:] + "."


def not_graded_line(result) -> str | None:
    if not result.not_graded:
        return None
    return one_line("Not asked, so not graded: " + ", ".join(result.not_graded))


def summary_lines(report, summary=None) -> list:
    """Returns the class summary as lines of text (`summary`: the report's, when already made)."""
    s = summary or class_summary(report)
    unreadable = f" ({s.unreadable} could not be read, scored 0)" if s.unreadable else ""
    lines = [f"{s.files} answers files{unreadable}; mean {points_text(round(s.mean, 2))}, median "
             f"{points_text(round(s.median, 2))} of {points_text(s.max_score)} points"]
    if s.questions:
        lines.append("Average per question: " + ", ".join(
            f"{qid} {points_text(round(mean, 2))}/{points_text(mx)}" for qid, mean, mx in s.questions))
    if s.statuses:
        lines.append("Answers: " + ", ".join(f"{n} {status}" for status, n in s.statuses))
    if s.common_diagnosis:
        label, n = s.common_diagnosis
        lines.append(f"Most common slip: {label} ({n} answer{'s' if n != 1 else ''})")
    for s in report.suspected:
        lines.append(f"For the instructor: {s.student_id} ({s.file}, variant {s.variant}) gave "
                     f"{s.matched} of {s.answered} answers that are right for variant "
                     f"{s.matches_variant}, not their own: copied answers?")
    return lines


# ---- Markdown ---------------------------------------------------------------------------------

def _md(text: str) -> str:
    """Returns text as inert Markdown: one line, table bars and HTML escaped (a student's
    `<img onerror=...>` stays text), control and bidi characters made visible."""
    text = one_line(str(text).replace("\n", " "))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|")


def render_markdown(report, precision: int = 4) -> str:
    """Returns the report as Markdown: a section and a table per answers file."""
    out = []
    for result in report.results:
        out.extend(markdown_section(result, precision))
    if len(report.results) > 1:
        out.extend(markdown_summary(summary_lines(report)))
    return "\n".join(out)


def markdown_section(result, precision: int = 4) -> list:
    """Returns the lines of one answers file's section of the Markdown report."""
    out = [f"## {_md(heading(result))}\n"]
    if not result.error:
        out.append("| " + " | ".join(HEADER) + " |")
        out.append("|" + "---|" * len(HEADER))
        for row in rows(result, precision):
            out.append("| " + " | ".join(_md(cell) for cell in row) + " |")
        out.append("")
    sheet = sheet_line(result)
    if sheet:
        out.append(_md(sheet) + "\n")
    out.append(f"**{_md(score_line(result))}**\n")
    extra = not_graded_line(result)
    if extra:
        out.append(_md(extra) + "\n")
    return out


def markdown_summary(lines: list) -> list:
    """Returns the lines of the Markdown report's class summary."""
    return ["## Class summary\n", *(f"- {_md(line)}" for line in lines), ""]


# ---- terminal text ----------------------------------------------------------------------------

def table_lines(table_rows: list, width: int) -> list:
    """Returns [(text, status or None)]: the rows laid out in columns, feedback wrapped to `width`.

    The status of a row starts at column `status_column(table_rows)`.

    Laid out here rather than by rich's Table, which measures every cell and
    costs milliseconds a table: too slow for a class of a thousand.
    """
    import textwrap

    fixed = [max(len(HEADER[i]), *(len(row[i]) for row in table_rows)) for i in range(6)]
    feedback_width = max(30, width - sum(fixed) - 2 * 6)
    right = {2, 3, 5}

    def line(cells) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, fixed))]
        return "  ".join(parts)

    out = [(line(HEADER[:6]) + "  " + HEADER[6], None)]
    blank = line([""] * 6)
    for row in table_rows:
        wrapped = textwrap.wrap(row[6], feedback_width) or [""]
        out.append((line(row[:6]) + "  " + wrapped[0], row[4]))
        out.extend((blank + "  " + more, None) for more in wrapped[1:])
    return out


def status_column(table_rows: list) -> int:
    """Returns where the status column starts in the lines of `table_lines`."""
    return sum(max(len(HEADER[i]), *(len(row[i]) for row in table_rows)) + 2 for i in range(4))


def render_text(report, precision: int, console) -> None:
    """Prints the report on a rich console: a table per answers file, then the class summary."""
    from rich.text import Text

    for index, result in enumerate(report.results):
        text = Text()
        if index:
            text.append("\n")
        text.append(heading(result), style="bold")
        text.append("\n")
        if not result.error:
            table_rows = rows(result, precision)
            start = status_column(table_rows)
            for number, (line, status) in enumerate(table_lines(table_rows, console.width)):
                if number == 0:
                    text.append(line.rstrip() + "\n", style="bold")
                elif status is None:
                    text.append(line.rstrip() + "\n")
                else:
                    text.append(line[:start])
                    text.append(status, style=STATUS_STYLE.get(status, ""))
                    text.append(line[start + len(status):].rstrip() + "\n")
        sheet = sheet_line(result)
        if sheet:
            text.append(sheet + "\n", style="bold")
        text.append(score_line(result), style="bold red" if result.error else "bold")
        extra = not_graded_line(result)
        if extra:
            text.append("\n")
            text.append(extra, style="dim")
        console.print(text, soft_wrap=True)
    if len(report.results) > 1:
        console.print()
        console.print(Text("Class summary", style="bold underline"))
        for line in summary_lines(report):
            console.print(Text("  " + one_line(line)), soft_wrap=True)   # text, never markup
