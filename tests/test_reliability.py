"""Issue "a grader that never falls over", item by item: each finding of the hostile-input
campaign as a plain example (the corpus in tests/hostile covers them in bulk)."""
from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from grade_oracle import answers_yaml, seed002, seed002_answers
from rnncli.cli import cli
from rnncli.errors import InputFileError, ProblemError, RnncliError, one_line
from rnncli.files.answers import parse_answers
from rnncli.files.problem import load_problem, parse_problem
from rnncli.files.text_source import decode
from rnncli.files.yaml_source import load_yaml, parse_yaml
from rnncli.grading.checking import check_problem
from rnncli.grading.batch import grade_files
from rnncli.grading.grade import Marking
from rnncli.render.gradebook import csv_text, question_columns, write_atomically
from rnncli.render.grade import render_markdown
from rnncli.solve.references import parse_reference
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"


def run(*args, cwd=None):
    runner = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"})
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        return runner.invoke(cli, [str(a) for a in args], prog_name="rnncli")
    finally:
        os.chdir(before)


def error_of(function, *args) -> RnncliError:
    with pytest.raises(RnncliError) as info:
        function(*args)
    return info.value


# ---- 1. step indices are bounded ---------------------------------------------------------------

def test_a_4301_digit_step_is_an_error_not_a_traceback():
    error = error_of(parse_reference, "h[" + "9" * 4301 + "]")
    assert "4301 digits" in error.message and len(error.message) < 120
    assert parse_reference("h[999999999]").step == 999_999_999      # 9 digits still read


def test_a_4301_digit_step_in_ask_names_the_question_line():
    text = PROBLEM.read_text() + "  - id: z9\n    ask: [\"h[" + "9" * 4301 + "]\"]\n"
    problem = parse_problem(text, "p.yaml")
    error = error_of(check_problem, problem)
    assert error.line == text.count("\n") and "4301 digits" in error.message


# ---- 2. trace sizes are bounded after shape inference ------------------------------------------------

@pytest.mark.parametrize("text, line, message", [
    ("equations:\n  h: tanh(h[t-1] + 1)\nsizes: {h: 1000000}\nsteps: 300\n", 3,
     "`h` would have 1,000,000 entries; a trace allows at most 100,000 in one quantity"),
    ("equations:\n  h: tanh(h[t-1] + 1)\nsizes: {h: 100000}\nsteps: 300\n", 4,
     "300 steps × 100,000 values = 30,000,000 values; at most 10,000,000"),
    ("equations:\n  a: \"[h[t-1], h[t-1], h[t-1], h[t-1], h[t-1], h[t-1], h[t-1], h[t-1], h[t-1], "
     "h[t-1]]\"\n  b: \"[a, a, a, a, a, a, a, a, a, a]\"\n  c: \"[b, b, b, b, b, b, b, b, b, b]\"\n"
     "  d: \"[c, c, c, c, c, c, c, c, c, c]\"\n  h: tanh(h[t-1] + 1)\nsizes: {h: 100}\nsteps: 3\n",
     5, "`d` would have 1,000,000 entries"),
    ("equations:\n  h: tanh(h[t-1] + 1)\n  g: tanh(x)\ninputs:\n  x: ["
     + ", ".join(["[1, 2, 3]"] * 200) + "]\nsizes: {h: 99999}\n", 4, "200 steps × 100,005 values"),
])
def test_a_trace_too_big_is_refused_before_a_step_naming_the_line(text, line, message):
    error = error_of(run_trace, parse_problem(text, "p.yaml"))
    assert error.line == line and message in error.message, error


def test_a_trace_at_the_limits_is_accepted():
    problem = parse_problem("equations:\n  h: tanh(h[t-1] + 1)\nsizes: {h: 100000}\nsteps: 100\n")
    trace = run_trace(problem)
    assert len(trace.steps) == 100 and trace.steps[-1].values["h"].shape == (100_000,)
    error = error_of(run_trace, parse_problem("equations:\n  h: tanh(h[t-1] + 1)\n"
                                               "sizes: {h: 100000}\nsteps: 101\n"))
    assert "10,100,000 values; at most 10,000,000" in error.message


def test_steps_past_the_limit_are_refused_at_load():
    error = error_of(parse_problem, "equations:\n  h: tanh(h[t-1])\nsteps: 10001\n", "p.yaml")
    assert error.line == 3 and "at most 10000" in error.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"cell: lstm\n" + b"#" * (512 * 1024))
    opened = []
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(a) or 1 / 0)
    error = error_of(load_yaml, str(big))
    assert str(error) == f"{big}: file is larger than 512 KiB" and not opened


# ---- 3. answers files are bounded ------------------------------------------------------------------

def test_junk_answers_past_the_limit_are_refused_at_the_first_one_over():
    marking = Marking(load_problem(str(PROBLEM)))
    junk = "answers:\n" + "".join(f"  j{i}: 1\n" for i in range(1001))
    error = error_of(marking.grade, parse_answers(junk, "a.yaml"))
    assert error.line == 1002 and "1,001 answers" in error.message and "at most 1,000" in error.message
    fine = parse_answers("answers:\n" + "".join(f"  j{i}: 1\n" for i in range(1000)), "a.yaml")
    assert marking.grade(fine).score == 0


# ---- 4. paths are rnncli's to check ----------------------------------------------------------------------

def test_a_permission_error_is_one_line_and_the_batch_goes_on(tmp_path, monkeypatch):
    (tmp_path / "locked.yaml").write_text("answers: {}\n")
    (tmp_path / "ada.yaml").write_text(answers_yaml(seed002_answers(seed002())))
    real_open = os.open

    def deny(path, *args, **kwargs):
        if str(path).endswith("locked.yaml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    result = run("grade", "--problem", PROBLEM, "locked.yaml", "ada.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["Error: locked.yaml: permission denied"]
    assert "Score 9 / 9" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["grade", "--precision", "99", "a.yaml"], "Error: rnncli grade: Invalid value for '--precision'"),
    (["grade"], "Error: rnncli grade: Missing argument 'ANSWERS...'"),
    # click 8.2.0 writes `No such option: --bogus`, later releases `No such option '--bogus'`.
    (["trace", "--bogus", "p.yaml"], "Error: rnncli trace: No such option"),
    (["nope"], "Error: rnncli: No such command 'nope'"),
    (["unroll", "p.yaml", "--to", "x"], "Error: rnncli unroll: Invalid value for '--to'"),
])
def test_click_option_errors_are_one_error_line_with_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr
    assert "Usage:" not in result.stderr and all(a in result.stderr for a in args if "-" in a[:2])


def test_help_still_works():
    result = run("grade", "--help")
    assert result.exit_code == 0 and "--debug" in result.stdout


# ---- 5. every message one line, with its line ----------------------------------------------------------

def test_a_yaml_control_character_has_a_line():
    error = error_of(parse_yaml, "a: ééé\nb: 2\nc: x\x1by\n", "f.yaml")
    assert error.line == 3 and "U+001B" in error.message


def test_python_syntax_warnings_never_reach_stderr(tmp_path):
    (tmp_path / "p.yaml").write_text("equations:\n  h: 1if x else x\ninputs: {x: [1]}\n")
    result = run("trace", "p.yaml", cwd=tmp_path)
    assert result.stderr == ("Error: p.yaml:2: equation `h`: cannot parse `1if x else x`: "
                             "invalid decimal literal\n")


def test_file_names_are_escaped_in_messages(tmp_path):
    name = "a\x1b[2J\u202eb.yaml"
    (tmp_path / name).write_text("cell: [\n")
    result = run("check", name, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: a\\x1b[2J\\u202eb.yaml:")
    assert one_line("x\ny\tz\x07") == "x\\ny\\tz\\x07"


# ---- 6. a student's text never drives a terminal or a gradebook ----------------------------------------

HOSTILE_STUDENT = answers_yaml({"h[1]": 0.261, "h[1]\u202e": 1},
                               student='"\\e]0;owned\\a\\e[2J<script>x</script>"',
                               student_id='"s1\u202e23"')


def test_student_text_is_escaped_in_the_terminal_the_csv_and_markdown(tmp_path):
    (tmp_path / "evil.yaml").write_text(HOSTILE_STUDENT)
    text = run("grade", "--problem", PROBLEM, "evil.yaml", "--csv", "g.csv", cwd=tmp_path)
    markdown = run("grade", "--problem", PROBLEM, "evil.yaml", "--format", "markdown", cwd=tmp_path)
    gradebook = (tmp_path / "g.csv").read_text(encoding="utf-8")
    for output in (text.stdout, markdown.stdout, gradebook):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "\\x1b]0;owned\\x07\\x1b[2J" in output.replace("\\\\", "\\")
    assert "s1\\u202e23" in gradebook
    assert "<script>" not in markdown.stdout and "&lt;script&gt;" in markdown.stdout


def test_question_ids_must_be_visible_and_columns_distinct_and_inert():
    base = PROBLEM.read_text().split("questions:")[0]
    error = error_of(parse_problem, base + "questions:\n  - id: \"a\\e[2J\"\n    ask: [h]\n", "p.yaml")
    assert "visible characters" in error.message and error.line is not None
    columns = question_columns([("total", 1), ("question total", 1), ("=1+1", 1), ("a", 1)])
    assert columns == ["question total", "question total (2)", "'=1+1", "a"]


# ---- 7. exports keep their place and permissions ----------------------------------------------------------

def test_exports_keep_the_old_mode_and_follow_symlinks(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    target.chmod(0o644)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_atomically(str(link), "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o600)
    write_atomically(str(target), "newer\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rnncli-")]


def test_a_new_export_gets_the_umask_default(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomically(str(tmp_path / "new.csv"), "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


# ---- 8. self-check reads only what it should -------------------------------------------------------------

@pytest.mark.parametrize("problem, message", [
    ("/etc/passwd", "not an absolute one"),
    ("~/.ssh/id_rsa", "not an absolute one"),
    ("../problem.yaml", "leaves the answers file's directory"),
    ("sub/../../problem.yaml", "leaves the answers file's directory"),
    ('"problem\\0.yaml"', "not a file name (it holds a NUL character)"),   # found by hypothesis
])
def test_self_check_refuses_paths_outside_the_answers_directory(tmp_path, problem, message):
    (tmp_path / "problem.yaml").write_text(PROBLEM.read_text())
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.yaml").write_text(f"problem: {problem}\nanswers:\n  h[1]: 0.261\n")
    (result,) = grade_files([str(tmp_path / "class" / "a.yaml")]).results
    assert message in result.error and ":1:" in result.error
    assert "unknown key" not in result.error     # nothing of the file is read or quoted


def test_self_check_reads_a_problem_beside_or_below_the_answers(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "problem.yaml").write_text(PROBLEM.read_text())
    (tmp_path / "a.yaml").write_text(answers_yaml(seed002_answers(seed002()), problem="sub/problem.yaml"))
    (result,) = grade_files([str(tmp_path / "a.yaml")]).results
    assert result.error is None and result.score == 9


# ---- 9. encodings are named ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, encoding", [
    (codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le"), "UTF-16"),
    (codecs.BOM_UTF16_BE + "a: 1\n".encode("utf-16-be"), "UTF-16"),
    ("a: 1\n".encode("utf-16-le"), "UTF-16"),
    (codecs.BOM_UTF32_LE + "a: 1\n".encode("utf-32-le"), "UTF-32"),
    ("a: 1\n".encode("utf-32-be"), "UTF-32"),
])
def test_utf16_and_utf32_are_named_not_called_binary(raw, encoding):
    with pytest.raises(InputFileError) as info:
        decode(raw, "f.yaml")
    assert info.value.message.startswith(f"the file is {encoding} text; rnncli reads UTF-8")


def test_binary_data_is_still_binary():
    with pytest.raises(InputFileError, match="binary data"):
        decode(b"a: 1\nb: \x00\x01\x02\x03\n", "f.yaml")


def test_markdown_tables_escape_html_in_every_cell(tmp_path):
    (tmp_path / "a.yaml").write_text(answers_yaml({"<b>h</b>": 1}, student='"<img src=x>"'))
    report = grade_files([str(tmp_path / "a.yaml")], str(PROBLEM))
    markdown = render_markdown(report)
    assert "<b>" not in markdown and "<img" not in markdown and "&lt;img src=x&gt;" in markdown
    rows = list(csv.reader(io.StringIO(csv_text(report))))
    assert rows[1][1] == "<img src=x>"      # a CSV cell is text; only formulas are defused
