"""A readable diff between two versions of a force document, for the public pages.

Documents are written in paragraphs, so the diff is by paragraph first and then, for a
paragraph that was changed rather than added or removed, by word, so that a reader sees the
words that changed. Text is returned as plain strings and escaped by the template.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


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


def _word_diff(old: str, new: str) -> tuple[Piece, ...]:
    a, b = old.split(" "), new.split(" ")
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece(" ".join(a[i1:i2]), "same"))
            continue
        if i2 > i1:
            pieces.append(Piece(" ".join(a[i1:i2]), "removed"))
        if j2 > j1:
            pieces.append(Piece(" ".join(b[j1:j2]), "added"))
    return tuple(pieces)


def version_diff(old: str, new: str) -> list[DiffRow]:
    """Paragraph rows from `old` to `new`; changed paragraphs carry a word-level diff."""
    a, b = _paragraphs(old), _paragraphs(new)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [DiffRow("same", (Piece(p, "same"),)) for p in a[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            pairs = zip(a[i1:i2], b[j1:j2], strict=True)
            rows += [DiffRow("changed", _word_diff(x, y)) for x, y in pairs]
        else:
            rows += [DiffRow("removed", (Piece(p, "removed"),)) for p in a[i1:i2]]
            rows += [DiffRow("added", (Piece(p, "added"),)) for p in b[j1:j2]]
    return rows


def has_changes(rows: list[DiffRow]) -> bool:
    return any(r.kind != "same" for r in rows)
