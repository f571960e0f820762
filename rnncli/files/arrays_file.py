"""`params_file:` and `inputs_file:` -> validated float64 arrays from numpy's .npz format.

For networks whose weights come from a training run (`np.savez("weights.npz",
W_i=..., ...)`) and for problems beyond the YAML size limit. The file is read
with `allow_pickle=False` (an object array is refused, never unpickled); its
path is relative to the problem file and may not leave the problem's folder;
its size, and every array's size read from its header before the array is
loaded, are bounded. Each array then passes the checks of an inline value
(real, finite, at most 1e9 in magnitude, a number, vector or matrix) with the
same messages, at the line of the `params_file` or `inputs_file` key.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from rnncli.files.values import MAX_MAGNITUDE, as_number, fail, key_name
from rnncli.files.yaml_source import Document

MAX_FILE_BYTES = 1024 * 1024 * 1024         # 1 GiB on disk
MAX_ENTRIES = 64 * 1024 * 1024              # 64 Mi numbers in all (512 MiB of float64)


def resolve(doc: Document, key: str, value) -> Path:
    """Returns the path of an arrays file named relative to the problem, or fails saying why not."""
    if not isinstance(value, str) or not value.strip():
        fail(doc, (key,), f"`{key}` must be the name of a .npz file beside the problem, "
                          f"not {_describe(value)}")
    relative = Path(value)
    if relative.is_absolute():
        fail(doc, (key,), f"`{key}` must be a path relative to the problem file, not {value!r}")
    base = Path(doc.file).resolve().parent if doc.file not in ("<stdin>", "<string>") \
        else Path.cwd().resolve()
    path = (base / relative).resolve()
    if base != path and base not in path.parents:
        fail(doc, (key,), f"`{key}` {value!r} leaves the problem's folder; put the file beside "
                          "the problem or in a folder under it")
    if not path.is_file():
        fail(doc, (key,), f"`{key}`: no such file {value!r} (looked in {base})")
    if path.stat().st_size > MAX_FILE_BYTES:
        fail(doc, (key,), f"`{key}` {value!r} is larger than {MAX_FILE_BYTES // 1024 ** 3} GiB")
    return path


def load_arrays(doc: Document, key: str, section: str) -> dict:
    """Returns {name: float64 array} of the .npz file named by `key`, each array checked.

    `section` (`params` or `inputs`) names the arrays in messages, as inline
    values are named: `params.W_f[2][1]`.
    """
    import numpy as np

    path = resolve(doc, key, doc.data[key])
    line = doc.line(key)
    arrays = {}
    with path.open("rb") as handle:
        magic = handle.read(6)
    if magic == b"\x93NUMPY":
        fail(doc, (key,), f"`{key}` must be a .npz file of named arrays (np.savez), "
                          "not a single .npy array")
    if not zipfile.is_zipfile(path):
        fail(doc, (key,), f"`{key}` {doc.data[key]!r}: not a .npz file (numpy's np.savez format)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            _check_headers(doc, key, archive)
            for name in archive.files:
                doc.lines.setdefault((section, name), line)
                arrays[name] = archive[name]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        # Object arrays are refused by their headers first; allow_pickle=False is the backstop.
        fail(doc, (key,), f"`{key}` {doc.data[key]!r}: not a readable .npz file "
                          f"({exc.__class__.__name__})")
    return {name: checked(doc, (section, name), array) for name, array in arrays.items()}


def _check_headers(doc: Document, key: str, archive) -> None:
    """Fails before loading when the arrays' headers promise more numbers than the limit."""
    import numpy as np

    total = 0
    for member in archive.zip.infolist():
        with archive.zip.open(member) as handle:
            version = np.lib.format.read_magic(handle)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = header(handle)
        if dtype.hasobject:
            fail(doc, (key,), f"`{key}` {doc.data[key]!r}: it holds Python objects "
                              "(refused: arrays of numbers only)")
        count = 1
        for n in shape:
            count *= n
        total += count
        if total > MAX_ENTRIES:
            fail(doc, (key,), f"`{key}` {doc.data[key]!r} holds more than {MAX_ENTRIES} numbers")


def checked(doc: Document, path: tuple, array):
    """Returns a loaded array as float64 after the checks of an inline value, or fails."""
    import numpy as np

    name = key_name(path)
    if array.dtype.kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers", "U": "text", "S": "bytes"}.get(
            array.dtype.kind, f"{array.dtype} values")
        fail(doc, path, f"`{name}` must hold real numbers, not {what}")
    if array.size == 0:
        fail(doc, path, f"`{name}` is an empty list; expected numbers")
    if array.ndim > 2 and path[0] != "inputs":     # inputs: input_steps says what a step is
        fail(doc, path, f"`{name}` is nested too deeply; a matrix is a list of rows of numbers")
    values = array.astype(float)
    # One comparison: NaN fails it too. An int above 1e9 stays above as a float.
    bad = ~(np.abs(values) <= MAX_MAGNITUDE)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        entry = array[index].item()
        as_number(doc, path + index, entry)      # words the problem as for an inline value
    return values


def input_steps(doc: Document, name: str, array, max_steps: int) -> tuple:
    """Returns the per-step values of an input array: rows of a matrix, entries of a vector."""
    if array.ndim not in (1, 2):
        fail(doc, ("inputs", name), f"`inputs.{name}`: every step must be a number or a "
                                    "vector of the same length")
    if len(array) > max_steps:
        fail(doc, ("inputs", name), f"`inputs.{name}` has more than {max_steps} steps")
    if array.ndim == 1:
        return tuple(array[i, ...] for i in range(len(array)))
    return tuple(array)


def _describe(value) -> str:
    from rnncli.files.values import describe

    return describe(value)
