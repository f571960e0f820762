"""Graph -> text, Graphviz DOT, Mermaid and JSON (`rnncli/graph@1`); DOT -> SVG/PNG/PDF with `dot`.

A delay (a value read at t-1) is drawn as the Deep Learning book draws it, a
black square on the edge: `■` in the edge's label, in every format (DOT and
Mermaid labels, the text listing). Delay edges and the edges between steps do
not constrain DOT's ranks, so the layers stay as the book draws them: inputs
at the bottom, outputs at the top, time from left to right.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from rnncli.errors import UsageError
from rnncli.render.headings import INPUTS_BY_NAME_KEY, inputs_by_name_line
from rnncli.solve.graphs import Graph

DELAY = "■"
RENDER_FORMATS = ("svg", "png", "pdf")
RENDER_TIMEOUT = 60   # seconds; a graph of MAX_UNFOLD steps lays out in well under a second


def _label(edge) -> str:
    """Returns an edge's label: its parameters, then a square per step of delay."""
    return " ".join(list(edge.params) + ([DELAY * edge.delay] if edge.delay else []))


def _text_ref(node_id: str) -> str:
    """Returns a node id as the text printer writes steps: h1[2] -> h1(2)."""
    return node_id.replace("[", "(").replace("]", ")").replace("-", "−")


def render_text(graph: Graph) -> str:
    """Returns an edge listing: folded in one block, unfolded in one block per step."""
    kinds = {n.id: n.kind for n in graph.nodes}
    by_name = [inputs_by_name_line(graph.inputs_by_name)] if graph.inputs_by_name else []
    if not graph.unfolded:
        out = [f"Folded graph{': ' + graph.title if graph.title else ''}", *by_name,
               f"{DELAY} marks a delay: the edge carries the value of the previous step (t−1).", ""]
        out.append("nodes: " + ", ".join(n.id + (" (input)" if n.kind == "input" else "")
                                         for n in graph.nodes))
        out += ["edges:"] + _edge_lines(graph.edges, lambda i: i)
        return "\n".join(out) + "\n"
    span = f"{graph.steps[0]}..{graph.steps[-1]}"
    out = [f"Unfolded graph over steps {span}{': ' + graph.title if graph.title else ''}",
           *by_name, "Every edge runs within a step or from an earlier step to a later one."]
    initial = [n.id for n in graph.nodes if n.kind == "initial"]
    if initial:
        out += ["", "initial values: " + ", ".join(_text_ref(i) for i in initial)]
    step_of = {n.id: n.step for n in graph.nodes}
    for t in graph.steps:
        inputs = [n.id for n in graph.nodes if n.step == t and kinds[n.id] == "input"]
        out += ["", f"step {t}" + (f" (inputs {', '.join(_text_ref(i) for i in inputs)})"
                                   if inputs else "")]
        out += _edge_lines([e for e in graph.edges if step_of[e.target] == t], _text_ref)
    return "\n".join(out) + "\n"


def _edge_lines(edges, show) -> list[str]:
    if not edges:
        return ["  (none)"]
    width = max(len(show(e.source)) for e in edges)
    labels = [_label(e) for e in edges]
    inner = max(len(label) for label in labels)
    lines = []
    for edge, label in zip(edges, labels):
        body = (f" {label} " if label else "").center(inner + 2, "─") if inner else ""
        lines.append(f"  {show(edge.source):<{width}} ─{body}─→ {show(edge.target)}")
    return lines


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render_dot(graph: Graph) -> str:
    """Returns the graph in Graphviz DOT; node ids are the quoted names `"h1"` / `"h1[2]"`."""
    kind = "unfolded" if graph.unfolded else "folded"
    out = [f"digraph {kind} {{",
           f"  // {kind} computational graph" + (
               f"; an edge labelled {DELAY} is a delay of one step"
               if any(e.delay for e in graph.edges) else
               "; a value read at the step before comes from the node of that step"),
           "  rankdir=BT;",
           '  node [shape=circle, fontname="Helvetica"];',
           '  edge [fontname="Helvetica"];']
    if graph.inputs_by_name:
        out.insert(2, f"  // {inputs_by_name_line(graph.inputs_by_name)}")
    if graph.title:
        out.append(f"  label={_dot_string(graph.title)}; labelloc=t;")
    for node in graph.nodes:
        style = {"input": ', style=filled, fillcolor="#e8e8e8"',
                 "initial": ", style=dashed"}.get(node.kind, "")
        out.append(f"  {_dot_string(node.id)} [class={node.kind}{style}];")
    step_of = {n.id: n.step for n in graph.nodes}
    for edge in graph.edges:
        attributes = []
        label = _label(edge)
        if label:
            attributes.append(f"label={_dot_string(label)}")
        # Recurrent edges must not pull a layer's rank: h1 stays above x, below y.
        if edge.delay or (graph.unfolded and step_of[edge.source] != step_of[edge.target]):
            attributes.append("constraint=false")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        out.append(f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)}{suffix};")
    if graph.unfolded:
        # One row per quantity, time running left to right, as in the book's figures.
        rows: dict[str, list] = {}
        for node in graph.nodes:
            rows.setdefault(node.name, []).append(node.id)
        for ids in rows.values():
            out.append("  { rank=same; " + " ".join(_dot_string(i) + ";" for i in ids) + " }")
            for a, b in zip(ids, ids[1:]):
                out.append(f"  {_dot_string(a)} -> {_dot_string(b)} [style=invis];")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_id(node_id: str) -> str:
    # Identifiers cannot contain "__", so name__2 never collides with a name; the
    # n_ prefix keeps words Mermaid reserves (end, graph) out of the ids.
    return "n_" + node_id.replace("[", "__").replace("]", "").replace("-", "m")


def render_mermaid(graph: Graph) -> str:
    """Returns the graph as a Mermaid flowchart (unfolded: one subgraph per step)."""
    out = ["flowchart " + ("LR" if graph.unfolded else "BT")]
    if graph.inputs_by_name:
        out.insert(0, f"%% {inputs_by_name_line(graph.inputs_by_name)}")
    if graph.title:
        out.insert(0, f"%% {graph.title}")

    def node_line(node) -> str:
        shape = ('["', '"]') if node.kind == "input" else ('(("', '"))')
        return f"  {_mermaid_id(node.id)}{shape[0]}{node.id}{shape[1]}"

    if graph.unfolded:
        initial = [n for n in graph.nodes if n.kind == "initial"]
        if initial:
            out += ['  subgraph initial_values["initial values"]', "    direction BT"]
            out += ["  " + node_line(n) for n in initial] + ["  end"]
        for t in graph.steps:
            out += [f'  subgraph step{t}["t = {t}"]', "    direction BT"]
            out += ["  " + node_line(n) for n in graph.nodes if n.step == t and n.kind != "initial"]
            out.append("  end")
    else:
        out += [node_line(n) for n in graph.nodes]
    for edge in graph.edges:
        label = _label(edge)
        arrow = f'-->|"{label}"|' if label else "-->"
        out.append(f"  {_mermaid_id(edge.source)} {arrow} {_mermaid_id(edge.target)}")
    return "\n".join(out) + "\n"


def graph_document(graph: Graph) -> dict:
    """Returns the `rnncli/graph@1` document (an rnncli extension of the contract)."""
    document = {
        "schema": "rnncli/graph@1",
        "title": graph.title,
        "unfolded": graph.unfolded,
        "steps": list(graph.steps),
        "nodes": [{"id": n.id, "name": n.name, "step": n.step, "kind": n.kind} for n in graph.nodes],
        "edges": [{"from": e.source, "to": e.target, "delay": e.delay, "params": list(e.params)}
                  for e in graph.edges],
    }
    if graph.inputs_by_name:
        document[INPUTS_BY_NAME_KEY] = list(graph.inputs_by_name)
    return document


def render_graph(graph: Graph, output_format: str) -> str:
    """Returns the graph in one output format: text, dot, mermaid or json."""
    if output_format == "json":
        from rnncli.render.json_document import dumps

        return dumps(graph_document(graph)) + "\n"
    if output_format == "dot":
        return render_dot(graph)
    if output_format == "mermaid":
        return render_mermaid(graph)
    return render_text(graph)


def render_file(dot_text: str, path: str, timeout: float = RENDER_TIMEOUT) -> int:
    """Returns the bytes written to `path` after laying out `dot_text` with Graphviz's `dot`.

    The format follows the file's extension (.svg, .png, .pdf); the file is
    written atomically, so a failed or interrupted layout leaves no half file.
    """
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in RENDER_FORMATS:
        raise UsageError(f"--render {path}: the file must end in "
                         + ", ".join("." + f for f in RENDER_FORMATS))
    executable = shutil.which("dot")
    if executable is None:
        raise UsageError("--render needs Graphviz's `dot`, which is not on PATH; install Graphviz "
                         "(apt-get install graphviz, brew install graphviz, or "
                         "https://graphviz.org/download/), or use --format dot")
    try:
        done = subprocess.run([executable, f"-T{extension}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise UsageError(f"--render: Graphviz's dot took longer than {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"--render: cannot run {executable}: {exc.strerror or exc}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--render: dot failed: {message[0] if message else done.returncode}")
    write_atomically(path, done.stdout)
    return len(done.stdout)


def write_atomically(path: str, data: bytes) -> None:
    """Writes `data` to `path` through a temporary file in the same directory and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".rnncli-", dir=directory)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        umask = os.umask(0)   # mkstemp makes 0600; give the file the usual permissions
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
