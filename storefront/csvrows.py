"""Reading uploaded CSV files row by row, and the one way a file's bad rows are reported.

Every import of the shop (stock counts, deliveries, Shopify's product and
inventory exports) reports a bad row as a `LineProblem` and refuses a file
with `BatchRejected`, which lists them all. Line numbers are the physical
line a record starts on, which is what a spreadsheet or text editor shows: a
quoted field may hold newlines (HTML bodies do), so one record can span
several lines.
"""

import csv
import io
from dataclasses import dataclass

from .exceptions import DomainError


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str

    def __str__(self):
        return f"Line {self.line}: {self.message}" if self.line else self.message


class BatchRejected(DomainError):
    """A multi-line change had bad lines; nothing was changed."""

    status = 422
    code = "batch_rejected"

    def __init__(self, problems):
        self.problems = sorted(problems, key=lambda p: p.line)
        count = len(self.problems)
        super().__init__(
            f"Nothing was changed: {count} line{'s' if count != 1 else ''} "
            f"need{'s' if count == 1 else ''} fixing. " + " ".join(map(str, self.problems[:20]))
        )

    def to_dict(self):
        return super().to_dict() | {
            "problems": [{"line": p.line, "message": p.message} for p in self.problems]
        }


def decode(data):
    """Uploaded bytes as text without a byte-order mark; raises BatchRejected naming the line
    of the first byte that is not UTF-8, or of a NUL character."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise BatchRejected([LineProblem(
                line, "the file is not UTF-8 text; save it again as \"CSV UTF-8\" and retry"
            )]) from None
    nul = text.find("\x00")
    if nul >= 0:
        # No spreadsheet writes NUL, and PostgreSQL cannot store it.
        raise BatchRejected([LineProblem(
            text.count("\n", 0, nul) + 1,
            "the line holds a NUL character, so this is not a CSV text file; "
            "save it again as \"CSV UTF-8\" and retry")])
    return text


def records(text):
    """(line number, fields) for every record that is not blank, the header included.

    Raises BatchRejected when the CSV itself cannot be read (an unclosed quote).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BatchRejected([LineProblem(start, f"the CSV cannot be read ({exc})")]) from None


def header(rows, what):
    """The first record's stripped column names and its line; refuses an empty file and
    repeated column names."""
    first = next(rows, None)
    if first is None:
        raise BatchRejected([LineProblem(1, f"the file is empty; expected {what}")])
    line, names = first
    names = [name.strip() for name in names]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise BatchRejected([LineProblem(line, "the header repeats column(s): "
                                               + ", ".join(repeated))])
    return line, names


def cells(line, row, names, problems):
    """The row as {column: stripped value}; None (with a problem) when it has more filled
    fields than the header has columns. Missing trailing fields read as empty."""
    if len(row) > len(names) and any(cell.strip() for cell in row[len(names):]):
        problems.append(LineProblem(line, f"the row has {len(row)} fields but the header has "
                                          f"{len(names)}; is a comma missing its quotes?"))
        return None
    values = dict(zip(names, (cell.strip() for cell in row), strict=False))
    return {name: values.get(name, "") for name in names if name}

