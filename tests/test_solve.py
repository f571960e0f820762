"""`rnncli solve`: the solution sheets of the shipped problems (golden, in docs/examples/),
their structure, and that they render: HTML parses as XML with MathML and draws in
Chromium, LaTeX compiles with pdflatex (each skipped where the tool is missing).

The numbers on a sheet come from the trace, proven by the oracle tests; here the
boxed answers and the key are also checked against the sheet's equations computed
with plain floats in this file.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from golden import REGENERATE, assert_matches_golden
from rnncli.cli import cli
from rnncli.render.sheet_html import render_html
from rnncli.render.sheet_latex import render_latex_files
from rnncli.render.sheet_markdown import render_markdown_files
from rnncli.solve.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden" / "solve"
SHEET_PROBLEMS = ["rnn-unroll-five-steps", "lstm-goodfellow-forward", "two-layer-feedback-graph",
                  "lstm-gomez-backprop", "lstm-forget-gate-questions"]
MATHML = "{http://www.w3.org/1998/Math/MathML}"
XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _bytes_golden(path: Path, data: bytes) -> None:
    if REGENERATE:
        path.write_bytes(data)
    assert path.exists(), f"missing {path}; run with RNNCLI_REGENERATE_GOLDEN=1"
    assert data == path.read_bytes(), path


# ---- the committed examples (docs/examples) are what solve writes today -------------------------

@pytest.mark.parametrize("name", SHEET_PROBLEMS)
def test_examples_in_docs_are_regenerated_sheets(name):
    sheet = build_sheet([f"problems/{name}.yaml"])
    markdown, md_files = render_markdown_files(sheet, stem=name)
    assert_matches_golden(EXAMPLES / f"{name}.md", markdown)
    for file_name, data in md_files.items():
        assert_matches_golden(EXAMPLES / file_name, data.decode("utf-8"))
    assert_matches_golden(EXAMPLES / f"{name}.html", render_html(sheet))
    latex, tex_files = render_latex_files(sheet, stem=name)
    assert_matches_golden(EXAMPLES / f"{name}.tex", latex)
    for file_name, data in tex_files.items():
        _bytes_golden(EXAMPLES / file_name, data)


def test_cli_writes_what_the_library_renders(tmp_path):
    out = tmp_path / "lstm.md"
    code, stdout, err = run("solve", "problems/lstm-goodfellow-forward.yaml", "-o", str(out))
    assert code == 0 and stdout == ""
    assert out.read_text() == (EXAMPLES / "lstm-goodfellow-forward.md").read_text().replace(
        "lstm-goodfellow-forward-", "lstm-")
    assert (tmp_path / "lstm-p1-b-1.svg").read_text() == (
        EXAMPLES / "lstm-goodfellow-forward-p1-b-1.svg").read_text()
    assert "wrote" in err


def test_a_problem_without_questions_gets_a_section_per_thing_rnncli_computes():
    code, out, err = run("solve", "problems/gru-olah-forward.yaml")
    assert code == 0, err
    assert_matches_golden(GOLDEN / "gru-olah-forward.md", out)
    for heading in ("## The forward pass, every quantity at every step", "## Every quantity "
                    "against the step", "## The parameter count",
                    "## The folded graph", "## The graph unfolded over 3 steps"):
        assert heading in out
    assert "data:image/svg+xml;base64," in out       # on stdout the plot is embedded


def test_sizes_only_problem_gets_counts_and_graphs_but_no_trace(tmp_path):
    text = (ROOT / "problems/two-layer-feedback-sizes.yaml").read_text()
    problem = tmp_path / "sizes.yaml"
    problem.write_text(text[:text.index("questions:")])
    code, out, err = run("solve", str(problem))
    assert code == 0, err
    assert "## The parameter count" in out and "Total: 1747 parameters" in out
    assert "Step t =" not in out and "against the step" not in out


def test_several_problems_make_one_sheet_numbered_in_order():
    code, out, _ = run("solve", "problems/rnn-unroll-five-steps.yaml",
                       "problems/lstm-goodfellow-forward.yaml")
    assert code == 0
    first = out.index("## Problem 1: Unrolled formula")
    second = out.index("## Problem 2: LSTM feed-forward")
    key = out.index("## Answer key")
    assert first < second < key
    assert "| 2 | a | y[3] | $0.8140$ |" in out


# ---- the answers on the sheet and in the key --------------------------------------------------

def _lstm_oracle():
    """Returns s, h, y of seed 002's Q17 with plain floats from the sheet's own equations."""
    data = yaml.safe_load((ROOT / "problems/lstm-goodfellow-forward.yaml").read_text())
    p = data["params"]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = s = 0.0
    out = {"s": [], "h": [], "y": []}
    for x in data["inputs"]["x"]:
        f = sig(p["b_f"] + p["U_f"] * x + p["W_f"] * h)
        g = sig(p["b_g"] + p["U_g"] * x + p["W_g"] * h)
        q = sig(p["b_q"] + p["U_q"] * x + p["W_q"] * h)
        s = f * s + g * sig(p["b"] + p["U"] * x + p["W"] * h)
        h = max(s, 0.0) * q
        out["s"].append(s), out["h"].append(h), out["y"].append(sig(h * p["V"] + p["c"]))
    return out


def test_key_csv_holds_the_oracle_values_at_full_precision():
    code, out, err = run("solve", "problems/lstm-goodfellow-forward.yaml", "--key", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    oracle = _lstm_oracle()
    numbers = [r for r in rows if re.match(r"^[shy]\[\d\]$", r["reference"])]
    assert len(numbers) == 9
    for row in numbers:
        name, step = row["reference"][0], int(row["reference"][2])
        assert float(row["value"]) == pytest.approx(oracle[name][step - 1], rel=1e-12)
        assert row["points"] == "1" and row["tolerance"] == "±(0.001 + 1% of the answer)"
    plot = next(r for r in rows if r["reference"] == "plot")
    assert plot["tolerance"] == "graded by hand" and plot["value"] == ""


def test_boxed_answers_are_the_rounded_oracle_values():
    text = (EXAMPLES / "lstm-goodfellow-forward.md").read_text()
    oracle = _lstm_oracle()
    for name in "shy":
        for step, value in enumerate(oracle[name], 1):
            assert f"- `{name}[{step}]`: $\\boxed{{{value:.4f}}}$" in text


def test_key_alone_in_every_format():
    for fmt, marker in (("markdown", "| problem | question | reference |"), ("html", "<table>"),
                        ("latex", "\\begin{longtable}")):
        code, out, err = run("solve", "problems/rnn-unroll-five-steps.yaml", "--key", "--format", fmt)
        assert code == 0, err
        assert marker in out and "Question a" not in out
    code, out, _ = run("solve", "problems/rnn-unroll-five-steps.yaml", "--key", "--format", "csv")
    assert out.splitlines()[1] == ("1,a,unroll.h[5],f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] "
                                   "+ U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0]))))),equal at "
                                   "random points,2")


def test_trace_working_shows_only_what_the_question_needs(tmp_path):
    problem = tmp_path / "p.yaml"
    text = (ROOT / "problems/lstm-goodfellow-forward.yaml").read_text()
    text = text[:text.index("questions:")] + (
        "questions:\n  - id: a\n    text: Give g at step 2.\n    ask: [\"g[2]\"]\n    points: 1\n")
    problem.write_text(text)
    code, out, err = run("solve", str(problem))
    assert code == 0, err
    assert "### Step t = 1" in out and "### Step t = 2" in out and "### Step t = 3" not in out
    working = out[out.index("## Question a"):out.index("## Answer key")]
    # g(2) reads h(1), which needs every quantity of step 1 but y; at step 2 only g itself.
    step1, step2 = working.split("### Step t = 2")
    assert "- $s^{(1)}" in step1 and "- $h^{(1)}" in step1 and "- $y^{(1)}" not in step1
    assert "- $g^{(2)} =" in step2 and "- $f^{(2)}" not in step2 and "- $s^{(2)}" not in step2


def test_errors_are_one_line_with_exit_2(tmp_path):
    code, out, err = run("solve", "problems/lstm-goodfellow-forward.yaml", "--format", "csv")
    assert code == 2 and err.startswith("Error: ") and "--key" in err and out == ""
    code, out, err = run("solve", "problems/lstm-goodfellow-forward.yaml", "--format", "latex")
    assert code == 2 and "-o FILE.tex" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("equations:\n  h: f(W @ x + U @ h[t-1])\ninputs: [x]\nsteps: 2\n"
                   "questions:\n  - id: a\n    text: t\n    ask: [\"unroll.q[2]\"]\n    points: 1\n")
    code, out, err = run("solve", str(bad))
    assert code == 2 and err.count("\n") == 1 and f"{bad}:8:" in err and "no quantity `q`" in err


# ---- HTML: self-contained, XHTML-compatible, MathML, and it draws -------------------------------

def _parse_html(text: str) -> ET.Element:
    assert text.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(text.split("\n", 1)[1])


@pytest.mark.parametrize("name", SHEET_PROBLEMS)
def test_html_is_well_formed_self_contained_and_uses_mathml(name):
    text = (EXAMPLES / f"{name}.html").read_text()
    root = _parse_html(text)
    assert root.tag == f"{XHTML}html"
    assert not list(root.iter(f"{XHTML}script"))
    for element in root.iter():
        for attribute, value in element.attrib.items():
            assert not value.startswith(("http://", "https://", "//")) or attribute == "xmlns"
    assert "@media print" in text and "url(" not in text
    maths = list(root.iter(f"{MATHML}math"))
    assert maths, "no MathML"
    assert all(list(m.iter(f"{MATHML}mi")) or list(m.iter(f"{MATHML}mn")) for m in maths)


def test_html_gradient_working_is_mathml():
    root = _parse_html((EXAMPLES / "lstm-gomez-backprop.html").read_text())
    maths = list(root.iter(f"{MATHML}math"))
    # dL/dq(t) is a fraction of partials, one per line of working (and none as text).
    fractions = [f for m in maths for f in m.iter(f"{MATHML}mfrac")
                 if [mi.text for mi in f.iter(f"{MATHML}mi")][:2] == ["∂", "L"]]
    assert len(fractions) >= 19
    text = "".join(root.itertext())
    assert "∂L/∂" not in text and "Step t = 0 (backward)" in text


def test_html_formula_and_figures():
    root = _parse_html((EXAMPLES / "rnn-unroll-five-steps.html").read_text())
    boxes = [e for e in root.iter(f"{XHTML}span") if e.get("class") == "box"]
    assert len(boxes) == 1
    math = boxes[0].find(f"{MATHML}math")
    functions = [mi.text for mi in math.iter(f"{MATHML}mi") if mi.text == "f"]
    assert len(functions) == 5       # f( ... f( ... ) ... ) five levels
    graph = _parse_html((EXAMPLES / "two-layer-feedback-graph.html").read_text())
    svgs = list(graph.iter(f"{SVG}svg"))
    assert len(svgs) == 2
    unfolded, folded = svgs
    assert len(list(unfolded.iter(f"{SVG}circle"))) == 3 * 4 + 3      # 3 steps x (x, h1, h2, y) + 3 initial
    assert len(list(folded.iter(f"{SVG}circle"))) == 4
    # The folded graph's delays (h1->h1, h2->h1, h2->h2, y->h2) are black squares.
    squares = [p for p in folded.iter(f"{SVG}polygon") if p.get("fill") == "#000000"
               and len(p.get("points").split()) == 4]
    assert len(squares) == 4


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_html_renders_in_headless_chromium(tmp_path):
    page = tmp_path / "sheet.html"
    page.write_text((EXAMPLES / "lstm-goodfellow-forward.html").read_text())
    shot = tmp_path / "shot.png"
    # A browser started on a busy machine sometimes exits before it has drawn the page:
    # a few tries tell that apart from a page that does not render.
    for attempt in range(3):
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / f'profile{attempt}'}",
             "--hide-scrollbars", "--window-size=900,1400", f"--screenshot={shot}",
             page.as_uri()], capture_output=True, timeout=120)
        if done.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000:
            break
    assert done.returncode == 0, done.stderr[-500:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, 1400)
    assert len(data) > 20_000        # a page with text and formulas, not a blank screen
    # MathML is read by Chromium as MathML: the DOM has math elements, not text.
    dumped = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", page.as_uri()],
        capture_output=True, timeout=120, text=True)
    assert dumped.returncode == 0
    assert dumped.stdout.count("<math") >= 20 and "<mfrac" not in dumped.stdout.split("<math")[0]


# ---- LaTeX compiles ------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("problems", [SHEET_PROBLEMS, ["gru-olah-forward", "two-layer-feedback-sizes"],
                                      ["lstm-goodfellow-gradients", "lstm-dcdc",
                                       "rnn-vanishing-gradients"]])
def test_latex_compiles_with_pdflatex(tmp_path, problems):
    out = tmp_path / "sheet.tex"
    code, _, err = run("solve", *[f"problems/{p}.yaml" for p in problems], "--format", "latex",
                       "-o", str(out))
    assert code == 0, err
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", out.name],
                          cwd=tmp_path, capture_output=True, timeout=300, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "sheet.pdf").read_bytes()[:5] == b"%PDF-"
    log = (tmp_path / "sheet.log").read_text(errors="replace")
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(w < 5 for w in overfull), overfull       # long formulas are broken to fit A4


def test_latex_figures_are_pdf_files_beside_the_document(tmp_path):
    out = tmp_path / "s.tex"
    code, _, err = run("solve", "problems/two-layer-feedback-graph.yaml", "--format", "latex",
                       "-o", str(out))
    assert code == 0, err
    figures = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert figures == ["s-p1-a-1.pdf", "s-p1-b-1.pdf"]
    for name in figures:
        assert f"{{{name}}}" in out.read_text()
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
        offset = int(data[data.rindex(b"startxref") + 10:].split()[0])
        assert data[offset:offset + 4] == b"xref"


@pytest.mark.parametrize("path", sorted((ROOT / "problems").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_problem_makes_a_sheet_in_every_format(path, tmp_path):
    for fmt, suffix in (("markdown", "md"), ("html", "html"), ("latex", "tex")):
        out = tmp_path / f"sheet.{suffix}"
        code, _, err = run("solve", str(path), "--format", fmt, "-o", str(out))
        assert code == 0, err
        text = out.read_text()
        assert "Answer key" in text
        if fmt == "html":
            _parse_html(text)


def test_hostile_titles_are_escaped_in_every_format(tmp_path):
    text = (ROOT / "problems/lstm-goodfellow-forward.yaml").read_text()
    hostile = "<script>alert(1)</script> & \\\\input{/etc/passwd} $x$ 100% #1 ~ ^ _"
    text = text.replace("title: LSTM feed-forward with scalar weights", f'title: "{hostile}"')
    problem = tmp_path / "p.yaml"
    problem.write_text(text)
    html = tmp_path / "s.html"
    assert run("solve", str(problem), "--format", "html", "-o", str(html))[0] == 0
    root = _parse_html(html.read_text())
    assert not list(root.iter(f"{XHTML}script"))
    assert "<script>alert(1)</script>" in "".join(root.find(f"{XHTML}head").itertext())
    tex = tmp_path / "s.tex"
    assert run("solve", str(problem), "--format", "latex", "-o", str(tex))[0] == 0
    source = tex.read_text()
    assert "\\input{/etc" not in source and "\\textbackslash{}input\\{/etc/passwd\\}" in source
    if shutil.which("pdflatex"):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               "-no-shell-escape", tex.name], cwd=tmp_path, capture_output=True,
                              timeout=300, text=True)
        assert done.returncode == 0, done.stdout[-1500:]
