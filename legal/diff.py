"""A readable diff between two versions of a force document, for the public pages.

Documents are written in paragraphs, so the diff is by paragraph first and then, for a
paragraph that was changed rather than added or removed, by word, so that a reader sees the
words that changed. Text is returned as plain strings and escaped by the template.

The diff is computed once, when a version is published, and stored on the version
(`legal.services.document_version_publish`); a page only reads it. It is bounded in time:
paragraphs and words are each mapped to one character and compared with diff-match-patch
(Myers' O(ND) algorithm after trimming the common start and end, so about linear for the
edits documents get), under one deadline for the whole document. Past the deadline the rest
is reported as removed-and-added rather than minimised further: still a true diff, never an
unbounded wait. (`difflib.SequenceMatcher`, used before, is quadratic on long repetitive
paragraphs: 15 seconds for 8,000 words.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from diff_match_patch import diff_match_patch  # type: ignore[import-untyped]

# Longest time one version's diff may take before the rest is reported coarsely.
DIFF_SECONDS = 2.0

_DELETE, _EQUAL, _INSERT = -1, 0, 1


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str  # "same", "added" or "removed"


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "added", "removed" or "changed"
    pieces: tuple[Piece, ...]

    @property
    def mark(self) -> str:
        return {"same": "", "added": "+", "removed": "\u2212", "changed": "±"}[self.kind]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _encode(a: list[str], b: list[str]) -> tuple[str, str]:
    """Each distinct item becomes one character, so the character diff is the item diff.

    Characters are numbered from U+E000 upwards, skipping the surrogates, which gives room
    for more distinct items than a document within the size limit can hold.
    """
    codes: dict[str, str] = {}

    def code(item: str) -> str:
        found = codes.get(item)
        if found is None:
            number = 0xE000 + len(codes)
            if number > 0x10FFFF:
                raise ValueError("too many distinct items to diff")
            found = codes[item] = chr(number)
        return found

    return "".join(map(code, a)), "".join(map(code, b))


def _ops(a: list[str], b: list[str], deadline: float) -> Iterable[tuple[int, int]]:
    """(operation, count) runs turning the items of `a` into those of `b`."""
    engine = diff_match_patch()
    left, right = _encode(a, b)
    # checklines=False: the "lines" here are already single characters.
    for op, chars in engine.diff_main(left, right, False, deadline):
        yield op, len(chars)


def _grouped(
    a: list[str], b: list[str], deadline: float
) -> Iterable[tuple[str, list[str], list[str]]]:
    """Runs of ("equal", same, same) or ("replace", removed, added), in document order."""
    i = j = 0
    removed: list[str] = []
    added: list[str] = []
    for op, n in _ops(a, b, deadline):
        if op == _EQUAL:
            if removed or added:
                yield "replace", removed, added
                removed, added = [], []
            yield "equal", a[i : i + n], b[j : j + n]
            i, j = i + n, j + n
        elif op == _DELETE:
            removed += a[i : i + n]
            i += n
        else:
            added += b[j : j + n]
            j += n
    if removed or added:
        yield "replace", removed, added


def _word_diff(old: str, new: str, deadline: float) -> tuple[Piece, ...]:
    a, b = old.split(" "), new.split(" ")
    pieces: list[Piece] = []
    for op, removed, added in _grouped(a, b, deadline):
        if op == "equal":
            pieces.append(Piece(" ".join(removed), "same"))
            continue
        if removed:
            pieces.append(Piece(" ".join(removed), "removed"))
        if added:
            pieces.append(Piece(" ".join(added), "added"))
    return tuple(pieces)


def version_diff(
    old: str, new: str, *, seconds: float = DIFF_SECONDS, clock: Callable[[], float] = time.time
) -> list[DiffRow]:
    """Paragraph rows from `old` to `new`; changed paragraphs carry a word-level diff."""
    # diff-match-patch compares its deadline with time.time().
    deadline = clock() + seconds
    a, b = _paragraphs(old), _paragraphs(new)
    rows: list[DiffRow] = []
    for op, removed, added in _grouped(a, b, deadline):
        if op == "equal":
            rows += [DiffRow("same", (Piece(p, "same"),)) for p in removed]
        elif len(removed) == len(added):
            pairs = zip(removed, added, strict=True)
            rows += [DiffRow("changed", _word_diff(x, y, deadline)) for x, y in pairs]
        else:
            rows += [DiffRow("removed", (Piece(p, "removed"),)) for p in removed]
            rows += [DiffRow("added", (Piece(p, "added"),)) for p in added]
    return rows


def has_changes(rows: list[DiffRow]) -> bool:
    return any(r.kind != "same" for r in rows)


# --- storage: the rows as JSON, kept on the version ----------------------------------------------
def rows_to_json(rows: list[DiffRow]) -> list[Any]:
    return [[row.kind, [[p.text, p.kind] for p in row.pieces]] for row in rows]


def rows_from_json(data: list[Any]) -> list[DiffRow]:
    return [
        DiffRow(kind, tuple(Piece(text, piece_kind) for text, piece_kind in pieces))
        for kind, pieces in data
    ]
