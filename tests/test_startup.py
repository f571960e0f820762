"""What a plain trace loads and leaves behind: the start-up path stays lean.

The time itself is measured by benchmarks/bench_big.py (no timed assertions here);
these tests keep the things that make it short from quietly coming back.
"""
from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from rnncli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import sys\n"
            f"sys.argv = ['rnncli', *{argv!r}]\n"
            "from rnncli.cli import main\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None)\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    return set(result.stderr.rsplit("MODULES ", 1)[1].split())


def test_a_plain_trace_does_not_load_what_only_changes_need():
    loaded = _modules_after(["trace", str(PROBLEM)])
    assert "rnncli.solve.trace" in loaded            # the probe saw a real trace
    assert "rnncli.files.changes" not in loaded      # only --set, --teacher-forcing, --compare


def test_a_trace_with_a_change_still_loads_it():
    loaded = _modules_after(["trace", str(PROBLEM), "--set", "f=0"])
    assert "rnncli.files.changes" in loaded


def test_a_trace_leaves_the_garbage_collector_as_it_found_it():
    # The trace pauses the collector while its modules load and freezes what they
    # made (rnncli.cli.app.loading_modules); the command's end must undo both.
    assert gc.isenabled()
    before = gc.get_freeze_count()
    result = CliRunner().invoke(cli, ["trace", str(PROBLEM)])
    assert result.exit_code == 0, result.output
    assert "Summary" in result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == before == 0


def test_a_failing_trace_unfreezes_too(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cell: lstm\nsteps: 2\nparams: {W: [1, 2}\n")
    result = CliRunner().invoke(cli, ["trace", str(bad)])
    assert result.exit_code == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_keeps_them_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        result = CliRunner().invoke(cli, ["trace", str(PROBLEM)])
        assert result.exit_code == 0, result.output
        assert gc.isenabled() and gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
