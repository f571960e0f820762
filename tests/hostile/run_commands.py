"""Runs rnncli commands in this process and reports how each ended, as JSON (a test helper).

    python tests/hostile/run_commands.py JOBS.json RESULTS.json

tests/test_hostile.py starts this script in a subprocess whose address space is
capped with resource.setrlimit, so a command that tried to allocate gigabytes
fails here (and is reported) instead of taking the machine down. Each job gets
a time budget enforced with SIGALRM: a hang detector, not a timing test.
"""
from __future__ import annotations

import json
import signal
import sys
import time
import traceback


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout("the time budget ran out")


def main(jobs_path: str, results_path: str) -> None:
    from click.testing import CliRunner

    from rnncli.cli import cli

    jobs = json.loads(open(jobs_path, encoding="utf-8").read())
    runner = CliRunner(env={"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": "100"})
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for job in jobs:
        start = time.perf_counter()
        signal.alarm(job["budget"])
        try:
            result = runner.invoke(cli, job["args"], input=job.get("input"))
        except Timeout:      # raised outside click's own catching: still a timeout
            results.append({"args": job["args"], "timeout": True})
            continue
        finally:
            signal.alarm(0)
        exception = result.exception
        error = None
        if exception is not None and not isinstance(exception, SystemExit):
            error = "".join(traceback.format_exception(*result.exc_info))
        results.append({
            "args": job["args"], "timeout": isinstance(exception, Timeout),
            "exit_code": result.exit_code, "seconds": time.perf_counter() - start,
            "stdout": result.stdout[:20_000], "stdout_chars": len(result.stdout),
            "stderr": result.stderr, "traceback": error,
        })
    with open(results_path, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
