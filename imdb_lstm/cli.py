"""Small pieces every command-line program here shares: errors as one line, --help
titles, number flags, durations. No Keras: the tools that only read results start fast."""

import argparse
import os
import signal
import sys
from collections.abc import Callable

from imdb_lstm.errors import UserError

# The exit code of a program stopped by Ctrl-C or SIGTERM, as a shell gives it for Ctrl-C
# (128 + SIGINT).
INTERRUPTED = 130


def run(main: Callable[[], object]) -> None:
    """Calls `main()` and turns a UserError into one line on stderr and exit code 1,
    Ctrl-C or SIGTERM into "interrupted" and exit code 130, without a traceback; a reader
    that closed the pipe (`| head -1`) ends the program quietly."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped as by Ctrl-C
    try:
        try:
            main()
        finally:  # --help's exit too: flushed here, where a closed pipe can be caught
            sys.stdout.flush()
    except UserError as error:
        sys.exit(f"error: {error}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except BrokenPipeError:
        # What is still buffered would fail again when Python exits: send it nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def title(doc: str | None) -> str:
    """The title line of a program's docstring, for its --help."""
    lines = (doc or "").strip().splitlines()
    return lines[0].removeprefix("Title: ") if lines else ""


def int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (and at most `maximum`)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value

    return parse


def add_output_flag(parser: argparse._ActionsContainer, default: str, what: str) -> None:
    """The --output DIR flag every tool takes (on a parser or a group): the folder for `what`."""
    parser.add_argument(
        "--output", default=default, metavar="DIR", help=f"folder for {what} (default: %(default)s)"
    )


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)
# A random seed: Keras seeds NumPy's generator, which takes 0 to 2**32 - 1.
seed_number = int_at_least(0, 2**32 - 1)


def add_rounds_flag(parser: argparse.ArgumentParser, default: int, what: str) -> None:
    """The --rounds N flag of the benchmarks that alternate what they compare."""
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=default,
        metavar="N",
        help=f"{what}, alternating (default: %(default)s)",
    )


def duration(seconds: float) -> str:
    """Seconds as "2m05s", or "45s" under a minute."""
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
