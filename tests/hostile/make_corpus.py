"""Writes the stored part of the hostile corpus (tests/hostile/problems, tests/hostile/answers).

    python tests/hostile/make_corpus.py

The files are committed; this script documents where each came from and can
write them again. Files too big to store (over the size limit, 10,001 steps, a
file of junk answers) are made at test time by fixtures in tests/test_hostile.py.
Every file is something an attacker, a fuzzer or a careless editor could hand
to rnncli; each must end in a result or one `Error: FILE:LINE:` line.
"""
from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent

GOOD_HEAD = """cell: lstm
convention: goodfellow
equations:
  h: relu(s) * q
  y: sigmoid(h * V + c)
"""
GOOD_PARAMS = """params:
  U_g: 0.3
  W_g: -0.3
  b_g: 0.1
  U_f: 0.25
  W_f: 0.3
  b_f: 0
  U_q: 0.4
  W_q: 0.3
  b_q: 0.2
  U: 0.01
  W: 0.1
  b: 1
  V: 5
  c: -1
initial: {h: 0, s: 0}
"""
GOOD_INPUTS = "inputs:\n  x: [0.7, 0.5, 0.7]\n"
QUESTIONS = "questions:\n  - id: a\n    ask: [s, h, y]\n    points: 9\n"
GOOD = GOOD_HEAD + GOOD_PARAMS + GOOD_INPUTS


def rnn(extra: str = "", steps: str = "steps: 3\n") -> str:
    return "equations:\n  h: tanh(h[t-1] + 1)\n" + extra + steps


def nested_concat(levels: int, width: int = 10) -> str:
    lines = ["equations:"]
    prev = "h[t-1]"
    for i in range(levels):
        name = f"c{i}"
        lines.append(f'  {name}: "[' + ", ".join([prev] * width) + ']"')
        prev = name
    lines.append("  h: tanh(h[t-1] + 1)")
    return "\n".join(lines) + "\nsizes: {h: 10}\nsteps: 3\n"


PROBLEMS: dict[str, bytes | str] = {
    # ---- YAML structure and encoding ---------------------------------------------------------
    "alias-bomb.yaml": "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)),
    "alias-bomb-mapping.yaml": "a: &a {x: 1, y: 2, z: 3}\n" + "".join(
        f"b{i}: &b{i} [" + ", ".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 12) + "]\n"
        for i in range(8)),
    "deep-flow.yaml": "params: {W: " + "[" * 500 + "]" * 500 + "}\n",
    "deep-block.yaml": "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n",
    "deep-mapping-flow.yaml": "a: " + "{b: " * 80 + "1" + "}" * 80 + "\n",
    "long-key.yaml": "? " + "k" * 12_000 + "\n: 1\n",
    "two-documents.yaml": GOOD + "---\ncell: gru\n",
    "python-tag.yaml": 'cell: !!python/object/apply:os.system ["echo pwned"]\n',
    "python-name-tag.yaml": "cell: !!python/name:os.system\n",
    "custom-tag.yaml": "cell: !lstm lstm\n",
    "tag-on-mapping.yaml": "params: !!python/object:collections.OrderedDict {a: 1}\n",
    "binary-tag.yaml": "title: !!binary aGVsbG8=\ncell: lstm\n",
    "set-tag.yaml": "fixed: !!set {a, b}\ncell: lstm\n",
    "timestamp-tag.yaml": "title: !!timestamp 2001-12-14\ncell: lstm\n",
    "duplicate-key.yaml": "cell: lstm\ncell: gru\n",
    "duplicate-param.yaml": GOOD_HEAD + "params:\n  V: 5\n  V: 6\n",
    "merge-key.yaml": "base: &b {cell: lstm}\n<<: *b\n",
    "control-character.yaml": "title: a\x1b[2Jb\ncell: lstm\n",
    "bell-in-key.yaml": "cell: lstm\nti\x07tle: x\n",
    "nul-byte.yaml": b"cell: lstm\ntitle: a\x00b\n",
    "invalid-utf8.yaml": b"cell: lstm\ntitle: caf\xe9\n",
    "utf16-le-bom.yaml": codecs.BOM_UTF16_LE + "cell: lstm\n".encode("utf-16-le"),
    "utf16-be-bom.yaml": codecs.BOM_UTF16_BE + "cell: lstm\n".encode("utf-16-be"),
    "utf16-no-bom.yaml": "cell: lstm\n".encode("utf-16-le"),
    "utf32-bom.yaml": codecs.BOM_UTF32_LE + "cell: lstm\n".encode("utf-32-le"),
    "utf32-no-bom.yaml": "cell: lstm\n".encode("utf-32-be"),
    "empty.yaml": "",
    "only-comments.yaml": "# nothing here\n# at all\n",
    "top-level-list.yaml": "- cell: lstm\n",
    "top-level-scalar.yaml": "lstm\n",
    "not-yaml.yaml": "cell: [lstm\n",
    "tabs.yaml": "cell:\tlstm\nparams:\n\tW: 1\n",
    "unknown-key-escape.yaml": "cell: lstm\n\"\\e]0;owned\\a\": 1\n",
    "bidi-key.yaml": "cell: lstm\n\"par\u202eams\": {}\n",
    "bidi-title.yaml": GOOD.replace("cell: lstm", "title: \"\u202eevil\u202c\"\ncell: lstm"),
    "escape-title.yaml": GOOD.replace("cell: lstm", "title: \"\\e]0;owned\\a\\e[2J\"\ncell: lstm"),
    "html-title.yaml": GOOD.replace("cell: lstm", "title: \"<script>alert(1)</script>\"\ncell: lstm"),
    "crlf.yaml": GOOD.replace("\n", "\r\n"),
    "cr-only.yaml": GOOD.replace("\n", "\r"),
    "bom-utf8.yaml": "\ufeff" + GOOD,
    "zero-width-name.yaml": GOOD_HEAD + GOOD_PARAMS.replace("  V: 5", "  V\u200b: 5") + GOOD_INPUTS,
    "unicode-name.yaml": "equations:\n  h\u00e9: tanh(x)\ninputs: {x: [1]}\n",
    # ---- numbers ---------------------------------------------------------------------------------
    "int-4301-digits-param.yaml": GOOD.replace("  V: 5", "  V: " + "9" * 4301),
    "int-4301-digits-steps.yaml": rnn(steps="steps: " + "9" * 4301 + "\n"),
    "int-4301-digits-size.yaml": rnn("sizes: {h: " + "9" * 4301 + "}\n"),
    "hex-huge.yaml": GOOD.replace("  V: 5", "  V: 0x" + "f" * 3000),
    "float-overflow.yaml": GOOD.replace("  V: 5", "  V: 1e400"),
    "nan-param.yaml": GOOD.replace("  V: 5", "  V: .nan"),
    "inf-input.yaml": GOOD.replace("[0.7, 0.5, 0.7]", "[0.7, .inf, 0.7]"),
    "steps-zero.yaml": rnn(steps="steps: 0\n"),
    "steps-negative.yaml": rnn(steps="steps: -3\n"),
    "steps-bool.yaml": rnn(steps="steps: true\n"),
    "steps-float.yaml": rnn(steps="steps: 2.5\n"),
    "steps-over-limit.yaml": rnn(steps="steps: 1001\n"),
    "steps-million.yaml": rnn(steps="steps: 1000000\n"),
    "layers-huge.yaml": "cell: lstm\nsizes: {input: 2, hidden: 2}\nlayers: 1000000000\n",
    "proj-size-huge.yaml": "cell: lstm\nconvention: pytorch\nsizes: {input: 2, hidden: 2}\nproj_size: 99999999999\n",
    "time-start-2.yaml": rnn("time_start: 2\n"),
    "ragged-matrix.yaml": "equations:\n  h: tanh(W @ x)\nparams: {W: [[1, 2], [3]]}\ninputs: {x: [[1, 2]]}\n",
    "empty-matrix.yaml": "equations:\n  h: tanh(W @ x)\nparams: {W: []}\ninputs: {x: [[1, 2]]}\n",
    "matrix-of-maps.yaml": "equations:\n  h: tanh(W @ x)\nparams: {W: [{a: 1}]}\ninputs: {x: [[1, 2]]}\n",
    "tolerance-negative.yaml": GOOD + QUESTIONS + "tolerance: {rel: -1}\n",
    "follow-through-odd.yaml": GOOD + QUESTIONS + "follow_through: {credit: 7}\n",
    # ---- trace sizes (the MemoryError) -------------------------------------------------------
    "size-million-steps-300.yaml": rnn("sizes: {h: 1000000}\n", "steps: 300\n"),
    "size-100k-steps-300.yaml": rnn("sizes: {h: 100000}\n", "steps: 300\n"),
    "size-10k-steps-1000.yaml": rnn("sizes: {h: 10000}\n", "steps: 1000\n"),
    "size-one-quantity-over.yaml": rnn("sizes: {h: 100001}\n", "steps: 1\n"),
    "nested-concat-4.yaml": nested_concat(4),
    "nested-concat-8.yaml": nested_concat(8),
    "nested-concat-wide.yaml": nested_concat(3, width=200),
    "size-count-only-huge.yaml": "cell: lstm\nsizes: {input: 1000000, hidden: 1000000}\n",
    "jacobian-huge-state.yaml": "equations:\n  h: tanh(h[t-1] + x)\nsizes: {h: 100000}\n"
                                "inputs: {x: [1, 1]}\nloss: sum(h)\n",
    "loss-junk.yaml": GOOD + "loss: \"__import__('os')\"\n",
    "size-huge-with-params.yaml": "equations:\n  h: tanh(W @ h[t-1])\nsizes: {h: 1000000}\nparams: {W: 1}\nsteps: 2\n",
    # ---- equations ----------------------------------------------------------------------------------
    "eq-if-else.yaml": "equations:\n  h: 1if x else x\ninputs: {x: [1]}\n",
    "eq-syntax-warning-is.yaml": "equations:\n  h: x is 1\ninputs: {x: [1]}\n",
    "eq-import.yaml": "equations:\n  h: __import__('os').system('echo pwned')\ninputs: {x: [1]}\n",
    "eq-lambda.yaml": "equations:\n  h: (lambda: 1)()\ninputs: {x: [1]}\n",
    "eq-attribute.yaml": "equations:\n  h: x.real\ninputs: {x: [1]}\n",
    "eq-fstring.yaml": "equations:\n  h: f'{x}'\ninputs: {x: [1]}\n",
    "eq-walrus.yaml": "equations:\n  h: (y := x)\ninputs: {x: [1]}\n",
    "eq-comprehension.yaml": "equations:\n  h: sum([x for x in [1]])\ninputs: {x: [1]}\n",
    "eq-deep-parens.yaml": "equations:\n  h: " + "(" * 1500 + "x" + ")" * 1500 + "\ninputs: {x: [1]}\n",
    "eq-deep-calls.yaml": "equations:\n  h: " + "tanh(" * 300 + "x" + ")" * 300 + "\ninputs: {x: [1]}\n",
    "eq-long.yaml": "equations:\n  h: " + " + ".join(["x"] * 3000) + "\ninputs: {x: [1]}\n",
    "eq-huge-literal.yaml": "equations:\n  h: x * " + "9" * 5000 + "\ninputs: {x: [1]}\n",
    "eq-power-overflow.yaml": "equations:\n  h: 10.0 ** 400 * x\ninputs: {x: [1]}\n",
    "eq-exp-overflow.yaml": "equations:\n  h: exp(1000 * x)\ninputs: {x: [1]}\n",
    "eq-lag-huge.yaml": "equations:\n  h: h[t-99999999999999999999] + x\ninputs: {x: [1]}\n",
    "eq-lag-100.yaml": "equations:\n  h: h[t-100] + x\ninputs: {x: [1]}\n",
    "eq-future.yaml": "equations:\n  h: h[t+1] + x\ninputs: {x: [1]}\n",
    "eq-fixed-step-huge.yaml": "equations:\n  h: h[" + "9" * 4301 + "] + x\ninputs: {x: [1]}\n",
    "eq-comment.yaml": "equations:\n  h: \"x # y\"\ninputs: {x: [1]}\n",
    "eq-newline.yaml": "equations:\n  h: \"x +\\n 1\"\ninputs: {x: [1]}\n",
    "eq-control.yaml": "equations:\n  h: \"x\\e[2J\"\ninputs: {x: [1]}\n",
    "eq-bidi.yaml": "equations:\n  h: \"x\u202e + 1\"\ninputs: {x: [1]}\n",
    "eq-cycle.yaml": "equations:\n  a: b\n  b: a\ninputs: {x: [1]}\n",
    "eq-dunder-name.yaml": "equations:\n  h: __class__\ninputs: {x: [1]}\n",
    "eq-unknown-function.yaml": "equations:\n  h: open(x)\ninputs: {x: [1]}\n",
    "eq-list.yaml": "equations:\n  h: [x, x]\ninputs: {x: [1]}\n",
    "eq-mapping.yaml": "equations:\n  h: {a: 1}\ninputs: {x: [1]}\n",
    "eq-shape-mismatch.yaml": "equations:\n  h: W @ x\nparams: {W: [[1, 2, 3]]}\ninputs: {x: [[1, 2]]}\n",
    # ---- questions ------------------------------------------------------------------------------------
    "ask-4301-digits.yaml": GOOD + "questions:\n  - ask: [\"h[" + "9" * 4301 + "]\"]\n",
    "ask-negative-step.yaml": GOOD + "questions:\n  - ask: [\"h[-5]\"]\n",
    "ask-junk.yaml": GOOD + "questions:\n  - ask: [\"" + "junk " * 1500 + "\"]\n",
    "ask-unknown-kind.yaml": GOOD + "questions:\n  - ask: [grad.W]\n",
    "ask-not-a-list.yaml": GOOD + "questions:\n  - ask: {a: 1}\n",
    "points-huge.yaml": GOOD + "questions:\n  - ask: [h]\n    points: 1e400\n",
    "points-negative.yaml": GOOD + "questions:\n  - ask: [h]\n    points: -1\n",
    "question-id-escape.yaml": GOOD + "questions:\n  - id: \"\\e]0;owned\\a\"\n    ask: [h]\n",
    "question-id-bidi.yaml": GOOD + "questions:\n  - id: \"a\u202eb\"\n    ask: [h]\n",
    "question-id-formula.yaml": GOOD + "questions:\n  - id: \"=HYPERLINK(\\\"http://x\\\")\"\n    ask: [h]\n",
    "question-id-duplicate.yaml": GOOD + "questions:\n  - id: a\n    ask: [h]\n  - id: a\n    ask: [s]\n",
    "question-id-long.yaml": GOOD + "questions:\n  - id: " + "q" * 500 + "\n    ask: [h]\n",
    "question-id-column.yaml": GOOD + "questions:\n  - id: total\n    ask: [h]\n  - id: question total\n    ask: [s]\n",
    "questions-not-list.yaml": GOOD + "questions: 7\n",
    # ---- stacked, read-out, conventions ----------------------------------------------------------
    "trace-bidirectional.yaml": GOOD + "bidirectional: true\n",
    "unknown-cell.yaml": "cell: \"\\e[31mlstm\"\n",
    "unknown-convention.yaml": "cell: lstm\nconvention: \"\u202epytorch\"\n",
    "output-unknown.yaml": "cell: lstm\noutput: \"<b>x</b>\"\n",
    "inputs-ragged.yaml": "equations:\n  h: tanh(x)\ninputs: {x: [1, [1, 2]]}\n",
    "inputs-empty.yaml": "equations:\n  h: tanh(x)\ninputs: {x: []}\n",
    "inputs-scalar.yaml": "equations:\n  h: tanh(x)\ninputs: {x: 1}\n",
}

ANSWERS_HEAD = "student: Test Student\nanswers:\n"


def answers(body: str, head: str = ANSWERS_HEAD) -> str:
    return head + body


ANSWERS: dict[str, bytes | str] = {
    "key-4301-digits.yaml": answers("  ? h[" + "9" * 4301 + "]\n  : 1\n"),
    "key-4301-digits-quoted.yaml": answers('  "y[' + "1" * 4301 + ']": 0.5\n'),
    "key-negative-huge.yaml": answers("  h[-" + "9" * 500 + "]: 1\n"),
    "key-junk-long.yaml": answers("  ? " + "z" * 9000 + "\n  : 1\n"),
    "key-escape.yaml": answers('  "h[1]\\e[2J": 1\n'),
    "key-bidi.yaml": answers('  "h[1]\u202e": 1\n'),
    "key-html.yaml": answers('  "<img src=x onerror=alert(1)>": 1\n'),
    "value-4301-digits.yaml": answers("  h[1]: " + "9" * 4301 + "\n"),
    "value-hex-huge.yaml": answers("  h[1]: 0x" + "f" * 3000 + "\n"),
    "value-overflow.yaml": answers("  h[1]: 1e400\n  h[2]: -1e400\n"),
    "value-nan.yaml": answers("  h[1]: .nan\n"),
    "value-nested.yaml": answers("  h[1]: [[[[1]]]]\n"),
    "value-mapping.yaml": answers("  h[1]: {a: 1}\n"),
    "value-long-text.yaml": answers("  h[1]: " + "x" * 9000 + "\n"),
    "value-escape-text.yaml": answers('  h[1]: "\\e]0;owned\\a\\e[2J"\n'),
    "value-bool.yaml": answers("  h[1]: true\n"),
    "value-wrong-shape.yaml": answers("  h[1]: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"),
    "sequence-wrong-length.yaml": answers("  h: [1, 2]\n"),
    "count-huge.yaml": answers("  params.total: " + "9" * 400 + "\n"),
    "count-junk.yaml": answers("  params.total: \"20,362\"\n"),
    "student-escape.yaml": answers("  h[1]: 0\n", 'student: "\\e]0;owned\\a\\e[2J\\e[3J"\nanswers:\n'),
    "student-bidi.yaml": answers("  h[1]: 0\n", 'student: "Alice \u202eevil\u202c"\nstudent_id: "s1\u202e23"\nanswers:\n'),
    "student-html.yaml": answers("  h[1]: 0\n", 'student: "<script>alert(1)</script>"\nanswers:\n'),
    "student-formula.yaml": answers("  h[1]: 0\n", 'student: "=cmd|\' /C calc\'!A0"\nstudent_id: "+1+1"\nanswers:\n'),
    "student-list.yaml": answers("  h[1]: 0\n", "student: [a, b]\nanswers:\n"),
    "student-too-long.yaml": answers("  h[1]: 0\n", "student: " + "a" * 300 + "\nanswers:\n"),
    "problem-absolute.yaml": "problem: /etc/passwd\nanswers:\n  h[1]: 0\n",
    "problem-parent.yaml": "problem: ../../../../../../etc/passwd\nanswers:\n  h[1]: 0\n",
    "problem-home.yaml": "problem: ~/.ssh/id_rsa\nanswers:\n  h[1]: 0\n",
    "problem-not-text.yaml": "problem: [a]\nanswers:\n  h[1]: 0\n",
    "problem-dev.yaml": "problem: /dev/zero\nanswers:\n  h[1]: 0\n",
    "alias-bomb.yaml": "answers:\n  h[1]: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"  x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
    "deep.yaml": "answers: " + "[" * 300 + "]" * 300 + "\n",
    "python-tag.yaml": 'answers: !!python/object/apply:os.system ["echo pwned"]\n',
    "answers-list.yaml": "answers: [1, 2, 3]\n",
    "answers-scalar.yaml": "answers: 7\n",
    "no-answers-key.yaml": "student: x\n",
    "unknown-key.yaml": "anwsers:\n  h[1]: 1\n",
    "empty.yaml": "",
    "nul-byte.yaml": b"answers:\n  h[1]: 0\x00\n",
    "invalid-utf8.yaml": b"student: \xff\xfe\xfd\nanswers:\n  h[1]: 0\n",
    "utf16.yaml": codecs.BOM_UTF16_LE + "answers:\n  h[1]: 0\n".encode("utf-16-le"),
    "utf32.yaml": codecs.BOM_UTF32_BE + "answers:\n  h[1]: 0\n".encode("utf-32-be"),
    "control-character.yaml": "answers:\n  h[1]: 0\x1b\n",
    "duplicate-key.yaml": "answers:\n  h[1]: 0\n  h[1]: 1\n",
    "duplicate-spelling.yaml": "answers:\n  h[1]: 0\n  h[ 1 ]: 1\n",
    "two-documents.yaml": "answers:\n  h[1]: 0\n---\nanswers: {}\n",
    "not-yaml.yaml": "answers: {h[1]: 0\n",
    "step-out-of-range.yaml": answers("  h[99999]: 1\n  h[0]: 1\n  h[-1]: 1\n"),
    "unknown-quantities.yaml": answers("".join(f"  q{i}[1]: 1\n" for i in range(200))),
}


def generated_problems() -> dict:
    """Returns the problem files too big to store, made at test time."""
    from rnncli.files.text_source import MAX_BYTES
    from rnncli.files.problem import MAX_STEPS

    values = ", ".join(["0.5"] * ((MAX_BYTES - 200) // 5))
    return {
        "long-scalar.yaml": "title: " + "x" * 20_000 + "\ncell: lstm\n",
        "ask-many.yaml": GOOD + "questions:\n  - ask: [" + ", ".join(
            f"\"h[{i}]\"" for i in range(1, 3000)) + "]\n",
        "over-size-limit.yaml": GOOD + "#" * MAX_BYTES,
        "fifteen-mb.yaml": "inputs:\n  x: [" + ", ".join(["0.5"] * 3_000_000) + "]\n",
        # Just under the size limit, every value read, then refused: the slowest refusal.
        "near-limit-unused-param.yaml": GOOD.replace("  V: 5", "  V: 5\n  Z: [" + values + "]"),
        "inputs-over-step-limit.yaml": "equations:\n  h: tanh(x + h[t-1])\ninputs:\n  x: ["
                                        + ", ".join(["0.5"] * (MAX_STEPS + 1)) + "]\n",
        "alias-bomb-wide.yaml": "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(
            ["*a"] * 5000) + "]\n",
    }


def generated_answers() -> dict:
    """Returns the answers files too big to store, made at test time."""
    from rnncli.files.text_source import MAX_BYTES

    return {
        "value-matrix-big.yaml": answers("  h[1]: [" + ", ".join(
            ["[" + ", ".join(["1"] * 300) + "]"] * 300) + "]\n"),
        "sequence-huge.yaml": answers("  h: [" + ", ".join(["0.1"] * 50_000) + "]\n"),
        "junk-answers-40k.yaml": answers("".join(f"  j{i}: 1\n" for i in range(40_000))),
        "junk-answers-over-size.yaml": answers("".join(f"  j{i}: 1\n" for i in range(150_000))),
        "over-size-limit.yaml": answers("  h[1]: 0\n") + "#" * MAX_BYTES,
    }


def write(directory: Path, files: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (directory / name).write_bytes(data)


if __name__ == "__main__":
    write(HERE / "problems", PROBLEMS)
    write(HERE / "answers", ANSWERS)
    print(f"{len(PROBLEMS)} problem files, {len(ANSWERS)} answers files")
