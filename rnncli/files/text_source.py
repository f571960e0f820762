"""A file (or standard input) -> its text: a regular file, within the size limit, UTF-8.

The first stage of reading any rnncli file, before YAML: what may be opened
(never a FIFO, device or directory), how much is read (the limit is checked
before a byte is), and which bytes are text (UTF-8; UTF-16/32, NUL bytes and
invalid sequences are refused with their line).
"""
from __future__ import annotations

import codecs
import os
import stat

from rnncli.errors import InputFileError

# Far above any exercise (a 64-unit LSTM with its weights and 1,000 inputs is 300 KiB;
# bigger arrays come in params_file/inputs_file), and read in well under a second.
MAX_BYTES = 512 * 1024
STDIN_NAME = "<stdin>"          # how every message and report names standard input (`-`)


def read_text(path: str) -> tuple[str, str]:
    """Returns (text, display name) of a file, or of standard input for `-`.

    Only a regular file is opened: a directory, FIFO, socket or device is refused
    from its `stat` alone (a FIFO would block the reader forever), and a file over
    the size limit is refused before a byte of it is read.
    """
    if path == "-":
        return decode(_read_stdin(), STDIN_NAME), STDIN_NAME
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError("no such file", file=name) from None
    except NotADirectoryError:
        raise InputFileError("no such file (a part of the path is not a directory)",
                             file=name) from None
    except PermissionError:
        raise InputFileError("permission denied", file=name) from None
    except (OSError, ValueError) as exc:   # a name too long, a loop of links, a NUL in the name
        raise InputFileError(f"cannot read the file ({_reason(exc)})", file=name) from None
    _require_regular(info.st_mode, name)
    if info.st_size > MAX_BYTES:
        raise InputFileError(f"file is larger than {mib(MAX_BYTES)}", file=name)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does
        # not wait for a writer, and the fstat below refuses it.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise InputFileError("permission denied", file=name) from None
    except OSError as exc:
        raise InputFileError(f"cannot read the file ({_reason(exc)})", file=name) from None
    try:
        opened = os.fstat(descriptor)
        _require_regular(opened.st_mode, name)
        # Read what the file holds (and a byte more), not the limit: a read of MAX_BYTES
        # allocates that much first, which cost a class of small files more than parsing.
        # (From the descriptor itself: a buffered file object around it cost half as much
        # again as the reading.)
        raw = _read_up_to(descriptor, min(opened.st_size, MAX_BYTES) + 1)
        if len(raw) > opened.st_size:       # it grew since: read on, up to the limit
            raw += _read_up_to(descriptor, MAX_BYTES + 1 - len(raw))
    except OSError as exc:
        raise InputFileError(f"cannot read the file ({_reason(exc)})", file=name) from None
    finally:
        os.close(descriptor)
    return decode(raw, name), name


def _read_up_to(descriptor: int, size: int) -> bytes:
    """Returns `size` bytes read from a descriptor, or fewer where the file ends."""
    chunks = []
    while size > 0:
        chunk = os.read(descriptor, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_stdin() -> bytes:
    """Returns up to MAX_BYTES + 1 bytes of standard input; refuses a closed one."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputFileError("standard input is closed; give a file name instead of -",
                             file=STDIN_NAME)
    try:
        return stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:    # `rnncli trace - <&-`: fd 0 is not open
        raise InputFileError(f"cannot read standard input ({_reason(exc)}); give a file "
                             "name instead of -", file=STDIN_NAME) from None


_NOT_REGULAR = ((stat.S_ISDIR, "is a directory, not a YAML file"),
                (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
                (stat.S_ISSOCK, "is a socket, not a regular file"),
                (stat.S_ISCHR, "is a device, not a regular file"),
                (stat.S_ISBLK, "is a device, not a regular file"))


def _require_regular(mode: int, name: str) -> None:
    for test, message in _NOT_REGULAR:
        if test(mode):
            raise InputFileError(message, file=name)
    if not stat.S_ISREG(mode):
        raise InputFileError("is not a regular file", file=name)


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def mib(size: int) -> str:
    """Returns a size as messages write it: `512 KiB`, `16 MiB`."""
    return f"{size // (1024 * 1024)} MiB" if size >= 1024 * 1024 else f"{size // 1024} KiB"


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode(raw: bytes, name: str) -> str:
    """Returns the text of UTF-8 bytes, refusing oversized, binary or other-encoding input."""
    if len(raw) > MAX_BYTES:
        raise InputFileError(f"file is larger than {mib(MAX_BYTES)}", file=name)
    encoding = _other_encoding(raw)
    if encoding:
        raise InputFileError(f"the file is {encoding} text; rnncli reads UTF-8 (save it as "
                             "UTF-8 in your editor)", file=name, line=1)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputFileError("binary data (a NUL byte), not YAML text", file=name, line=line)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError("not UTF-8 text", file=name, line=line) from None


def _other_encoding(raw: bytes) -> str | None:
    """Returns `UTF-16` or `UTF-32` when the bytes look like that (a BOM, or the NUL
    pattern of ASCII text in it), else None."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return encoding
    head = raw[:64]
    if len(head) >= 4 and b"\x00" in head:
        if head[1:4] == b"\x00\x00\x00" or head[0:3] == b"\x00\x00\x00":
            return "UTF-32"
        even, odd = head[0::2], head[1::2]
        if odd.count(0) == len(odd) and 0 not in even or even.count(0) == len(even) and 0 not in odd:
            return "UTF-16"
    return None
