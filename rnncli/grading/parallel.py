"""Answers files -> their StudentGrades, graded by several processes, yielded in the files' order.

Files are independent, so a class is graded by one process per CPU: each
worker is forked from this process with its `Grader` (the problem read and
marked once, here; from then on each worker's caches and answers memo are
its own) and grades chunks of files. The results come back in the order the
files were given, with at most a few chunks per worker in flight, so memory
stays bounded by the chunks, not the class.

Each result can also be rendered where it was graded (`finish`, e.g. its JSON
text), which spreads the writing of a big report over the workers as well.
Rendering must not depend on which process does it; every grade is exactly
the one `Grader.grade` gives in this process (tests compare whole reports).

Nothing here can stop the batch: a worker that dies (killed, out of memory)
breaks the pool, and every chunk not yet returned is graded in this process.
Workers are forked, on Linux only: started in milliseconds, with the modules
already imported. Elsewhere the files are graded in this process.
"""
from __future__ import annotations

import gc
import os
import sys
from collections import deque

from rnncli.grading.batch import Grader

# A task is a chunk of files: about CHUNK_BYTES of answers (a report holds several times
# that), and at most CHUNK_FILES files. Sheet-sized files go 64 at a time, which makes a
# task's round trip cheap; a class answering 64-entry vectors at 50 steps, about 20.
CHUNK_FILES = 64
CHUNK_BYTES = 512 * 1024
IN_FLIGHT = 2           # tasks queued per worker: keeps workers busy, bounds results held
MIN_FILES = 64          # fewer files are graded in this process: a worker's start costs more
FILES_PER_JOB = 32      # and a worker gets at least this many
MAX_JOBS = 8
# A worker's cyclic garbage collector: grading makes many small objects and few cycles
# (a broken file's traceback), and collecting every 700 allocations cost a sixth of a
# class's time; what the worker inherited is frozen out of every collection.
WORKER_GC_THRESHOLD = 10_000
PARENT_CHECK_SECONDS = 0.5      # how often a worker checks that its main process is there

_worker: dict = {}      # in a worker: its Grader and finish function


def available_cpus() -> int:
    """Returns how many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # not Linux
        return os.cpu_count() or 1


def job_count(requested: int | None, files: int) -> int:
    """Returns how many processes grade `files` files: `requested` (--jobs), else one per CPU
    for a class (at least MIN_FILES files) and 1 for a handful of files."""
    if requested is not None:
        return max(1, min(requested, files))
    if files < MIN_FILES:
        return 1
    return max(1, min(available_cpus(), MAX_JOBS, files // FILES_PER_JOB))


def iter_graded(paths, problem_path: str | None = None, jobs: int = 1, debug: bool = False,
                finish=None):
    """Yields (StudentGrade, finish(result)) for each answers file, in order.

    `finish` is a module-level function (it runs in the workers). Where it
    made something, the StudentGrade may be None (a worker sends only what
    `finish` made); where it failed, its part is None, the StudentGrade is
    there, and the caller renders that result itself. The problem
    is read here first, so a problem that cannot be read raises before any
    worker starts, as `iter_grades` does.
    """
    grader = Grader(problem_path, sys.stderr if debug else None)
    paths = list(paths)
    context = _fork_context()
    if jobs <= 1 or len(paths) < 2 or context is None or "-" in paths or problem_path == "-":
        for path in paths:           # standard input can be read by one process only
            result = grader.grade(path)
            yield result, _finished(finish, result)
        return
    yield from _in_workers(paths, jobs, finish, grader, context)


def _in_workers(paths, jobs, finish, grader, context):
    import concurrent.futures
    import warnings

    size = chunk_size(paths)
    chunks = iter([paths[i:i + size] for i in range(0, len(paths), size)])
    pending: deque = deque()
    collecting = gc.get_threshold()
    # This process only receives results (many small objects, no cycles): collected less
    # often while they come, as in the workers; the caller's setting is restored after.
    gc.set_threshold(WORKER_GC_THRESHOLD, *collecting[1:])
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork in a process with threads may deadlock: the threads
        # are numpy's BLAS pool, which re-initialises itself in a forked child (atfork).
        warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        # Forked workers inherit this process's Grader (its problem read and marked once,
        # its pages shared until written) rather than building their own.
        pool = concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_start,
            initargs=(grader, finish, os.getpid()))
        try:
            broken = False

            def submit(chunk):
                nonlocal broken
                if not broken:
                    try:
                        return pool.submit(_grade_chunk, chunk)
                    except Exception:  # noqa: BLE001 - a broken pool: this process grades
                        broken = True
                return None

            for chunk in chunks:
                pending.append((chunk, submit(chunk)))
                if len(pending) >= jobs * IN_FLIGHT:
                    break
            while pending:
                chunk, future = pending.popleft()
                done = None
                if future is not None:
                    try:
                        done = future.result()
                    except Exception:  # noqa: BLE001 - a worker died: this process grades
                        broken = True
                if done is None:
                    done = [(result, _finished(finish, result))
                            for result in map(grader.grade, chunk)]
                following = next(chunks, None)
                if following is not None:
                    pending.append((following, submit(following)))
                yield from done
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.set_threshold(*collecting)


def chunk_size(paths) -> int:
    """Returns how many files a task holds: about CHUNK_BYTES of the first files' sizes."""
    sizes = []
    for path in paths[:16]:
        try:
            sizes.append(os.stat(path).st_size)
        except (OSError, ValueError):
            pass                 # reported when the file is graded
    average = max(1, sum(sizes) // len(sizes)) if sizes else 1
    return max(1, min(CHUNK_FILES, CHUNK_BYTES // average))


def _fork_context():
    """Returns the fork start method on Linux, else None (one process grades).

    macOS offers fork too, but a forked child of a process that loaded its system
    frameworks (numpy's Accelerate) may crash, which is why Python stopped using
    it there by default; spawning workers would re-import everything for each.
    """
    import multiprocessing

    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _start(grader, finish, parent: int) -> None:
    import threading

    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, 10, 10)
    _worker["grader"] = grader
    _worker["finish"] = finish
    # A worker waits for work on a pipe it also holds open (fork), so a parent killed
    # outright (SIGTERM, SIGKILL) would leave it waiting for ever: it leaves instead.
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()


def _leave_with(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _grade_chunk(paths) -> list:
    grader, finish = _worker["grader"], _worker["finish"]
    done = []
    for result in map(grader.grade, paths):
        finished = _finished(finish, result)
        # What `finish` made is all the caller needs: the result (its arrays) stays here.
        done.append((result if finished is None else None, finished))
    return done


def _finished(finish, result):
    if finish is None:
        return None
    try:
        return finish(result)
    except Exception:  # noqa: BLE001 - the caller renders it again, and reports what fails
        return None
