"""Reading the text a user gives (a review file, standard input, a CSV file) the one way:
UTF-8 with or without the byte-order mark Windows editors write, and universal newlines
(\\r\\n and \\r read as \\n), so that a file saved on Windows reads as its copy saved
elsewhere. No Keras: the tools that only read files start fast."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from imdb_lstm.errors import UserError

# The longest review taken, from a file or a CSV cell: about 200,000 words, of which the
# model reads the last 500; anything longer is more likely a wrong file than a review.
MAX_REVIEW_CHARACTERS = 1 << 20
REVIEW_LIMIT = f"{MAX_REVIEW_CHARACTERS:,} characters (1 MiB)"


def decode(raw: bytes, name: str) -> str:
    """`raw` as text: UTF-8 (a leading byte-order mark dropped), newlines made \\n."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UserError(
            f"{name}: not UTF-8 text (byte {raw[error.start]:#04x} on line {line}); "
            "save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_review(path: Path) -> str:
    """One review from a text file, at most MAX_REVIEW_CHARACTERS long."""
    most_bytes = 4 * MAX_REVIEW_CHARACTERS + 3  # UTF-8 takes up to 4 a character, the BOM 3
    try:
        with open(path, "rb") as file:
            raw = file.read(most_bytes + 1)
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from None
    text = "" if len(raw) > most_bytes else decode(raw, str(path))
    if len(raw) > most_bytes or len(text) > MAX_REVIEW_CHARACTERS:
        raise UserError(f"{path}: longer than a review may be ({REVIEW_LIMIT})")
    return text


def read_stream(stream: BinaryIO, name: str) -> str:
    """All of a byte stream (standard input), read as `decode` reads a file."""
    return decode(stream.read(), name)
