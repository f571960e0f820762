"""`rnncli graph`: golden outputs, and the edge sets of every shipped problem.

The expected edges are derived here from the equations' text alone (the
problem file and the built-in cell file read as YAML, names found by a
regular expression), not from rnncli's parser or graph module.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import rnncli.render.graph as render_graph
from rnncli.cli import cli
from golden import assert_matches_golden

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden" / "graph"
SEED000 = "problems/two-layer-feedback-graph.yaml"
SEED002 = "problems/rnn-unroll-five-steps.yaml"
READOUT = {"linear": "{}", "softmax": "softmax({})", "sigmoid": "sigmoid({})"}
NAME = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)\b\s*(\(|\[\s*t\s*(?:-\s*(\d+)\s*)?\])?")


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def graph_json(path, *options):
    code, out, err = run("graph", str(path), "--format", "json", *options)
    assert (code, err) == (0, ""), err
    return json.loads(out)


# --- the expected graph, from the text of the equations -------------------------------------

def equations_of(path: Path):
    """Returns ({quantity: equation text}, [inputs]) from the YAML files themselves."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    merged, inputs = {}, []
    if "cell" in data:
        cell_file = ROOT / "rnncli" / "cells" / "data" / data["cell"] / f"{data.get('convention', 'standard')}.yaml"
        spec = yaml.safe_load(cell_file.read_text(encoding="utf-8"))
        merged.update(spec["equations"])
        if data.get("output", "none") != "none":
            merged["y"] = READOUT[data["output"]].format(spec["readout"])
        inputs = [spec["input"]]
    merged.update({k: str(v) for k, v in (data.get("equations") or {}).items()})
    declared = data.get("inputs")
    if declared:
        inputs = list(declared) if isinstance(declared, list) else list(declared.keys())
    return merged, inputs


def expected_edges(path: Path) -> set:
    """Returns {(source, target, lag)}: every input or quantity each equation reads."""
    merged, inputs = equations_of(path)
    # Teacher forcing: a lagged read of y reads its target input instead (spec §15).
    forced = yaml.safe_load(path.read_text(encoding="utf-8")).get("teacher_forcing") or {}
    sources = set(merged) | set(inputs)
    edges = set()
    for target, text in merged.items():
        for name, bracket, lag in NAME.findall(text):
            if bracket == "(" or name not in sources:
                continue   # a function call, a parameter
            lag = int(lag) if lag else 0
            edges.add((forced.get(name, name) if lag else name, target, lag))
    return edges


def is_stacked(path: Path) -> bool:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data.get("layers", 1) > 1 or bool(data.get("bidirectional")) or bool(data.get("proj_size"))


SINGLE = [p for p in PROBLEMS if not is_stacked(p)]
STACKED = [p for p in PROBLEMS if is_stacked(p)]


def steps_of(path: Path) -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data.get("inputs"), dict):
        return len(next(iter(data["inputs"].values())))
    return data.get("steps", 3)


@pytest.mark.parametrize("path", SINGLE, ids=lambda p: p.name)
def test_folded_edges_of_every_shipped_problem(path):
    document = graph_json(path)
    edges = {(e["from"], e["to"], e["delay"]) for e in document["edges"]}
    assert edges == expected_edges(path)
    assert len(edges) == len(document["edges"])   # no edge twice
    merged, inputs = equations_of(path)
    assert {n["id"] for n in document["nodes"]} == set(merged) | set(inputs)
    assert {n["id"] for n in document["nodes"] if n["kind"] == "input"} == set(inputs)


@pytest.mark.parametrize("path", SINGLE, ids=lambda p: p.name)
def test_unfolded_edges_of_every_shipped_problem(path):
    steps = steps_of(path)
    document = graph_json(path, "--unfold", str(steps))
    first = yaml.safe_load(path.read_text(encoding="utf-8")).get("time_start", 1)
    expected = {(f"{source}[{t - lag}]", f"{target}[{t}]")
                for t in range(first, first + steps)
                for source, target, lag in expected_edges(path)}
    edges = [(e["from"], e["to"]) for e in document["edges"]]
    assert set(edges) == expected and len(edges) == len(expected)
    assert all(e["delay"] == 0 for e in document["edges"])
    assert all(source != target for source, target in edges)   # no self-loops
    ids = {n["id"] for n in document["nodes"]}
    assert {x for edge in edges for x in edge} <= ids
    initial = {n["id"] for n in document["nodes"] if n["kind"] == "initial"}
    assert initial == {s for s, _ in edges if int(s[s.index("[") + 1:-1]) < first}


@pytest.mark.parametrize("path", STACKED, ids=lambda p: p.name)
def test_stacked_networks_draw_every_layer_and_direction(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    document = graph_json(path)
    ids = {n["id"] for n in document["nodes"]}
    edges = {(e["from"], e["to"], e["delay"], e.get("backward", False))
             for e in document["edges"]}
    directions = ["", "_reverse"] if data.get("bidirectional") else [""]
    top = data.get("layers", 1) - 1
    for layer in range(top + 1):
        for direction in directions:
            h = f"h_l{layer}{direction}"
            gate = f"i_l{layer}{direction}"       # the shipped stacked networks are LSTMs
            assert (h, gate, 1, direction == "_reverse") in edges   # a delay; t+1 backwards
            below = ["x"] if layer == 0 else [f"h_l{layer - 1}{d}" for d in directions]
            assert all((b, gate, 0, False) in edges for b in below)
    assert {("h_l%d%s" % (top, d), "output", 0, False) for d in directions} <= edges
    assert "output" in ids


def test_the_backward_direction_runs_from_t_plus_1_when_unfolded(tmp_path):
    path = tmp_path / "bi.yaml"
    path.write_text("cell: rnn\nbidirectional: true\nsizes: {input: 2, hidden: 3}\nsteps: 3\n")
    document = graph_json(path, "--unfold", "3")
    edges = {(e["from"], e["to"]) for e in document["edges"]}
    assert ("h_l0_reverse[4]", "h_l0_reverse[3]") in edges and ("h_l0[0]", "h_l0[1]") in edges
    initial = {n["id"] for n in document["nodes"] if n["kind"] == "initial"}
    assert initial == {"h_l0[0]", "h_l0_reverse[4]"}
    code, out, _ = run("graph", str(path), "--unfold", "3", "--format", "dot")
    assert code == 0 and '"h_l0_reverse[2]" -> "h_l0_reverse[1]"' in out


def test_seed000_both_ways():
    folded = graph_json(ROOT / SEED000, "--params")
    assert [(e["from"], e["to"], e["delay"], e["params"]) for e in folded["edges"]] == [
        ("x", "h1", 0, ["U"]), ("h1", "h1", 1, ["V"]), ("h2", "h1", 1, ["W"]),
        ("h1", "h2", 0, ["R"]), ("h2", "h2", 1, ["S"]), ("y", "h2", 1, ["T"]),
        ("x", "y", 0, ["P"]), ("h2", "y", 0, ["Q"])]
    unfolded = graph_json(ROOT / SEED000, "--unfold", "3")
    assert [n["id"] for n in unfolded["nodes"]][:7] == [
        "h1[0]", "h2[0]", "y[0]", "x[1]", "h1[1]", "h2[1]", "y[1]"]
    assert len(unfolded["nodes"]) == 3 + 3 * 4 and len(unfolded["edges"]) == 3 * 8
    assert {"from": "y[1]", "to": "h2[2]", "delay": 0, "params": []} in unfolded["edges"]


def test_dot_node_ids_are_the_quoted_names():
    code, out, _ = run("graph", str(ROOT / SEED000), "--format", "dot")
    assert code == 0
    assert '  "h1" -> "h1" [label="■", constraint=false];' in out.splitlines()
    assert '  "x" -> "h1";' in out.splitlines()
    code, out, _ = run("graph", str(ROOT / SEED000), "--format", "dot", "--unfold", "2")
    assert '  "h1[1]" -> "h1[2]" [constraint=false];' in out.splitlines()
    assert '"h1[0]" [class=initial, style=dashed];' in out
    assert "■" not in out.split("\n", 2)[2]    # only the comment mentions the square


# --- golden outputs, one file per case ------------------------------------------------------

GOLDEN_CASES = {
    "seed000-folded": [SEED000],
    "seed000-folded-params": [SEED000, "--params"],
    "seed000-unfolded3": [SEED000, "--unfold", "3"],
    "seed000-unfolded3-params": [SEED000, "--unfold", "3", "--params"],
    "seed002-folded-params": [SEED002, "--params"],
    "lstm-2layer-bidirectional-folded": ["problems/lstm-2layer-bidirectional-trace.yaml"],
    "rnn-bidirectional-unfolded3": ["tests/golden/graph/rnn-bidirectional.yaml", "--unfold", "3",
                                    "--params"],
}
EXTENSIONS = {"text": "txt", "dot": "dot", "mermaid": "mmd", "json": "json"}


@pytest.mark.parametrize("output_format", list(EXTENSIONS))
@pytest.mark.parametrize("case", list(GOLDEN_CASES))
def test_golden(case, output_format, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("graph", *GOLDEN_CASES[case], "--format", output_format)
    assert (code, err) == (0, "")
    path = GOLDEN / f"{case}.{EXTENSIONS[output_format]}"
    assert_matches_golden(path, out)


# --- rendering with Graphviz ------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("extension, magic", [("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_with_graphviz(tmp_path, extension, magic):
    target = tmp_path / f"graph.{extension}"
    code, out, err = run("graph", str(ROOT / SEED000), "--unfold", "3", "--params",
                         "--render", str(target))
    assert code == 0 and out == ""
    assert err == f"wrote {target} ({target.stat().st_size} bytes)\n"
    assert magic in target.read_bytes()[:400]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]   # no temporary file left


def test_render_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(render_graph.shutil, "which", lambda name: None)
    target = tmp_path / "graph.svg"
    code, out, err = run("graph", str(ROOT / SEED000), "--render", str(target))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("Error: --render needs Graphviz's `dot`")
    assert "apt-get install graphviz" in err
    assert not target.exists()


def test_render_refuses_other_extensions(tmp_path):
    code, out, err = run("graph", str(ROOT / SEED000), "--render", str(tmp_path / "g.jpg"))
    assert code == 2 and out == "" and ".svg, .png, .pdf" in err


def test_a_failing_dot_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    target = tmp_path / "graph.svg"
    code, out, err = run("graph", str(ROOT / SEED000), "--render", str(target))
    assert code == 2 and out == ""
    assert err == "Error: --render: dot failed: Error: syntax error in line 1\n"
    assert not target.exists()


def test_unfold_is_bounded():
    code, _, err = run("graph", str(ROOT / SEED000), "--unfold", "0")
    assert code == 2 and "--unfold" in err
    code, _, err = run("graph", str(ROOT / SEED000), "--unfold", "101")
    assert code == 2 and "--unfold" in err


def test_two_steps_back_and_time_start_zero(tmp_path):
    path = tmp_path / "lag2.yaml"
    path.write_text("equations:\n  h: tanh(W @ x + U @ h[t-1] + V @ h[t-2])\n  y: Q @ h\n"
                    "inputs: [x]\nsteps: 3\ntime_start: 0\n")
    folded = graph_json(path)
    assert {(e["from"], e["to"], e["delay"]) for e in folded["edges"]} == expected_edges(path)
    code, out, _ = run("graph", str(path))
    assert "  h ─ ■■ ─→ h" in out.splitlines()
    unfolded = graph_json(path, "--unfold", "3")
    assert [n["id"] for n in unfolded["nodes"] if n["kind"] == "initial"] == ["h[-2]", "h[-1]"]
    assert {(e["from"], e["to"]) for e in unfolded["edges"]} == {
        (f"{s}[{t - lag}]", f"{d}[{t}]") for t in (0, 1, 2) for s, d, lag in expected_edges(path)}
    code, out, _ = run("graph", str(path), "--unfold", "2", "--format", "mermaid")
    assert "  n_h__m2 --> n_h__0" in out.splitlines()
