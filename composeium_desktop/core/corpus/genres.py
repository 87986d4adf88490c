"""One coarse genre label per tune, from its R: field, title, collection and meter.

The rules are tried in this order; the first that gives an answer wins.

1. The R: (rhythm) field, matched case-insensitively against the table below. English words
   must stand alone (``double jig`` matches, ``jigsaw`` does not); German words may be part of a
   compound (``Liebeslied`` and ``Tanz-Lied`` are songs). Rows higher in the table win, so
   ``Slip jig`` is a slip jig, not a jig, and ``Walzer-Lied`` is a waltz.
2. The title, matched against the same table (``The Swaggering Jig`` -> jig,
   ``Dundee Volunteers March.`` -> march, ``Niel Gow's Lament`` -> air).
3. The collection: every tune of the Essen folksong collection is a song (its R: fields are
   song types such as ``Liebes-Lied`` or ``Ballade``); Aird's Airs are airs. O'Neill's
   *Music of Ireland* (``oneills1850``) is ordered by section, so its tune number (X:) gives
   the genre: 1-700 airs (including O'Carolan's tunes), 701-1135 jigs, 1136-1175 slip jigs,
   1176-1555 reels, 1556-1780 hornpipes, 1781-1800 set dances (other), 1801-1850 marches.
4. The meter, for the Irish/Scottish dance collections and user files: 9/8 -> slip jig,
   6/8 and 12/8 -> jig.
5. Otherwise ``other``.

=======================================  =============  ======================================
R: field or title word                   genre          note
=======================================  =============  ======================================
slip jig, slipjig, hop jig               slip jig       9/8 dance tunes
double jig, single jig, jig, slide,      jig            slides are 12/8 jigs
  Jigge
hornpipe, clog, set dance                hornpipe       clogs are hornpipes played straighter
strathspey, highland fling, fling        strathspey     flings are played in strathspey time
reel, rant, Reel (title)                 reel           Northumbrian rants are reels
polka, Polka                             polka
waltz, Walzer, Ländler, Laendler,        waltz
  Dreher
march, quick step, quickstep, Marsch     march          quick steps are fast marches
air, lament, planxty, slow air           air            laments and planxties are slow airs
song, ballad, Lied, Ballade, Romanze,    song
  Lieder
schottische, mazurka, minuet, gavotte,   other          too few tunes for their own label
  walkaround, Schottisch, Mazurka,
  Menuett
=======================================  =============  ======================================

``GENRES`` lists every label; ``other`` is the fallback.
"""

from __future__ import annotations

import re

GENRES = (
    "reel",
    "jig",
    "slip jig",
    "hornpipe",
    "strathspey",
    "polka",
    "waltz",
    "march",
    "air",
    "song",
    "other",
)
DANCE_GENRES = GENRES[:8]
"""The dance genres: two or more parts of 8 or 16 bars with repeats in the books, a form by
default when composing, never a bar of rests."""

# (genre, English whole-word patterns, German substring patterns), most specific first.
_TABLE: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("slip jig", (r"slip[- ]?jigs?", r"hop[- ]?jigs?"), ()),
    (
        "other",
        (r"schottisch?e?s?", r"mazurkas?", r"minuets?", r"gavottes?", r"walk[- ]?arounds?"),
        ("schottisch", "mazurka", "menuett"),
    ),
    ("jig", (r"(?:double |single )?jigs?", r"jigge", r"slides?"), ()),
    ("hornpipe", (r"hornpipes?", r"clogs?", r"set dance"), ()),
    ("strathspey", (r"strathspeys?", r"(?:highland )?flings?"), ()),
    ("reel", (r"reels?", r"rants?"), ()),
    ("polka", (r"polkas?",), ("polka",)),
    ("waltz", (r"waltz(?:es)?",), ("walzer", "ländler", "laendler", "dreher")),
    ("march", (r"march(?:es)?", r"quick[- ]?steps?"), ("marsch",)),
    ("air", (r"(?:slow )?airs?", r"laments?", r"planxty"), ()),
    ("song", (r"songs?", r"ballads?"), ("lied", "ballade", "romanze")),
)

_COMPILED = tuple(
    (genre, re.compile(r"\b(?:" + "|".join(english) + r")\b", re.IGNORECASE), german)
    for genre, english, german in _TABLE
)

_COLLECTION_GENRES = {"essenFolksong": "song", "airdsAirs": "air"}
_ONEILLS_SECTIONS = (
    (1, 700, "air"),
    (701, 1135, "jig"),
    (1136, 1175, "slip jig"),
    (1176, 1555, "reel"),
    (1556, 1780, "hornpipe"),
    (1781, 1800, "other"),
    (1801, 1850, "march"),
)
# Collections whose untitled-genre tunes are dance tunes, so the meter is a fair guess.
_SONG_OR_AIR_COLLECTIONS = frozenset(_COLLECTION_GENRES)
_METER_GENRES = {"9/8": "slip jig", "6/8": "jig", "12/8": "jig"}


def genre_from_text(text: str | None) -> str | None:
    """The genre named in an R: field or a title, or None when the table has no match."""
    if not text:
        return None
    lowered = text.lower()
    for genre, english, german in _COMPILED:
        if english.search(text) or any(word in lowered for word in german):
            return genre
    return None


def genre_of(
    rhythm: str | None, title: str, collection: str, meter: str, number: int | None = None
) -> str:
    """The tune's coarse genre by the rules of the module docstring (always one of GENRES);
    number is the tune's X: number."""
    by_text = genre_from_text(rhythm) or genre_from_text(title)
    if by_text is not None:
        return by_text
    if collection in _COLLECTION_GENRES:
        return _COLLECTION_GENRES[collection]
    if collection == "oneills1850" and number is not None:
        for first, last, genre in _ONEILLS_SECTIONS:
            if first <= number <= last:
                return genre
    if collection not in _SONG_OR_AIR_COLLECTIONS and meter in _METER_GENRES:
        return _METER_GENRES[meter]
    return "other"
