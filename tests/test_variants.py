"""Exam variants (`vary:`, `rnncli variants`, `grade --variants`): determinism, grids, degenerate draws,
the key against an independent oracle, per-student grading and copied answers."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from reference_cells import relu, run_reference, sigmoid
from rnncli.cli import cli
from rnncli.errors import RnncliError
from rnncli.files.problem import load_problem, parse_problem
from rnncli.grading.batch import grade_files
from rnncli.render.gradebook import csv_text, gradescope_results
from rnncli.variants.drawing import draw_variants, student_variant

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-variants.yaml"
ROSTER = ROOT / "problems" / "roster-example.csv"


def run(*args, ok=(0,)):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in ok, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def written(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# ---- determinism and the files ---------------------------------------------------------------

def test_the_same_inputs_give_byte_identical_files(tmp_path):
    run("variants", PROBLEM, "--count", 12, "-o", tmp_path / "a", "--roster", ROSTER)
    run("variants", PROBLEM, "--count", 12, "-o", tmp_path / "b", "--roster", ROSTER)
    a, b = written(tmp_path / "a"), written(tmp_path / "b")
    assert a == b
    assert len([n for n in a if n.startswith("lstm-goodfellow-variants-v")]) == 12
    assert {"key.json", "key.csv", "roster.csv", "s1001.yaml", "s1005.yaml"} <= set(a)


def test_another_seed_gives_other_numbers(tmp_path):
    text = PROBLEM.read_text(encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("seed: 2026", "seed: 7"), encoding="utf-8")
    first = draw_variants(load_problem(str(PROBLEM)), 5)
    second = draw_variants(load_problem(str(other)), 5)
    assert [v.drawn for v in first.variants] != [v.drawn for v in second.variants]


def test_a_variant_does_not_change_when_the_class_grows():
    small = draw_variants(load_problem(str(PROBLEM)), 5)
    large = draw_variants(load_problem(str(PROBLEM)), 40)
    for a, b in zip(small.variants, large.variants):
        assert {k: np.asarray(v).tolist() for k, v in a.drawn.items()} == \
               {k: np.asarray(v).tolist() for k, v in b.drawn.items()}


def test_every_drawn_value_is_on_its_grid_and_the_file_reads_back_exactly(tmp_path):
    run("variants", PROBLEM, "--count", 30, "-o", tmp_path)
    original = yaml.safe_load(PROBLEM.read_text(encoding="utf-8"))
    grids = {"U_g": np.round(np.arange(-0.5, 0.5 + 1e-9, 0.05), 2),
             "W_g": np.round(np.arange(-0.5, 0.5 + 1e-9, 0.05), 2),
             "U_f": np.round(np.arange(0, 0.5 + 1e-9, 0.05), 2),
             "W_q": np.array([0.1, 0.2, 0.3])}
    x_grid = np.round(np.arange(0, 1 + 1e-9, 0.1), 1)
    seen_x = set()
    for path in sorted(tmp_path.glob("lstm-goodfellow-variants-v*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "vary" not in data
        for name, grid in grids.items():
            assert np.isclose(grid, data["params"][name], atol=0).any(), (path.name, name)
            # written as short as the grid: at most two decimals
            assert len(repr(float(data["params"][name])).split(".")[-1]) <= 2
        for value in data["inputs"]["x"]:
            assert np.isclose(x_grid, value, atol=0).any()
            seen_x.add(value)
        # everything not varied is the original's
        for name in ("b_g", "W_f", "b_f", "U_q", "b_q", "U", "W", "b", "V", "c"):
            assert data["params"][name] == original["params"][name]
        assert data["questions"] == original["questions"]
        assert data["equations"] == original["equations"]
        assert path.read_text(encoding="utf-8").startswith("# Variant ")
    assert len(seen_x) > 3


def test_the_key_equals_an_independent_oracle_on_every_variant_file(tmp_path):
    run("variants", PROBLEM, "--count", 10, "-o", tmp_path)
    key = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    assert key["schema"] == "rnncli/variants-key@1" and key["count"] == 10 and key["seed"] == 2026
    for variant in key["variants"]:
        data = yaml.safe_load((tmp_path / variant["file"]).read_text(encoding="utf-8"))
        params = {k: v for k, v in data["params"].items() if k not in ("V", "c")}
        steps = run_reference("lstm", "goodfellow", params, data["inputs"]["x"], data["initial"],
                              activation=relu)
        for step in steps:
            step["y"] = sigmoid(step["h"] * data["params"]["V"] + data["params"]["c"])
        assert [i["ref"] for i in variant["items"]] == [f"{q}[{t}]" for q in "shy" for t in (1, 2, 3)]
        for item in variant["items"]:
            name, t = item["ref"][0], int(item["ref"][2])
            assert item["expected"] == pytest.approx(float(np.ravel(steps[t - 1][name])[0]), rel=1e-13, abs=1e-15)
            assert item["points"] == 1
    rows = list(csv.DictReader((tmp_path / "key.csv").open(encoding="utf-8")))
    assert len(rows) == 10 * 9
    assert float(rows[0]["expected"]) == key["variants"][0]["items"][0]["expected"]


# ---- degenerate draws ------------------------------------------------------------------------

SATURATING = """
title: forget gate that can saturate
cell: lstm
convention: goodfellow
equations: {h: relu(s) * q}
params: {U_g: 0.3, W_g: -0.3, b_g: 0.1, U_f: 0.25, W_f: 0.3, b_f: 0, U_q: 0.4, W_q: 0.3,
         b_q: 0.2, U: 0.01, W: 0.1, b: 1}
initial: {h: 0, s: 0}
inputs: {x: [0.7, 0.5, 0.7]}
questions: [{id: a, ask: [s]}]
vary:
  params: {b_f: [-20, 20, 1]}
  seed: 11
"""


def test_a_saturated_gate_is_drawn_again():
    variants = draw_variants(parse_problem(SATURATING, "sat.yaml"), 12)
    reasons = dict(variants.rejected)
    assert any(r.startswith("gate f saturated") for r in reasons), reasons
    for variant in variants.variants:
        b_f = float(variant.drawn[("params", "b_f")])
        # sigma(b_f + ...) within 1e-3 of 0 or 1 needs |b_f| >= ~6.9 for these small inputs
        assert abs(b_f) < 8, b_f
        f = sigmoid(b_f + 0.25 * np.array([0.7, 0.5, 0.7]))
        assert np.all(np.minimum(f, 1 - f) > 1e-4)


def test_identical_numbers_are_drawn_again_and_too_few_grid_points_is_an_error():
    text = SATURATING.replace("{b_f: [-20, 20, 1]}", "{b_f: {values: [0, 0.5]}}")
    problem = parse_problem(text, "two.yaml")
    two = draw_variants(problem, 2)
    assert {float(v.drawn[("params", "b_f")]) for v in two.variants} == {0.0, 0.5}
    with pytest.raises(RnncliError, match="variant 3: 200 draws were all degenerate"):
        draw_variants(problem, 3)


def test_a_value_that_overflows_is_drawn_again():
    text = SATURATING.replace("{b_f: [-20, 20, 1]}", "{V: {values: [1, 5000, 6000, 7000, 8000, 9000]}}").replace(
        "equations: {h: relu(s) * q}", "equations: {h: relu(s) * q, y: exp(V * s)}")
    text = text.replace("b: 1}", "b: 1, V: 1}").replace("ask: [s]", "ask: [y]")
    variants = draw_variants(parse_problem(text, "overflow.yaml"), 1)
    assert float(variants.variants[0].drawn[("params", "V")]) == 1
    # with five values in six overflowing, the first draws overflow and are made again
    assert variants.variants[0].attempt > 0
    assert dict(variants.rejected) == {
        "a value is not finite (overflow or an undefined operation)": variants.variants[0].attempt}


# ---- the student's variant -------------------------------------------------------------------

def test_student_variant_is_the_sha256_rule():
    for seed, sid, count in [(2026, "s1001", 30), (2026, "s1002", 30), (7, "alice", 5),
                             (0, "Émile", 300)]:
        digest = hashlib.sha256(f"{seed}:{sid}".encode("utf-8")).digest()
        independent = int.from_bytes(digest, "big") % count + 1
        assert student_variant(seed, sid, count) == independent
    # values worked out once by hand with `sha256sum` (printf '2026:s1001' | sha256sum)
    assert student_variant(2026, "s1001", 30) == int(
        hashlib.sha256(b"2026:s1001").hexdigest(), 16) % 30 + 1


def test_the_roster_gets_a_variant_column_and_each_student_their_file(tmp_path):
    out = run("variants", PROBLEM, "--count", 30, "-o", tmp_path, "--roster", ROSTER).output
    assert "5 students' problem files" in out
    rows = list(csv.DictReader((tmp_path / "roster.csv").open(encoding="utf-8")))
    assert [r["student_id"] for r in rows] == ["s1001", "s1002", "s1003", "s1004", "s1005"]
    assert rows[0]["name"] == "Ada Lovelace"
    for row in rows:
        number = int(row["variant"])
        assert number == int(hashlib.sha256(f"2026:{row['student_id']}".encode()).hexdigest(), 16) % 30 + 1
        own = (tmp_path / f"{row['student_id']}.yaml").read_text(encoding="utf-8")
        variant_file = (tmp_path / f"lstm-goodfellow-variants-v{number:02d}.yaml").read_text(encoding="utf-8")
        assert yaml.safe_load(own) == yaml.safe_load(variant_file)
        assert f"For student {row['student_id']}" in own


# ---- grading against variants ----------------------------------------------------------------

def _answers(tmp_path: Path, sid: str, values: dict) -> Path:
    path = tmp_path / f"{sid}.yaml"
    lines = [f"student_id: {sid}", "variant: 1   # ignored: the id decides", "answers:"]
    lines += [f"  {ref}: {value!r}" for ref, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_class_of_50_each_on_their_own_variant_and_three_who_copied(tmp_path):
    count = 20
    variants = draw_variants(load_problem(str(PROBLEM)), count)
    ids = [f"st{n:03d}" for n in range(50)]

    def key_of(number):
        return {str(i.ref): round(float(i.expected), 4) for i in variants.variants[number - 1].items}

    own = {sid: student_variant(2026, sid, count) for sid in ids}
    copiers = {}
    for sid in ids[:3]:   # each copies the first later student with another variant
        source = next(s for s in ids[3:] if own[s] != own[sid])
        copiers[sid] = own[source]
    paths = [_answers(tmp_path, sid, key_of(copiers.get(sid, own[sid]))) for sid in ids]
    report = grade_files([str(p) for p in paths], str(PROBLEM), variants=count)
    by_id = {r.student_id: r for r in report.results}
    for sid in ids:
        assert by_id[sid].variant == own[sid]
        if sid not in copiers:
            assert by_id[sid].score == 9, (sid, [i.feedback for i in by_id[sid].items])
    assert {s.student_id: s.matches_variant for s in report.suspected} == copiers
    assert all(s.matched >= 2 for s in report.suspected)
    # the student is never told; the instructor's summary is
    for sid in copiers:
        student_view = json.dumps(gradescope_results(by_id[sid]))
        assert "copied" not in student_view and "variant " + str(copiers[sid]) not in student_view
    out = run("grade", "--problem", PROBLEM, "--variants", count, *paths, ok=(1,)).output
    assert out.count("copied answers?") == 3
    document = json.loads(run("grade", "--problem", PROBLEM, "--variants", count, *paths,
                              "--format", "json", ok=(1,)).output)
    assert document["variants"] == count
    assert {s["student_id"] for s in document["suspected"]} == set(copiers)
    assert document["results"][5]["variant"] == own[ids[5]]
    gradebook = list(csv.DictReader(csv_text(report).splitlines()))
    assert gradebook[5]["variant"] == str(own[ids[5]])


def test_grading_without_variants_keeps_its_columns_and_keys():
    report = grade_files([str(ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml")])
    assert "variant" not in csv_text(report).splitlines()[0]
    assert report.results[0].variant is None


def test_the_shipped_variant_answers_earn_full_marks():
    report = grade_files([str(ROOT / "problems" / "answers" / "variant-s1001.yaml")], str(PROBLEM),
                         variants=30)
    assert report.results[0].variant == student_variant(2026, "s1001", 30)
    assert report.results[0].score == report.results[0].max_score == 9


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("vary, message", [
    ("{sizes: {h: [1, 3, 1]}, seed: 1}", "sizes cannot vary"),
    ("{params: {U_g: [0, 1, 0.1]}}", "needs a `seed:`"),
    ("{params: {U_g: [0, 1, 0]}, seed: 1}", "the step must be positive"),
    ("{params: {U_g: [1, 0, 0.1]}, seed: 1}", "min 1 is larger than max 0"),
    ("{params: {nope: [0, 1, 0.1]}, seed: 1}", "gives no `params.nope` to vary"),
    ("{parms: {U_g: [0, 1, 0.1]}, seed: 1}", "did you mean `params`"),
    ("{params: {U_g: {values: [1, 1]}}, seed: 1}", "lists a value twice"),
    ("{params: {U_g: [0, 1, 0.1]}, seed: true}", "must be a whole number"),
])
def test_vary_errors_name_the_line(vary, message):
    text = SATURATING.replace("vary:\n  params: {b_f: [-20, 20, 1]}\n  seed: 11\n", f"vary: {vary}\n")
    with pytest.raises(RnncliError, match=message) as info:
        parse_problem(text, "bad.yaml")
    assert info.value.line == text.splitlines().index(f"vary: {vary}") + 1


def test_cli_errors_are_one_line(tmp_path):
    plain = run("variants", ROOT / "problems" / "lstm-goodfellow-forward.yaml", "--count", 3,
                "-o", tmp_path, ok=(2,))
    assert "has no `vary:` block" in plain.output and plain.output.count("\n") == 1
    roster = tmp_path / "r.csv"
    roster.write_text("name\nAda\n", encoding="utf-8")
    result = run("variants", PROBLEM, "--count", 3, "-o", tmp_path / "o", "--roster", roster, ok=(2,))
    assert "no `student_id` column" in result.output
    roster.write_text("student_id\n../../etc/passwd\n", encoding="utf-8")
    result = run("variants", PROBLEM, "--count", 3, "-o", tmp_path / "o", "--roster", roster, ok=(2,))
    assert "r.csv:2:" in result.output and "cannot name a file" in result.output
    assert not (tmp_path / "o").exists()        # nothing written before every check passed
    roster.write_text("student_id\na1\na1\n", encoding="utf-8")
    result = run("variants", PROBLEM, "--count", 3, "-o", tmp_path / "o", "--roster", roster, ok=(2,))
    assert "r.csv:3: student_id a1 is also on line 2" in result.output
    result = run("grade", "--variants", 3, ROOT / "problems" / "answers" / "variant-s1001.yaml", ok=(2,))
    assert "give --problem" in result.output


def test_json_summary(tmp_path):
    document = json.loads(run("variants", PROBLEM, "--count", 4, "-o", tmp_path, "--format",
                              "json").output)
    assert document["schema"] == "rnncli/variants@1"
    assert document["files"] == sorted(p.name for p in tmp_path.iterdir())


def test_solve_key_of_the_original_is_the_key_of_every_variant(tmp_path):
    run("variants", PROBLEM, "--count", 7, "-o", tmp_path)
    csv_key = run("solve", PROBLEM, "--key", "--variants", 7, "--format", "csv").stdout
    assert csv_key == (tmp_path / "key.csv").read_text(encoding="utf-8")
    markdown = run("solve", PROBLEM, "--key", "--variants", 7).stdout
    assert markdown.count("\n| ") == 1 + 7 * 9
    assert "add --key" in run("solve", PROBLEM, "--variants", 7, ok=(2,)).output
    # a variant's own file is an ordinary problem: its sheet and key come from solve as usual
    sheet = run("solve", tmp_path / "lstm-goodfellow-variants-v03.yaml").stdout
    assert sheet.startswith("# LSTM feed-forward") and "s^{(1)}" in sheet
