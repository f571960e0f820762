"""Plots: `trace --plot` (matplotlib, skipped without it), `--chart` (golden, fixed width),
and the dependency-free drawings a solution sheet uses (SVG and PDF)."""
from __future__ import annotations

import builtins
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from golden import assert_matches_golden
from rnncli.cli import cli
from rnncli.files.problem import load_problem
from rnncli.render.chart_drawing import MARKERS, draw_chart, nice_ticks, style
from rnncli.render.chart_text import render_chart_text
from rnncli.render.drawing import Line, to_pdf, to_svg
from rnncli.solve.series import Chart, Series, trace_chart
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "plots"
LSTM = "problems/lstm-goodfellow-forward.yaml"
STANDARD = "problems/lstm-standard.yaml"       # hidden 2: a line per component
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _trace(path):
    return run_trace(load_problem(path))


def test_series_are_the_trace_values_one_per_component():
    trace = _trace(STANDARD)
    chart = trace_chart(trace, ["c", "h"])
    assert [s.label for s in chart.series] == ["c_1", "c_2", "h_1", "h_2"]
    for series in chart.series:
        name, index = series.label.split("_")
        assert series.steps == (1, 2, 3)
        assert series.values == tuple(float(trace.value(name, t)[int(index) - 1]) for t in (1, 2, 3))
    assert chart.title == " ".join(trace.problem.title.split())


# ---- matplotlib ---------------------------------------------------------------------------------

def _needs_matplotlib():
    return pytest.importorskip("matplotlib")


@pytest.mark.parametrize("extension,magic", [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml"),
                                             ("pdf", b"%PDF-")])
def test_trace_plot_writes_a_valid_file(tmp_path, extension, magic):
    _needs_matplotlib()
    out = tmp_path / f"plot.{extension}"
    code, stdout, err = run("trace", LSTM, "--plot", str(out), "--plot-quantities", "s,h,y")
    assert code == 0, err
    assert out.read_bytes().startswith(magic)
    assert "Step t = 1" in stdout            # the working is still printed
    assert f"wrote {out}" in err


def test_svg_plot_has_a_line_per_component_integer_ticks_and_the_title(tmp_path):
    _needs_matplotlib()
    out = tmp_path / "plot.svg"
    code, _, err = run("trace", STANDARD, "--plot", str(out), "--plot-quantities", "c,h")
    assert code == 0, err
    root = ET.fromstring(out.read_bytes())
    lines = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("rnncli-line-")]
    assert len(lines) == 4                   # c_1, c_2, h_1, h_2
    for line in lines:                       # each through the 3 steps
        path = line.find(f"{SVG}path").get("d")
        assert len(re.findall(r"[ML]", path)) == 3
    assert root.find(f".//{SVG}g[@id='rnncli-title']") is not None
    ticks = {t.get("id") for t in root.iter(f"{SVG}g") if (t.get("id") or "").startswith("xtick_")}
    assert len(ticks) == 3                   # steps 1, 2, 3: integers only


def test_plot_styles_differ_in_black_and_white():
    styles = [style(i) for i in range(12)]
    assert len(set(styles)) == 12
    assert len({s[1] for s in styles[:len(MARKERS)]}) == len(MARKERS)


def test_without_matplotlib_the_error_says_how_to_install(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    code, out, err = run("trace", LSTM, "--plot", str(tmp_path / "p.png"))
    assert code == 2 and out == ""
    assert err == "Error: plots need matplotlib: pip install 'rnncli[plot]'\n"
    assert not (tmp_path / "p.png").exists()


def test_plot_file_extension_and_quantities_are_checked(tmp_path):
    code, _, err = run("trace", LSTM, "--plot", str(tmp_path / "p.jpg"))
    assert code == 2 and ".png, .svg, .pdf" in err
    code, _, err = run("trace", LSTM, "--chart", "--plot-quantities", "s,hh")
    assert code == 2 and "no quantity `hh`" in err and "did you mean" in err.lower()
    code, _, err = run("trace", LSTM, "--plot-quantities", "s")
    assert code == 2 and "--plot FILE or --chart" in err


def test_help_does_not_import_matplotlib():
    import subprocess

    code = ("import sys; from rnncli.cli import cli; "
            "sys.argv = ['rnncli', 'trace', '--help']\n"
            "try:\n    cli.main(prog_name='rnncli')\nexcept SystemExit:\n    pass\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- the terminal chart ---------------------------------------------------------------------------

def test_chart_golden_at_a_fixed_width():
    chart = trace_chart(_trace(LSTM), ["s", "h", "y"])
    text = render_chart_text(chart, width=64)
    assert_matches_golden(GOLDEN / "lstm-chart-64.txt", text)
    assert max(len(line) for line in text.splitlines()) <= 64
    assert "\033[" not in text


def test_chart_cli_honours_no_color_and_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    code, out, err = run("trace", LSTM, "--chart", "--plot-quantities", "h")
    assert code == 0, err
    assert "\033[" not in out                 # not a terminal, and NO_COLOR
    assert max(len(line) for line in out.splitlines()) <= 50
    assert "Step t =" not in out              # the chart replaces the working


def test_chart_colours_only_when_asked():
    chart = trace_chart(_trace(LSTM), ["s", "h"])
    coloured = render_chart_text(chart, 60, color=True)
    assert "\033[34m" in coloured and "\033[0m" in coloured
    plain = re.sub(r"\033\[[0-9;]*m", "", coloured)
    assert plain == render_chart_text(chart, 60)


def test_chart_puts_each_point_in_its_row():
    chart = Chart("t", (Series("a", (1, 2, 3), (0.0, 1.0, 2.0)),))
    lines = render_chart_text(chart, 40, rows=5).splitlines()
    body = lines[1:6]
    assert body[4].rstrip().endswith("●") is False and "●" in body[4]     # 0 at the bottom
    assert body[0].rstrip().endswith("●")                                 # 2 at the top right


# ---- the sheet's own drawings ---------------------------------------------------------------------

def test_chart_drawing_svg_has_a_line_per_series_and_a_tick_per_step():
    chart = trace_chart(_trace(STANDARD), ["c", "h"])
    drawing = draw_chart(chart)
    root = ET.fromstring(to_svg(drawing))
    data_lines = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke-width") == "1.4"]
    assert len(data_lines) == 2 * 4          # each series: its line and its legend sample
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert ["1", "2", "3"] == [t for t in labels if t in ("1", "2", "3")][:3]
    assert chart.title in labels and {"c_1", "c_2", "h_1", "h_2"} <= set(labels)


def test_pdf_writer_makes_a_well_formed_pdf():
    drawing = draw_chart(trace_chart(_trace(LSTM)))
    data = to_pdf(drawing)
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    offset = int(data[data.rindex(b"startxref") + 10:].split()[0])
    assert data[offset:offset + 4] == b"xref"
    # Every object offset in the table points at its "N 0 obj".
    table = data[offset:].split(b"\n")
    count = int(table[1].split()[1])
    for number in range(1, count):
        position = int(table[2 + number].split()[0])
        assert data[position:].startswith(f"{number} 0 obj".encode())
    assert to_pdf(drawing) == data           # deterministic: no dates, no ids


def test_nice_ticks_cover_the_range_with_round_steps():
    for low, high in [(0.26, 0.81), (-3.0, 7.5), (0.0, 0.0), (1e-5, 3e-5), (100, 100000)]:
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low + 1e-12 and ticks[-1] >= high - 1e-12
        steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1


def test_svg_escapes_titles():
    chart = Chart("a < b & \"c\"", (Series("x<1>", (1,), (0.5,)),))
    root = ET.fromstring(to_svg(draw_chart(chart)))
    assert root.find(f"{SVG}title").text == "a < b & \"c\""
    assert isinstance(draw_chart(chart).items[1], Line)
