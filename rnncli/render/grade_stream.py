"""StudentGrades, one at a time as they are graded -> a batch's JSON or Markdown report and gradebook.

A batch's report used to be written from every StudentGrade held to the
end: for a class answering 64-entry vectors at 50 steps that is hundreds of
megabytes of arrays, and the JSON document built as Python lists on top.
Here each result is written as soon as it is graded into a spool (memory
for small batches, a temporary file beyond `SPOOL_BYTES`), and only what the
class summary and the gradebook need is kept (`SummaryTally`,
`GradebookLine`: scores and points, no values). The report comes out at the
end, the summary first as before: the very bytes `grades_document` and
`render_markdown` give for the same results (tests compare them).
"""
from __future__ import annotations

import dataclasses
import re
import secrets
import tempfile
from collections import OrderedDict
from json.encoder import encode_basestring
from dataclasses import dataclass

from rnncli.grading.summary import SummaryTally, Tallied
from rnncli.render.gradebook import GradebookLine, gradebook_csv
from rnncli.render.json_document import dumps, plain

SPOOL_BYTES = 8 * 1024 * 1024
WRITE_BYTES = 1024 * 1024      # results are written into the spool this much at a time
STREAMED_FORMATS = ("json", "markdown")


class BatchReport:
    """The report of a batch written as its results come: `add` each, then `write`."""

    def __init__(self, problem: str | None, output_format: str, precision: int = 4):
        if output_format not in STREAMED_FORMATS:
            raise ValueError(output_format)
        self.problem = problem
        self.format = output_format
        self.precision = precision
        self.tally = SummaryTally()
        self.lines: list[GradebookLine] = []
        self.errors: list[str] = []
        self.lost_points = False
        # UTF-8 bytes throughout: a result is encoded once, where it is graded, and its
        # bytes go through the spool to the output untouched (a 10,000-file class is 35 MB).
        self.spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+b")
        # Gathered and written a megabyte at a time: two writes a result (its separator,
        # its text) cost the main process a tenth of its time for a class of 10,000.
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.ends_in_newline = False

    def add(self, result) -> None:
        """Writes one StudentGrade into the report and keeps what the summary needs of it."""
        self.add_digest(digest(self.format, self.precision, result))

    def add_digest(self, digested: "Digest") -> None:
        """Writes one result's Digest (made here, or in the process that graded it)."""
        first = not self.lines
        tallied, line, body = digested.tallied, digested.line, digested.body
        self.tally.add_tallied(tallied)
        self.lines.append(line)
        if tallied.error:
            self.errors.append(tallied.error)
        self.lost_points = self.lost_points or tallied.score < tallied.max_score
        if not first:
            self._pending.append(b", " if self.format == "json" else b"\n")
        self._pending.append(body)
        self._pending_bytes += len(body) + 2
        if self._pending_bytes >= WRITE_BYTES:
            self._flush()
        if self.format != "json":
            self.ends_in_newline = body.endswith(b"\n")

    @property
    def exit_code(self) -> int:
        """Returns 2 if an answers file could not be read, 1 if points were lost, else 0."""
        return 2 if self.errors else 1 if self.lost_points else 0

    def csv_text(self) -> str:
        """Returns the gradebook of every result added (`gradebook.csv_text` of the report)."""
        return gradebook_csv(self.lines, self.tally.questions)

    def write(self, echo) -> None:
        """Writes the report through `echo(text)`, a piece at a time (str, or the results'
        UTF-8 bytes), and closes the spool."""
        from rnncli.render.grade import grades_frame, markdown_summary, summary_lines

        summary = self.tally.summary()
        if self.format == "json":
            frame = dumps(grades_frame(self.problem, self.tally.questions, summary)
                          | {"results": []})
            echo(frame[:-len("]}")])
            self._copy(echo)
            echo("]}\n")
            return
        self._copy(echo)
        if len(self.lines) > 1:
            from rnncli.grading.results import GradeReport

            lines = summary_lines(GradeReport(self.problem, ()), summary)
            text = "\n".join(markdown_summary(lines))
            echo("\n" + text)
            self.ends_in_newline = text.endswith("\n")
        if not self.ends_in_newline:
            echo("\n")

    def _flush(self) -> None:
        self.spool.write(b"".join(self._pending))
        self._pending = []
        self._pending_bytes = 0

    def _copy(self, echo) -> None:
        self._flush()
        self.spool.seek(0)
        while True:
            chunk = self.spool.read(1 << 20)
            if not chunk:
                break
            echo(chunk)
        self.spool.close()


@dataclass(frozen=True)
class Digest:
    """All a streamed report keeps of one result: its text (UTF-8 bytes), gradebook line and
    summary facts. A grading worker sends this, not the StudentGrade with its arrays."""
    body: bytes
    line: GradebookLine
    tallied: Tallied

    def __reduce__(self):
        # Sent from a worker as plain tuples: a fifth of the pickling cost of three objects.
        return (_digest_of, (self.body, tuple(getattr(self.line, n) for n in _LINE_FIELDS),
                             tuple(getattr(self.tallied, n) for n in _TALLIED_FIELDS)))


def _digest_of(body: bytes, line: tuple, tallied: tuple) -> Digest:
    return Digest(body, GradebookLine(*line), Tallied(*tallied))


_LINE_FIELDS = tuple(f.name for f in dataclasses.fields(GradebookLine))
_TALLIED_FIELDS = tuple(f.name for f in dataclasses.fields(Tallied))


def digest(output_format: str, precision: int, result) -> Digest:
    """Returns the Digest of one StudentGrade for a report in `output_format`."""
    points = result.question_points()
    return Digest(result_body(output_format, precision, result), GradebookLine.of(result, points),
                  Tallied.of(result, points))


def result_body(output_format: str, precision: int, result) -> bytes:
    """Returns result_text in UTF-8 (a shared result's JSON is kept in UTF-8 already)."""
    if output_format == "json":
        return _json_body(result)
    return result_text(output_format, precision, result).encode("utf-8")


def result_text(output_format: str, precision: int, result) -> str:
    """Returns one result's part of a streamed report: its JSON, or its Markdown section."""
    if output_format == "json":
        return result_json(result)
    from rnncli.render.grade import markdown_section

    return "\n".join(markdown_section(result, precision))


# A value's stand-in while the rest of a result goes through `dumps`: a control
# character (written \u0000, which no other string of the document can become
# without containing this process's random token) around the value's number.
_TOKEN = secrets.token_hex(8)
_STAND_IN = re.compile(r'"\\u0000' + _TOKEN + r':([0-9]+)\\u0000"')


_IDENTITY = ("student", "student_id", "file")
_IDENTITY_STAND_INS = {name: f"\x00{_TOKEN}:{name}\x00" for name in _IDENTITY}
_IDENTITY_JSON = {name: dumps(text) for name, text in _IDENTITY_STAND_INS.items()}


class SharedTexts:
    """The JSON of results marked once and shared by files with the same answers (grading/
    answers_memo.py), with stand-ins for what differs (student, id, file).

    Kept as UTF-8 pieces cut at the stand-ins, so that a file's result is its
    own name, id and file joined between them: neither the whole text searched
    nor encoded again for each of a class's files. Keyed by id(items), the
    items held so that the id stays theirs; the least recently used out first,
    bounded by count and by size. A class repeats a few answer sets; a result
    seen once (noise) passes through and is soon forgotten.
    """

    def __init__(self, entries: int = 256, chars: int = 8 * 1024 * 1024):
        self.entries = entries
        self.chars = chars          # bytes; a result of 50 answers of 64 entries is 200 KB
        # id -> (items, fields, pieces, the identity names between them, size)
        self._texts: OrderedDict[int, tuple] = OrderedDict()
        self._size = 0

    def body(self, result) -> bytes:
        """Returns `dumps(grade_document(result))` in UTF-8, from the shared pieces if any."""
        fields = (result.problem, result.status, result.error, result.score, result.max_score,
                  result.questions, result.not_graded, result.sheet_diagnosis, result.variant)
        key = id(result.items)
        found = self._texts.get(key)
        if found is None or found[0] is not result.items or found[1] != fields:
            text = _result_json(dataclasses.replace(result, **_IDENTITY_STAND_INS))
            if any(text.count(stand_in) != 1 for stand_in in _IDENTITY_JSON.values()):
                return _result_json(result).encode("utf-8")
            found = (result.items, fields, *_cut_at_stand_ins(text))
            self._keep(key, found)
        else:
            self._texts.move_to_end(key)
        pieces, names = found[2], found[3]
        joined = [pieces[0]]
        for name, piece in zip(names, pieces[1:]):
            joined += (_json_value(getattr(result, name)).encode("utf-8"), piece)
        return b"".join(joined)

    @property
    def size(self) -> int:
        """Returns the bytes held."""
        return self._size

    def _keep(self, key: int, entry: tuple) -> None:
        old = self._texts.pop(key, None)
        self._size += entry[4] - (old[4] if old else 0)
        self._texts[key] = entry
        while len(self._texts) > self.entries or self._size > self.chars:
            self._size -= self._texts.popitem(last=False)[1][4]


def _cut_at_stand_ins(text: str) -> tuple:
    """Returns (UTF-8 pieces of text between the identity stand-ins, the names of the stand-ins
    in the order they come, the pieces' size) for a text holding each stand-in once."""
    order = sorted((text.index(stand_in), name, stand_in)
                   for name, stand_in in _IDENTITY_JSON.items())
    pieces, start = [], 0
    for position, _, stand_in in order:
        pieces.append(text[start:position].encode("utf-8"))
        start = position + len(stand_in)
    pieces.append(text[start:].encode("utf-8"))
    return tuple(pieces), tuple(name for _, name, _ in order), sum(map(len, pieces))


_SHARED = SharedTexts()


def _json_value(value) -> str:
    """Returns dumps(value): a string through json's own string encoder, as dumps does it
    (without building an encoder for each of a class's names, ids and files)."""
    return encode_basestring(value) if type(value) is str else dumps(value)


def result_json(result) -> str:
    """Returns `dumps(grade_document(result))`: once per set of answers shared by several files
    (the same items object), which then differ only in who wrote them and where."""
    return _json_body(result).decode("utf-8")


def _json_body(result) -> bytes:
    """Returns result_json in UTF-8."""
    if not result.items:
        return _result_json(result).encode("utf-8")
    return _SHARED.body(result)


def _result_json(result) -> str:
    """Returns `dumps(grade_document(result))`, its float vectors encoded by orjson.

    The same bytes (orjson's digits are repr's; its layout is turned into
    json's as in json_stream.py); only faster: a result of 50 answers of 64
    entries holds 9,600 numbers. Without orjson, or if anything is unusual
    (a NaN written as null, a stand-in found other than once), `dumps` itself.
    """
    from rnncli.render.grade import grade_document

    import numpy as np

    from rnncli.render.json_document import fast_json
    from rnncli.render.json_stream import array_json

    if fast_json() is None:         # missing, or writing numbers otherwise: `dumps` itself
        return dumps(grade_document(result))

    vectors: list = []

    def stand_in(value):
        if (type(value) is np.ndarray and value.ndim > 0 and value.dtype == np.float64
                and value.flags.c_contiguous):
            vectors.append(value)
            return f"\x00{_TOKEN}:{len(vectors) - 1}\x00"
        return plain(value)

    text = dumps(grade_document(result, stand_in))
    if not vectors:
        return text
    pieces = [array_json(v) for v in vectors]
    if None in pieces:              # a NaN or an infinity: dumps refuses them, as it must
        return dumps(grade_document(result))
    found: list = []

    def value_text(match) -> str:
        found.append(int(match.group(1)))
        return pieces[int(match.group(1))]

    text = _STAND_IN.sub(value_text, text)
    if sorted(found) != list(range(len(vectors))):
        return dumps(grade_document(result))
    return text
