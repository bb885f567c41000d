"""
Title: Check that an interrupted run resumes to exactly the results of one never stopped
Description: trains SCRIPT twice at once with the same flags and one thread each: one run
to the end, the other killed (SIGKILL) as soon as its first epoch is saved, so in its
second epoch, then started again with the same command. Writes both runs' JSON and
<output>/check-resume.json, which says whether the history, test loss and test accuracy
agree to the last bit. Other flags go to the script.

    python -m tools.check_resume cnn_lstm.py --data aclImdb_v1.tar.gz --output results/check-resume
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from imdb_lstm import files, threads
from imdb_lstm.cli import add_output_flag, run, title
from imdb_lstm.errors import UserError
from imdb_lstm.paths import CHECKOUT, run_files
from imdb_lstm.progress import Reader

COMPARED = ["history", "test_loss", "test_accuracy"]
# One thread each: the two runs share a 2-core machine, and both must use the same counts.
ONE_THREAD = threads.environment(1)


def kill_in_second_epoch(command: list[str], progress_file: Path, **popen: object) -> None:
    """Runs `command` (a script) and kills it with SIGKILL as soon as its first epoch is
    saved, so in its second epoch."""
    process = subprocess.Popen([*command, "--progress", str(progress_file)], **popen)
    progress = Reader(progress_file)  # an epoch's line is written after its checkpoint
    while not any(event["event"] == "epoch" for event in progress.new_events()):
        if process.poll() is not None:
            raise UserError(f"{command[1]} ended (exit code {process.returncode}) before epoch 2")
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=title(__doc__), epilog="Other flags are passed to the script."
    )
    parser.add_argument("script", help="the script to check, e.g. cnn_lstm.py")
    add_output_flag(parser, "results/check-resume", "both runs and check-resume.json")
    args, flags = parser.parse_known_args(argv)
    output, name = Path(args.output), Path(args.script).stem
    command = [sys.executable, str(CHECKOUT / args.script), *flags]
    env = os.environ | ONE_THREAD
    output.mkdir(parents=True, exist_ok=True)
    with open(output / "whole.log", "wb") as log:
        whole = subprocess.Popen(
            [*command, "--output", str(output / "whole")], stdout=log, stderr=log, env=env
        )
        stopped = [*command, "--output", str(output / "stopped")]
        with open(output / "stopped.log", "wb") as stopped_log:
            progress = output / "stopped.progress"
            progress.unlink(missing_ok=True)
            kill_in_second_epoch(stopped, progress, stdout=stopped_log, stderr=stopped_log, env=env)
            print(f"killed {args.script} in its second epoch; starting it again", flush=True)
            resumed = subprocess.run(stopped, stdout=stopped_log, stderr=stopped_log, env=env)
        if whole.wait() != 0 or resumed.returncode != 0:
            raise UserError(f"a run failed: see {output}/whole.log and stopped.log")
    runs = {
        kind: json.loads(run_files(output / kind, name).results.read_text())
        for kind in ("whole", "stopped")
    }
    equal = {key: runs["whole"][key] == runs["stopped"][key] for key in COMPARED}
    report = {
        "what": f"{args.script} {' '.join(flags)}: killed in epoch 2 and resumed, against "
        "the same run never stopped, both with one thread",
        "equal": equal,
        "resumed_from_epoch": runs["stopped"]["resumed_from_epoch"],
        "runs": {
            kind: {key: run[key] for key in [*COMPARED, "threads"]} for kind, run in runs.items()
        },
        # Where and when: the run never stopped says (imdb_lstm/machine.py's provenance).
        **{key: runs["whole"][key] for key in ("machine", "versions", "vector_isa", "date")},
    }
    files.write_json(output / "check-resume.json", report)
    same = all(equal.values())
    print(
        ("identical: " if same else "DIFFERENT: ") + ", ".join(f"{k} {v}" for k, v in equal.items())
    )
    return 0 if same else 1


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
