"""What publishing a legal document version costs: its diff from the version before.

The diff (`legal.diff.version_diff`) runs once, when a version is published, and is stored; no
page computes it. This measures it on documents of 2,000 to 16,000 words in two shapes:
paragraphs of 60 words, and one long paragraph (the shape that made the old `difflib` word diff
quadratic: 0.9, 3.6 and 15 seconds at 2,000, 4,000 and 8,000 words). Each document is
repetitive (nine words drawn at random), with 40 words changed (an amendment) or one word in a
hundred (a heavy revision). Checks that every
diff rebuilds both versions exactly, and exits non-zero if one does not.

    .venv/bin/python benchmarks/bench_legal_diff.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from legal.diff import DiffRow, version_diff

WORDS = ["the", "force", "may", "deploy", "live", "facial", "recognition", "where", "necessary"]
SIZES = (2_000, 4_000, 8_000, 16_000)


def document(words: int, *, paragraph: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    tokens = [rng.choice(WORDS) for _ in range(words)]
    text = ""
    for i, token in enumerate(tokens):
        gap = "" if i == 0 else ("\n\n" if paragraph and i % paragraph == 0 else " ")
        text += gap + token
    return text


def edited(text: str, *, edits: int, seed: int = 2) -> str:
    """`edits` words changed, spread evenly through the text."""
    rng = random.Random(seed)
    tokens = text.split(" ")
    for i in range(0, len(tokens), max(1, len(tokens) // edits)):
        tokens[i] = rng.choice(["must", "shall", "cannot"])
    return " ".join(tokens)


def rebuilt(rows: list[DiffRow]) -> tuple[list[str], list[str]]:
    old, new = [], []
    for row in rows:
        if row.kind != "added":
            old.append(" ".join(p.text for p in row.pieces if p.kind != "added"))
        if row.kind != "removed":
            new.append(" ".join(p.text for p in row.pieces if p.kind != "removed"))
    return old, new


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the fastest counts")
    args = parser.parse_args()
    failed = False
    print(
        f"{'shape':<18}{'edits':<14}{'words':>8}{'KB':>6}{'ms':>9}{'ms per 1k words':>17}"
        f"{'x 2k':>6}"
    )
    cases = [
        (shape, paragraph, pattern)
        for shape, paragraph in (("paragraphs of 60", 60), ("one paragraph", 0))
        for pattern in ("40 words", "1 word in 100")
    ]
    for shape, paragraph, pattern in cases:
        first = None
        for words in SIZES:
            old = document(words, paragraph=paragraph)
            new = edited(old, edits=40 if pattern == "40 words" else words // 100)
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                rows = version_diff(old, new)
                best = min(best, time.perf_counter() - start)
            if rebuilt(rows) != (paragraphs(old), paragraphs(new)):
                print(f"  the diff of {words} words does not rebuild both versions")
                failed = True
            ms = best * 1000
            first = first or ms
            print(
                f"{shape:<18}{pattern:<14}{words:>8,}{len(new.encode()) // 1024:>6}{ms:>9.1f}"
                f"{ms / words * 1000:>17.2f}{ms / first:>6.1f}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
