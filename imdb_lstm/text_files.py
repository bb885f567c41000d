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


# Byte-order marks of the encodings other than UTF-8 that editors save text in: longest
# first (UTF-32's little-endian mark begins with UTF-16's).
OTHER_ENCODINGS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
# UTF-16 without a mark: every other byte of ASCII text is 0.
UTF16_SAMPLE_BYTES = 64


def decode(raw: bytes, name: str) -> str:
    """`raw` as text: UTF-8 (a leading byte-order mark dropped), newlines made \\n; UTF-16
    or UTF-32, a NUL byte or bytes that are not UTF-8 are one line naming what they are."""
    _refuse_other_encodings(raw, name)
    if b"\0" in raw:
        line = _line_of(raw, raw.index(b"\0"))
        raise UserError(f"{name}: not text: line {line} holds a NUL byte (binary data)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = _line_of(raw, error.start)
        raise UserError(
            f"{name}: not UTF-8 text (byte {raw[error.start]:#04x} on line {line}); save it "
            f"as UTF-8{_maybe_windows_1252(raw)}"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _refuse_other_encodings(raw: bytes, name: str) -> None:
    marked = next((enc for mark, enc in OTHER_ENCODINGS.items() if raw.startswith(mark)), None)
    sample = raw[: UTF16_SAMPLE_BYTES - UTF16_SAMPLE_BYTES % 2]
    halves = sample[::2], sample[1::2]
    unmarked = len(sample) >= 4 and any(all(a) and not any(b) for a, b in (halves, halves[::-1]))
    if marked or unmarked:
        raise UserError(f"{name}: {marked or 'UTF-16'} text, not UTF-8; save it as UTF-8")


def _maybe_windows_1252(raw: bytes) -> str:
    """What else the text may be: most files that are not UTF-8 are Windows-1252."""
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return " (it may be Windows-1252, also called Latin-1)"


def _line_of(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


# UTF-8 takes up to 4 bytes a character, the byte-order mark 3.
MAX_REVIEW_BYTES = 4 * MAX_REVIEW_CHARACTERS + 3


def check_review(source: str, text: str) -> str:
    """`text`, if it is a review: not blank, at most MAX_REVIEW_CHARACTERS long, wherever
    it came from (an argument, a file, a line of standard input, a CSV cell)."""
    if not text.strip():
        raise UserError(f"{source}: the review is empty")
    if len(text) > MAX_REVIEW_CHARACTERS:
        raise UserError(f"{source}: longer than a review may be ({REVIEW_LIMIT})")
    return text


def read_review(path: Path) -> str:
    """One review from a text file (`check_review`)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_REVIEW_BYTES + 1)
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from None
    if len(raw) > MAX_REVIEW_BYTES:
        raise UserError(f"{path}: longer than a review may be ({REVIEW_LIMIT})")
    return check_review(str(path), decode(raw, str(path)))


def read_lines(stream: BinaryIO, name: str) -> list[str]:
    """The lines of a byte stream (standard input), read as `decode` reads a file; a
    line longer than a review may be is refused as soon as it is read."""
    lines = []
    while raw := stream.readline(MAX_REVIEW_BYTES + 1):
        if len(raw) > MAX_REVIEW_BYTES:
            raise UserError(
                f"{name}: line {len(lines) + 1} is longer than a review may be ({REVIEW_LIMIT})"
            )
        lines.append(raw)
    return decode(b"".join(lines), name).split("\n")
