"""YAML document -> validated `Problem` (docs/problem-files.md), every mistake named with its line."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnncli.errors import one_line
from rnncli.language.equations import IDENTIFIER
from rnncli.files.values import (as_array, as_number, as_positive_int, checked_array, describe,
                           fail, reject_unknown_keys)
from rnncli.files.yaml_source import Document, load_yaml, parse_yaml

TOP_LEVEL_KEYS = (
    "title", "source", "cell", "convention", "output", "equations", "sizes", "layers",
    "bidirectional", "proj_size", "bias", "params", "initial", "inputs", "steps",
    "time_start", "questions", "tolerance", "follow_through", "fixed", "symmetric", "vary",
    "loss",
    "teacher_forcing",
    "params_file", "inputs_file",
)
LOSS_KEYS = ("each", "at", "mean")
OUTPUT_KINDS = ("none", "linear", "softmax", "sigmoid")
QUESTION_KEYS = ("id", "text", "ask", "points", "tolerance", "set")
MAX_STEPS = 10_000              # with the trace limits of cells/shape_inference.py


@dataclass(frozen=True)
class Tolerance:
    """How close a given value must be: |given - expected| <= abs + rel |expected|, or digits."""

    rel: float = 0.01
    abs: float = 0.001
    sigfig: int | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class LossSpec:
    """The loss (spec §13): `each` at every step counted by `at`, summed or averaged."""

    each: str                   # the loss at one step, as written
    expr: Any                   # its expression tree
    at: Any = "all"             # "all", "last", or a tuple of steps
    mean: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Question:
    """One entry of `questions:`: what it asks, its points and tolerance."""

    id: str
    text: str
    ask: tuple
    points: Any                 # a number spread evenly, or a mapping reference -> points
    tolerance: Tolerance | None
    line: int | None
    set: dict = field(default_factory=dict)     # name -> expression text, for this question only


# eq=False: holds numpy arrays, which field-wise == cannot compare (and hash
# always failed), so nothing compares problems; skipping the generated __eq__ and
# __hash__ makes the class cheaper to create at every start-up.
@dataclass(frozen=True, eq=False)
class Problem:
    """A validated problem file; numbers are float64 numpy arrays (0-d for scalars)."""

    file: str
    title: str | None = None
    source: str | None = None
    cell: str | None = None
    convention: str = "standard"
    output: str = "none"
    equations: dict = field(default_factory=dict)     # name -> expression text
    sizes: dict = field(default_factory=dict)         # name or alias -> int
    layers: int = 1
    bidirectional: bool = False
    proj_size: int | None = None
    bias: bool = True
    params: dict = field(default_factory=dict)        # name -> array
    initial: dict = field(default_factory=dict)       # state name -> array
    inputs: dict = field(default_factory=dict)        # name -> tuple of arrays (one a step)
    input_names: tuple = ()                           # declared inputs, with or without values
    steps: int | None = None
    time_start: int = 1
    questions: tuple = ()
    tolerance: Tolerance | None = None
    follow_through: Any = True                        # False, or {"credit": c}
    fixed: tuple = ()
    symmetric: tuple = ()
    teacher_forcing: dict = field(default_factory=dict)   # quantity -> input read in its place at t-k
    changes: tuple = ()                               # files.changes.Change made for this run
    vary: Any = None                                  # files.variation.Variation, or None
    loss: LossSpec | None = None
    doc: Document | None = field(default=None, compare=False, repr=False)

    @property
    def n_steps(self) -> int | None:
        """Returns the number of steps: the inputs' length, else `steps`."""
        for sequence in self.inputs.values():
            return len(sequence)
        return self.steps

    def line(self, *path) -> int | None:
        """Returns the line of a key path in the file, when the problem came from one."""
        return self.doc.line(*path) if self.doc is not None else None


def load_problem(path: str) -> Problem:
    """Returns the validated Problem of a YAML file (`-` reads standard input)."""
    return problem_from_document(load_yaml(path))


def parse_problem(text: str, filename: str = "<string>") -> Problem:
    """Returns the validated Problem of YAML text."""
    return problem_from_document(parse_yaml(text, filename))


def problem_from_document(doc: Document) -> Problem:
    """Returns the validated Problem of a YAML document."""
    data = doc.data
    if isinstance(data, dict) and "answers" in data:
        fail(doc, ("answers",), "this is an answers file (it has `answers:`), not a problem "
                                f"file; grade it with `rnncli grade {doc.file}`")
    reject_unknown_keys(doc, (), data, TOP_LEVEL_KEYS)
    fields: dict[str, Any] = {"file": doc.file, "doc": doc}
    for key in ("title", "source"):
        if key in data:
            # Printed in headings: one line, with escape sequences and bidi overrides made
            # visible (\x1b, \u202e) rather than passed to a terminal or a sheet.
            fields[key] = one_line(" ".join(_text(doc, key, data[key]).split()))
    if "cell" in data:
        fields["cell"] = _name_text(doc, ("cell",), data["cell"], "a cell name such as lstm")
    if "convention" in data:
        fields["convention"] = _name_text(doc, ("convention",), data["convention"],
                                          "a convention name such as pytorch")
    if "output" in data:
        value = data["output"]
        if value not in OUTPUT_KINDS:
            fail(doc, ("output",), f"`output` must be one of {', '.join(OUTPUT_KINDS)}, "
                                   f"not {describe(value)}")
        fields["output"] = value
    if "equations" in data:
        fields["equations"] = _equations(doc, data["equations"])
    if "sizes" in data:
        sizes = _mapping(doc, ("sizes",), data["sizes"])
        fields["sizes"] = {_identifier(doc, ("sizes", k), k): as_positive_int(doc, ("sizes", k), v)
                           for k, v in sizes.items()}
    if "layers" in data:
        fields["layers"] = as_positive_int(doc, ("layers",), data["layers"], limit=100)
    for key in ("bidirectional", "bias"):
        if key in data:
            fields[key] = _bool(doc, key, data[key])
    if "proj_size" in data and data["proj_size"] not in (None, 0):
        fields["proj_size"] = as_positive_int(doc, ("proj_size",), data["proj_size"])
    for key in ("params", "initial"):
        if key in data:
            values = _mapping(doc, (key,), data[key])
            fields[key] = {_identifier(doc, (key, name), name): as_array(doc, (key, name), value)
                           for name, value in values.items()}
    if "inputs" in data:
        fields["inputs"], fields["input_names"] = _inputs(doc, data["inputs"])
    if "params_file" in data or "inputs_file" in data:
        _arrays_from_files(doc, data, fields)
    if "steps" in data:
        fields["steps"] = as_positive_int(doc, ("steps",), data["steps"], limit=MAX_STEPS)
    if "time_start" in data:
        if data["time_start"] not in (0, 1) or isinstance(data["time_start"], bool):
            fail(doc, ("time_start",), f"`time_start` must be 0 or 1, not {describe(data['time_start'])}")
        fields["time_start"] = data["time_start"]
    if "tolerance" in data:
        fields["tolerance"] = parse_tolerance(doc, ("tolerance",), data["tolerance"])
    if "questions" in data:
        fields["questions"] = _questions(doc, data["questions"])
    if "follow_through" in data:
        fields["follow_through"] = _follow_through(doc, data["follow_through"])
    for key in ("fixed", "symmetric"):
        if key in data:
            fields[key] = _name_list(doc, key, data[key])
    if "teacher_forcing" in data:
        fields["teacher_forcing"] = _name_mapping(doc, "teacher_forcing", data["teacher_forcing"])
    if "vary" in data:
        from rnncli.files.variation import parse_variation

        fields["vary"] = parse_variation(doc, data["vary"])
    if "loss" in data:
        fields["loss"] = _loss(doc, data["loss"])
    problem = Problem(**fields)
    if problem.vary is not None:
        _check_varied_names(doc, problem)
    lengths = {name: len(seq) for name, seq in problem.inputs.items()}
    if problem.steps is not None and lengths and problem.steps not in lengths.values():
        fail(doc, ("steps",), f"`steps` is {problem.steps} but the inputs have "
                              f"{next(iter(lengths.values()))} entries")
    if not problem.cell and not problem.equations:
        fail(doc, (), "the problem names no `cell` and defines no `equations`")
    return problem


def _text(doc, key, value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        fail(doc, (key,), f"`{key}` must be text, not {describe(value)}")
    return value


def _name_text(doc, path, value, what) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(doc, path, f"`{path[-1]}` must be {what}, not {describe(value)}")
    return value.strip()


def _identifier(doc, path, name) -> str:
    if not isinstance(name, str) or not IDENTIFIER.match(name) or "__" in name:
        fail(doc, path, f"`{name}` is not a valid name (a letter, then letters, digits or _)")
    return name


def _mapping(doc, path, value) -> dict:
    if not isinstance(value, dict):
        fail(doc, path, f"`{path[-1]}` must be a mapping (name: value), not {describe(value)}")
    return value


def _bool(doc, key, value) -> bool:
    if not isinstance(value, bool):
        fail(doc, (key,), f"`{key}` must be true or false, not {describe(value)}")
    return value


def _equations(doc, value) -> dict:
    equations = {}
    for name, text in _mapping(doc, ("equations",), value).items():
        _identifier(doc, ("equations", name), name)
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(as_number(doc, ("equations", name), text))
        if isinstance(text, list):   # YAML read `y: [a, b]` as a list, not as text
            fail(doc, ("equations", name), f"equation `{name}` is a YAML list; quote a "
                                           f"concatenation: {name}: \"[a, b]\"")
        if not isinstance(text, str):
            fail(doc, ("equations", name), f"equation `{name}` must be an expression, "
                                           f"not {describe(text)}")
        equations[name] = text
    return equations


def _inputs(doc, value):
    """Returns ({name: tuple of per-step arrays}, declared names)."""
    if isinstance(value, list):
        names = tuple(_identifier(doc, ("inputs", i), n) for i, n in enumerate(value))
        if len(set(names)) != len(names):
            fail(doc, ("inputs",), "an input is declared twice")
        return {}, names
    sequences = {}
    for name, seq in _mapping(doc, ("inputs",), value).items():
        _identifier(doc, ("inputs", name), name)
        if not isinstance(seq, list) or not seq:
            fail(doc, ("inputs", name), f"`inputs.{name}` must be a list with one entry per step, "
                                        f"not {describe(seq)}")
        if len(seq) > MAX_STEPS:
            fail(doc, ("inputs", name), f"`inputs.{name}` has more than {MAX_STEPS} steps")
        steps = _steps_at_once(seq)
        if steps is None:
            steps = tuple(as_array(doc, ("inputs", name, i), entry) for i, entry in enumerate(seq))
        shapes = {s.shape for s in steps}
        if len(shapes) > 1 or (steps[0].ndim > 1):
            fail(doc, ("inputs", name), f"`inputs.{name}`: every step must be a number or a "
                                        "vector of the same length")
        sequences[name] = steps
    lengths = {len(s) for s in sequences.values()}
    if len(lengths) > 1:
        fail(doc, ("inputs",), "the input sequences have different lengths: "
             + ", ".join(f"{n} has {len(s)}" for n, s in sequences.items()))
    return sequences, tuple(sequences)


def _arrays_from_files(doc, data, fields) -> None:
    """Adds the arrays of `params_file` and `inputs_file` (.npz beside the problem) to `fields`."""
    from rnncli.files.arrays_file import input_steps, load_arrays

    if "params_file" in data:
        params = fields.setdefault("params", {})
        for name, array in load_arrays(doc, "params_file", "params").items():
            _identifier(doc, ("params", name), name)
            if name in params:
                fail(doc, ("params_file",), f"`params.{name}` is given twice: under `params` "
                                            "and in `params_file`")
            params[name] = array
    if "inputs_file" in data:
        if "inputs" in data:
            fail(doc, ("inputs_file",), "the inputs are given twice: give them under `inputs` "
                                        "or in `inputs_file`, not both")
        sequences = {}
        for name, array in load_arrays(doc, "inputs_file", "inputs").items():
            _identifier(doc, ("inputs", name), name)
            sequences[name] = input_steps(doc, name, array, MAX_STEPS)
        lengths = {len(s) for s in sequences.values()}
        if len(lengths) > 1:
            fail(doc, ("inputs_file",), "the input sequences have different lengths: "
                 + ", ".join(f"{n} has {len(s)}" for n, s in sequences.items()))
        fields["inputs"], fields["input_names"] = sequences, tuple(sequences)


def _steps_at_once(seq: list):
    """Returns the per-step arrays of a sequence that passes every check as one array, else None.

    The same arrays as checking step by step (0-d for numbers, vectors for rows),
    as views of one array; None sends the sequence down the step-by-step path,
    which words the first problem.
    """
    array = checked_array(seq)
    if array is None:
        return None
    if array.ndim == 1:
        return tuple(array[i, ...] for i in range(len(array)))
    return tuple(array)


def parse_tolerance(doc, path, value) -> Tolerance:
    """Returns the Tolerance of `{rel, abs}`, `{sigfig}` or `{decimals}` (docs/grading.md)."""
    spec = _mapping(doc, path, value)
    allowed = ("rel", "abs", "sigfig", "decimals")
    reject_unknown_keys(doc, path, spec, allowed, what="tolerance key")
    if ("sigfig" in spec or "decimals" in spec) and len(spec) > 1:
        fail(doc, path, "a tolerance is {rel, abs}, or {sigfig: N}, or {decimals: N}, not a mix")
    if "sigfig" in spec:
        return Tolerance(sigfig=as_positive_int(doc, path + ("sigfig",), spec["sigfig"], limit=17))
    if "decimals" in spec:
        value = spec["decimals"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 15:
            fail(doc, path + ("decimals",), f"`decimals` must be a whole number from 0 to 15, "
                                            f"not {describe(value)}")
        return Tolerance(decimals=value)
    rel = as_number(doc, path + ("rel",), spec.get("rel", 0.0 if "abs" in spec else 0.01))
    absolute = as_number(doc, path + ("abs",), spec.get("abs", 0.0 if "rel" in spec else 0.001))
    if rel < 0 or absolute < 0:
        fail(doc, path, "tolerances must not be negative")
    return Tolerance(rel=rel, abs=absolute)


def _questions(doc, value) -> tuple:
    if not isinstance(value, list):
        fail(doc, ("questions",), f"`questions` must be a list, not {describe(value)}")
    questions, seen = [], set()
    for i, item in enumerate(value):
        path = ("questions", i)
        item = _mapping(doc, path, item)
        reject_unknown_keys(doc, path, item, QUESTION_KEYS, what="question key")
        qid = item.get("id", str(i + 1))
        if not isinstance(qid, (str, int)) or isinstance(qid, bool):
            fail(doc, path + ("id",), f"question `id` must be text, not {describe(qid)}")
        qid = str(qid)
        if not qid.strip() or not qid.isprintable() or len(qid) > 100:
            # An id becomes a gradebook column and a table cell: it must be visible text.
            fail(doc, path + ("id",), f"question `id` must be up to 100 visible characters "
                                      f"(no control, format or bidi characters), not "
                                      f"{one_line(repr(qid[:40]))}")
        if qid in seen:
            fail(doc, path + ("id",), f"two questions have the id `{qid}`")
        seen.add(qid)
        ask = item.get("ask")
        if isinstance(ask, str):
            ask = [ask]
        if not isinstance(ask, list) or not ask or not all(isinstance(a, str) for a in ask):
            fail(doc, path + ("ask",), "`ask` must be a list of quantity references such as [h, y[3]]")
        points = item.get("points", len(ask))
        if isinstance(points, dict):
            points = {str(ref): as_number(doc, path + ("points", ref), p) for ref, p in points.items()}
            if any(p < 0 for p in points.values()):
                fail(doc, path + ("points",), "points must not be negative")
        else:
            points = as_number(doc, path + ("points",), points)
            if points < 0:
                fail(doc, path + ("points",), "points must not be negative")
        tolerance = (parse_tolerance(doc, path + ("tolerance",), item["tolerance"])
                     if "tolerance" in item else None)
        text = item.get("text", "")
        if not isinstance(text, str):
            fail(doc, path + ("text",), f"question `text` must be text, not {describe(text)}")
        changes = {}
        if "set" in item:
            for name, expr in _mapping(doc, path + ("set",), item["set"]).items():
                _identifier(doc, path + ("set", name), name)
                if isinstance(expr, (int, float)) and not isinstance(expr, bool):
                    expr = str(as_number(doc, path + ("set", name), expr))
                if not isinstance(expr, str):
                    fail(doc, path + ("set", name), f"`set.{name}` must be an expression, "
                                                    f"not {describe(expr)}")
                changes[name] = expr
        questions.append(Question(qid, text, tuple(ask), points, tolerance, doc.line(*path),
                                  changes))
    return tuple(questions)


def _follow_through(doc, value):
    if value is False or value is True:
        return value
    spec = _mapping(doc, ("follow_through",), value)
    for key in spec:
        if key != "credit":
            fail(doc, ("follow_through", key), f"unknown key `{key}` (follow_through takes `credit`)")
    credit = as_number(doc, ("follow_through", "credit"), spec.get("credit", 1.0))
    if not 0 <= credit <= 1:
        fail(doc, ("follow_through", "credit"), "`follow_through.credit` must be from 0 to 1")
    return {"credit": credit}


def _name_list(doc, key, value) -> tuple:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        fail(doc, (key,), f"`{key}` must be a list of parameter names, not {describe(value)}")
    return tuple(_identifier(doc, (key, i), n) for i, n in enumerate(value))


def parse_loss(text, *, at="all", mean=False, file=None, line=None) -> LossSpec:
    """Returns the LossSpec of a loss expression (a `loss:` entry or `--loss EXPR`)."""
    from rnncli.errors import EquationError
    from rnncli.language.equations import parse_expression

    try:
        expr = parse_expression(text, equation="loss")
    except EquationError as exc:
        exc.message = f"`loss`: {exc.message}"
        raise exc.located(file, line) from None
    return LossSpec(each=" ".join(text.split()), expr=expr, at=at, mean=mean, line=line)


def _loss(doc, value) -> LossSpec:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(as_number(doc, ("loss",), value))
    if isinstance(value, str):
        return parse_loss(value, file=doc.file, line=doc.line("loss"))
    spec = _mapping(doc, ("loss",), value)
    reject_unknown_keys(doc, ("loss",), spec, LOSS_KEYS, what="loss key")
    if "each" not in spec:
        fail(doc, ("loss",), "`loss` needs `each`: the loss at one step, such as "
                             "0.5 * (y - target) ** 2")
    each = spec["each"]
    if isinstance(each, (int, float)) and not isinstance(each, bool):
        each = str(as_number(doc, ("loss", "each"), each))
    if not isinstance(each, str):
        fail(doc, ("loss", "each"), f"`loss.each` must be an expression, not {describe(each)}")
    at = spec.get("at", "all")
    if isinstance(at, int) and not isinstance(at, bool):
        at = [at]
    if isinstance(at, list):
        if not at or not all(isinstance(t, int) and not isinstance(t, bool) for t in at):
            fail(doc, ("loss", "at"), "`loss.at` must be `all`, `last` or a list of steps such as [3]")
        at = tuple(at)
    elif at not in ("all", "last"):
        fail(doc, ("loss", "at"), f"`loss.at` must be `all`, `last` or a list of steps, not "
                                  f"{describe(at)}")
    mean = spec.get("mean", False)
    if not isinstance(mean, bool):
        fail(doc, ("loss", "mean"), f"`loss.mean` must be true or false, not {describe(mean)}")
    return parse_loss(each, at=at, mean=mean, file=doc.file,
                      line=doc.line("loss", "each") or doc.line("loss"))


def _name_mapping(doc, key, value) -> dict:
    """Returns a mapping name -> name (`teacher_forcing: {y: target}`)."""
    mapping = {}
    for name, other in _mapping(doc, (key,), value).items():
        _identifier(doc, (key, name), name)
        if not isinstance(other, str):
            fail(doc, (key, name), f"`{key}.{name}` must name an input, not {describe(other)}")
        mapping[name] = _identifier(doc, (key, name), other)
    return mapping


def _check_varied_names(doc, problem: Problem) -> None:
    """Fails unless every varied name has a value in its section (the value gives its shape)."""
    for r in problem.vary.ranges:
        if r.name not in getattr(problem, r.section):
            given = ", ".join(getattr(problem, r.section)) or "none"
            fail(doc, ("vary", r.section, r.name),
                 f"`vary.{r.section}.{r.name}`: the problem gives no `{r.section}.{r.name}` to vary "
                 f"({r.section} given: {given}); a variant changes numbers the file already has")


def problem_level(problem: Problem) -> str:
    """Returns what a problem can do: `trace`, `shapes` or `symbolic`."""
    if problem.params or problem.inputs:
        return "trace"
    if problem.sizes:
        return "shapes"
    return "symbolic"
