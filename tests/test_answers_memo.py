"""Files with the same answers are marked once (grading/answers_memo.py): the grade each gets
must be exactly the one it gets graded alone, with its own file and student."""
from __future__ import annotations

from pathlib import Path

import pytest

from rnncli.files.answers import parse_answers
from rnncli.files.problem import load_problem
from rnncli.grading.answers_memo import AnswersMemo, answers_key, key_size
from rnncli.grading.batch import grade_files
from rnncli.grading.grade import Marking
from rnncli.render.grade import grade_document
from rnncli.render.grade_stream import result_json
from rnncli.render.json_document import dumps

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"

RIGHT = "  s[1]: 0.2227\n  h[1]: 0.1447\n  s[2]: 0.6328\n"
SLIP = "  s[1]: 0.2227\n  h[1]: 1.447\n  s[2]: 0.6328\n"


def answers(body: str, student: str = "Ada", student_id: str = "s1", blank_lines: int = 0) -> str:
    return f"student: {student}\nstudent_id: {student_id}\n" + "\n" * blank_lines + \
        "answers:\n" + body


@pytest.mark.parametrize("a, b", [
    ("1", "1.0"), ("1", "true"), ("1", "'1'"), ("0.0", "-0.0"), ("0.5", "'0.5'"),
    ("[1, 2]", "[1.0, 2]"), ("null", "''"), ("0.30000000000000004", "0.3"),
    ("[0.0, 1.5]", "[-0.0, 1.5]"), ("[1.0, 2.0]", "[1, 2.0]"), ("[1.0, 2.0]", "'[1.0, 2.0]'"),
    ("[0.5, 0.25]", "[0.5, 0.25000000000000006]"), ("{a: 0.5}", "{a: 0.50001}"),
])
def test_the_key_tells_values_and_types_apart(a, b):
    first = parse_answers(answers(f"  h[1]: {a}\n"))
    second = parse_answers(answers(f"  h[1]: {b}\n"))
    assert answers_key(first) != answers_key(second)


def test_the_key_is_the_answers_alone_not_who_wrote_them_or_where():
    one = parse_answers(answers(RIGHT, "Ada", "s1"), "class/ada.yaml")
    other = parse_answers(answers(RIGHT, "Bob", "s2"), "elsewhere/bob.yaml")
    assert answers_key(one) == answers_key(other)
    # The same answers on other lines are other answers: feedback names the line.
    moved = parse_answers(answers(RIGHT, blank_lines=2), "class/ada.yaml")
    assert answers_key(moved) != answers_key(one)


def test_a_class_of_repeated_answers_is_graded_as_each_file_alone(tmp_path, monkeypatch):
    bodies = [RIGHT, SLIP, RIGHT + "  y[1]: about 0.7\n", RIGHT, SLIP, RIGHT,
              RIGHT + "  y[1]: about 0.7\n", "  h[1]: 0.1447\n", "  h[1]: 0.1447\n"]
    paths = []
    for n, body in enumerate(bodies):
        path = tmp_path / f"student{n}.yaml"
        path.write_text(answers(body, f'Student "{n}" \\u0000', f"id{n}"))
        paths.append(str(path))
    marked = []
    original = Marking._grade
    monkeypatch.setattr(Marking, "_grade", lambda self, a: marked.append(a.file) or original(self, a))
    batch = grade_files(paths, str(PROBLEM))
    assert len(marked) == 4, marked            # four distinct sets of answers
    for path, shared in zip(paths, batch.results):
        alone = Marking(load_problem(str(PROBLEM)))
        alone._memo = None
        expected = alone.grade(parse_answers(Path(path).read_text(), path))
        assert shared.file == path and shared.student_id == expected.student_id
        assert dumps(grade_document(shared)) == dumps(grade_document(expected))
        # Shared results are written once with stand-ins for who and where (result_json):
        # the text is still exactly the document's, with this file's student.
        assert result_json(shared) == dumps(grade_document(shared))
    statuses = {i.status for r in batch.results for i in r.items}
    assert {"correct", "wrong", "missing", "invalid"} <= statuses


def test_the_memo_is_bounded_least_recently_used_out_first():
    memo = AnswersMemo(entries=2, chars=10_000)
    first, second, third = (parse_answers(answers(f"  h[1]: {v}\n")) for v in (1, 2, 3))
    for a in (first, second):
        memo.put(answers_key(a), a)
    assert memo.get(answers_key(first), first) is not None      # first is now the most recent
    memo.put(answers_key(third), third)
    assert memo.get(answers_key(second), second) is None
    assert memo.get(answers_key(first), first) is not None
    small = AnswersMemo(entries=100, chars=key_size(answers_key(first)) * 2)
    small.put(answers_key(first), first)                         # a key too big is not kept
    assert small.get(answers_key(first), first) is None


def test_the_shared_texts_are_bounded_by_their_size():
    from rnncli.render.grade_stream import SharedTexts

    shared = SharedTexts(chars=5000)
    marking = Marking(load_problem(str(PROBLEM)))
    for n in range(20):
        result = marking.grade(parse_answers(answers(f"  h[1]: 0.{n + 1}\n"), f"f{n}.yaml"))
        assert shared.body(result) == dumps(grade_document(result)).encode("utf-8")
        assert 0 < shared.size <= 5000
    # A result seen again is served from its shared text, under its own name.
    again = marking.grade(parse_answers(answers("  h[1]: 0.20\n", "Zoe", "z9"), "zoe.yaml"))
    assert shared.body(again) == dumps(grade_document(again)).encode("utf-8")
    # Names that JSON escapes and UTF-8 spells in several bytes, joined between the pieces.
    for student, file in (("'\"Zoë\" Ünal \\ σ'", 'dir/zoë "1".yaml'), ("Łukasz 李", "ł.yaml")):
        other = marking.grade(parse_answers(answers("  h[1]: 0.20\n", student, "z9"), file))
        assert shared.body(other) == dumps(grade_document(other)).encode("utf-8")
