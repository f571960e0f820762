"""Property tests (hypothesis): whatever a student submits, grading answers, within bounds, the same twice."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncli.files.answers import parse_answers
from rnncli.errors import RnncliError
from rnncli.grading.batch import grade_files
from rnncli.grading.grade import Marking
from rnncli.grading.results import STATUSES
from rnncli.files.problem import load_problem

ROOT = Path(__file__).resolve().parents[1]
SEED002 = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
MARKING = Marking(load_problem(str(SEED002)))
REFS = [f"{n}[{t}]" for n in "shyfgq" for t in (0, 1, 2, 3, 4)] + ["h", "y", "params.total", "hh[1]"]

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                    st.floats(min_value=-2, max_value=2))
printable = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
values = st.one_of(numbers, st.text(printable, max_size=8), st.booleans(), st.none(),
                   st.lists(numbers, max_size=4))


def yaml_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)     # valid YAML double-quoted text
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "-.inf" if value < 0 else ".inf"
    return repr(value)


def check_result(result) -> None:
    assert 0 <= result.score <= result.max_score == 9
    for item in result.items:
        assert item.status in STATUSES
        assert 0 <= item.points <= item.max_points


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(REFS), values, max_size=12))
def test_any_answers_grade_within_bounds_and_the_same_twice(answers):
    text = "answers:\n" + "".join(f"  {ref}: {yaml_value(v)}\n" for ref, v in answers.items())
    parsed = parse_answers(text, "a.yaml")
    first = MARKING.grade(parsed)
    check_result(first)
    assert MARKING.grade(parsed) == first


SET_PROBLEM = ROOT / "problems" / "lstm-forget-gate-questions.yaml"
SET_MARKING = Marking(load_problem(str(SET_PROBLEM)))
SET_REFS = [f"{n}[{t}]" for n in "chfi" for t in (0, 1, 2, 3)] + ["c", "h", "given", "shut", "open"]
nested = st.dictionaries(st.sampled_from(SET_REFS), values, min_size=1, max_size=4)


def yaml_entry(ref: str, value) -> str:
    if isinstance(value, dict):
        return f"  {ref}:\n" + "".join(f"    {k}: {yaml_value(v)}\n" for k, v in value.items())
    return f"  {ref}: {yaml_value(value)}\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(SET_REFS), st.one_of(values, nested), max_size=12))
def test_any_answers_with_nested_mappings_grade_within_bounds_and_the_same_twice(answers):
    text = "answers:\n" + "".join(yaml_entry(ref, v) for ref, v in answers.items())
    parsed = parse_answers(text, "a.yaml")
    first = SET_MARKING.grade(parsed)
    assert 0 <= first.score <= first.max_score == 7
    for item in first.items:
        assert item.status in STATUSES and 0 <= item.points <= item.max_points
    assert SET_MARKING.grade(parsed) == first


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_graded_or_reported_never_a_crash(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("answers") / "a.yaml"
    path.write_bytes(data)
    report = grade_files([str(path)], str(SEED002))
    result = report.results[0]
    assert report.exit_code in (0, 1, 2)
    if result.error:
        assert result.score == 0 and report.exit_code == 2
    else:
        check_result(result)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_graded_or_refused_with_an_rnncli_error(text):
    try:
        parsed = parse_answers(text, "a.yaml")
    except RnncliError:
        return
    check_result(MARKING.grade(parsed))
