"""Typo tolerance: the shop's words closest to a misspelt one, by trigram similarity.

On PostgreSQL with the pg_trgm extension (migration 0024) the database computes
`similarity()`; elsewhere (SQLite, or a PostgreSQL where the extension could not
be created) `similarity` below computes the same measure in Python, as pg_trgm
defines it: lower-case, split into words at anything but letters and digits,
each word padded with two spaces before and one after, the set of its
three-character pieces; similarity = shared pieces / all distinct pieces. The
candidates are the same list of the shop's words on both, so both pick the same
words and a misspelt search finds the same shoes on either database.
"""

import re

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from ..extensions import db

# pg_trgm's own default for its `%` operator.
THRESHOLD = 0.3
_WORD = re.compile(r"[^\W_]+")

_CLOSEST = text(
    "SELECT w FROM unnest(:words) AS w WHERE similarity(w, :word) >= :threshold "
    "ORDER BY similarity(w, :word) DESC, w LIMIT :limit"
).bindparams(bindparam("words", type_=ARRAY(String)))


def trigrams(value):
    """pg_trgm's trigrams of `value` (show_trgm), as a set."""
    found = set()
    for word in _WORD.findall(value.lower()):
        padded = f"  {word} "
        found.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a, b):
    """pg_trgm's similarity(a, b): shared trigrams over distinct trigrams, 0 to 1."""
    left, right = trigrams(a), trigrams(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    return shared / (len(left) + len(right) - shared)


def has_pg_trgm():
    """Whether the database computes trigram similarity itself (read once per engine)."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return False
    known = engine.__dict__.get("_storefront_pg_trgm")
    if known is None:
        known = engine.__dict__["_storefront_pg_trgm"] = bool(db.session.scalar(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")))
    return known


def closest(word, vocabulary, limit=3, threshold=THRESHOLD):
    """The words of `vocabulary` at least `threshold` similar to `word`, closest first
    (alphabetical among equals)."""
    if not vocabulary:
        return []
    if has_pg_trgm():
        return list(db.session.scalars(_CLOSEST, {
            "words": list(vocabulary), "word": word, "threshold": threshold, "limit": limit}))
    scored = sorted((-similarity(w, word), w) for w in vocabulary)
    return [w for score, w in scored if -score >= threshold][:limit]
