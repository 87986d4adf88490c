"""Tokenizers for the model: ABCTokenizer for tune bodies, MetadataVocab for the encoder input.

ABCTokenizer is a SentencePiece unigram model made ABC-aware by pre-splitting: a body is cut
into bar lines / repeat signs (``| || |] [| |: :| :: [1 [2 |1 :|2`` ...), line breaks and the
music between them. Bar symbols are SentencePiece user-defined symbols and each line break is
the control symbol ``<nl>``, so both are always pieces of their own and no piece crosses a bar
line; only the music between them goes through SentencePiece, which is trained on exactly those
stretches of the training split's bodies. Normalisation is off (identity rule, no dummy prefix,
spaces kept), so ``decode(encode(body)) == body`` for any text. Vocabularies of 512 or more use
byte fallback, so even characters never seen in training encode without ``<unk>``; smaller
(test) vocabularies keep every training character instead. Training is deterministic: one
thread, no sampling of sentences, a fixed random seed.

MetadataVocab maps (title, tonic, mode, meter, genre) to one id sequence: a categorical token
each for tonic (12 pitch classes, any spelling accepted), mode, meter (unknown -> ``other``)
and genre, then the title as pieces of a second, small SentencePiece model trained on the
training titles (English and German). ids share one space with ``pad = 0``.

Files (in the tokenizer folder, ``model/tokenizer/`` for the shipped model): body.model and
body.json (ABCTokenizer), title.model and meta.json (MetadataVocab).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composeium_desktop.core import fileio

if TYPE_CHECKING:
    import sentencepiece

    from composeium_desktop.core.corpus import TuneRecord

FORMAT_VERSION = 1
NEWLINE_SYMBOL = "<nl>"
BYTE_FALLBACK_MIN_VOCAB = 512
BAR_SYMBOLS = (
    "|", "||", "|]", "[|", "|:", ":|", "::", ":|:", ":||", "||:", ":|]", "[|:", "::|", "|::",
    "[1", "[2", "[3", "[4", "|1", "|2", "|3", ":|1", ":|2", ":|3", "||1", "||2",
)  # fmt: skip
_EXTRA_BAR_MIN_COUNT = 3
# Quoted text, inline fields and field lines are never cut; bar signs and line breaks always.
_SEGMENT_RE = re.compile(
    r'(?P<keep>"[^"\n]*"|\[[A-Za-z]:[^\]\n]*\]|(?m:^[A-Za-z]:[^\n]*))'
    r"|(?P<nl>\n)"
    r"|(?P<bar>:*(?:\|\||\|\]|\[\||\|)(?::+|(?:[1-9](?![0-9/])))?|::+|\[[1-9](?![0-9]))"
)


def split_body(body: str) -> list[tuple[str, str]]:
    """The body as (kind, text) segments, kind "bar", "nl" or "music"; texts join to body."""
    segments: list[tuple[str, str]] = []
    music_start = 0
    for match in _SEGMENT_RE.finditer(body):
        if match.lastgroup == "keep":
            continue
        if match.start() > music_start:
            segments.append(("music", body[music_start : match.start()]))
        segments.append((match.lastgroup or "music", match.group()))
        music_start = match.end()
    if music_start < len(body):
        segments.append(("music", body[music_start:]))
    return segments


def _train_sentencepiece(
    sentences: Iterable[str], seed: int, **options: str | int | float | bool | list[str]
) -> bytes:
    import sentencepiece as spm

    spm.set_random_generator_seed(seed)
    model = io.BytesIO()
    # The trainer reads every flag from **kwargs (typed Any); a dict of our flag types would
    # also be matched against its named parameters (arg, logstream, normalizer).
    flags: dict[str, Any] = {
        "model_type": "unigram",
        "num_threads": 1,
        "shuffle_input_sentence": False,
        "input_sentence_size": 0,
        "hard_vocab_limit": False,
        "minloglevel": 2,
        **options,
    }
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=model, **flags)
    return model.getvalue()


def _processor(model_bytes: bytes) -> sentencepiece.SentencePieceProcessor:
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_proto=model_bytes)


def _tokenizer_dir(path: Path, marker: str) -> Path:
    """Accept either the tokenizer folder itself or a model folder holding tokenizer/."""
    path = Path(path)
    if (path / marker).is_file():
        return path
    if (path / "tokenizer" / marker).is_file():
        return path / "tokenizer"
    raise FileNotFoundError(f"no {marker} in {path} or {path / 'tokenizer'}")


def _write_config(out_dir: Path, name: str, config: dict) -> None:
    fileio.write_text(out_dir / name, json.dumps(config, indent=1) + "\n")


def _read_config(model_dir: Path, name: str, what: str) -> tuple[Path, dict]:
    """The tokenizer folder and the JSON file `name` in it, checked for this format version."""
    folder = _tokenizer_dir(model_dir, name)
    config = json.loads((folder / name).read_text(encoding="utf-8"))
    if config.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported {what} format in {folder}")
    return folder, config


class ABCTokenizer:
    """Body tokenizer: bar-aware SentencePiece with exact round-trips. pad_id is 0."""

    pad_id = 0
    unk_id = 1
    bos_id = 2
    eos_id = 3

    def __init__(self, model_bytes: bytes, bar_symbols: Sequence[str]) -> None:
        self._model_bytes = model_bytes
        self._sp = _processor(model_bytes)
        self.bar_symbols = tuple(bar_symbols)
        self._bar_ids = {s: self._sp.piece_to_id(s) for s in self.bar_symbols}
        self.newline_id = self._sp.piece_to_id(NEWLINE_SYMBOL)
        self._bytes = {
            i: int(self._sp.id_to_piece(i)[3:5], 16)
            for i in range(self.vocab_size)
            if self._sp.is_byte(i)
        }
        self.pieces: list[str] = [self._piece_text(i) for i in range(self.vocab_size)]
        """The exact text each id adds to a body ("" for pad/bos/eos/unk; for byte pieces the
        character when the byte is ASCII, else "" since it is only part of a character)."""

    @property
    def vocab_size(self) -> int:
        return int(self._sp.get_piece_size())

    @property
    def byte_ids(self) -> frozenset[int]:
        """ids of byte-fallback pieces (never produced for the training characters)."""
        return frozenset(self._bytes)

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset((self.pad_id, self.unk_id, self.bos_id, self.eos_id))

    def _piece_text(self, i: int) -> str:
        if i == self.newline_id:
            return "\n"
        if i in self._bytes:
            return chr(self._bytes[i]) if self._bytes[i] < 0x80 else ""
        if self._sp.is_control(i) or self._sp.is_unknown(i):
            return ""
        return self._sp.id_to_piece(i).replace("\u2581", " ")

    def id_to_piece(self, i: int) -> str:
        """The SentencePiece name of an id (spaces shown as U+2581, bytes as <0xNN>)."""
        return str(self._sp.id_to_piece(i))

    def encode(self, body: str) -> list[int]:
        """Token ids of a body (no bos/eos added)."""
        ids: list[int] = []
        for kind, text in split_body(body):
            if kind == "nl":
                ids.append(self.newline_id)
            elif kind == "bar" and text in self._bar_ids:
                ids.append(self._bar_ids[text])
            else:
                ids.extend(self._sp.encode(text))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of these ids; pad/bos/eos/unk add nothing."""
        out: list[str] = []
        pending = bytearray()
        for i in ids:
            i = int(i)
            if i in self._bytes:
                pending.append(self._bytes[i])
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending.clear()
            out.append(self.pieces[i])
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)

    def save(self, out_dir: Path) -> None:
        """Write body.model and body.json into out_dir (created if needed)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        fileio.write_bytes(out_dir / "body.model", self._model_bytes)
        config = {"format": FORMAT_VERSION, "bar_symbols": list(self.bar_symbols)}
        _write_config(out_dir, "body.json", config)

    @classmethod
    def load(cls, model_dir: Path) -> ABCTokenizer:
        """Load from a tokenizer folder, or from a model folder that has tokenizer/ inside."""
        folder, config = _read_config(model_dir, "body.json", "tokenizer")
        return cls((folder / "body.model").read_bytes(), config["bar_symbols"])

    @classmethod
    def train(
        cls,
        bodies: Iterable[str],
        out_dir: Path | None,
        vocab_size: int = 1000,
        seed: int = 0,
    ) -> ABCTokenizer:
        """Train on these (training-split) bodies; saved to out_dir unless it is None."""
        bodies = list(bodies)
        bar_counts: Counter[str] = Counter()
        music: list[str] = []
        for body in bodies:
            for kind, text in split_body(body):
                if kind == "bar":
                    bar_counts[text] += 1
                elif kind == "music":
                    music.append(text)
        extra = sorted(
            s for s, n in bar_counts.items() if n >= _EXTRA_BAR_MIN_COUNT and s not in BAR_SYMBOLS
        )
        bar_symbols = (*BAR_SYMBOLS, *extra)
        model = _train_sentencepiece(
            music,
            seed,
            vocab_size=vocab_size,
            character_coverage=1.0,
            byte_fallback=vocab_size >= BYTE_FALLBACK_MIN_VOCAB,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            add_dummy_prefix=False,
            split_by_number=False,
            split_by_unicode_script=False,
            split_digits=False,
            allow_whitespace_only_pieces=True,
            max_sentence_length=1 << 16,
            pad_id=cls.pad_id,
            unk_id=cls.unk_id,
            bos_id=cls.bos_id,
            eos_id=cls.eos_id,
            control_symbols=[NEWLINE_SYMBOL],
            user_defined_symbols=list(bar_symbols),
        )
        tokenizer = cls(model, bar_symbols)
        if out_dir is not None:
            tokenizer.save(out_dir)
        return tokenizer


TONIC_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MODE_NAMES = ("major", "minor", "dorian", "mixolydian", "lydian", "phrygian", "locrian")
_MODE_ALIASES = {
    "ionian": "major",
    "aeolian": "minor",
    "maj": "major",
    "min": "minor",
    "m": "minor",
}
COMMON_METERS = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2", "3/8", "3/2", "6/4", "5/4")
OTHER_METER = "other"
MAX_META_LEN = 48
_CATEGORICAL = 4
_METER_MIN_COUNT = 3
_LETTER_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def canonical_tonic(tonic: str) -> str:
    """The pitch-class name used in <tonic:...> tokens for any spelling ("C#" -> "Db")."""
    text = tonic.strip()
    letter, accidentals = text[:1].upper(), text[1:].replace("\u266f", "#").replace("\u266d", "b")
    if letter not in _LETTER_PITCH or any(ch not in "#b" for ch in accidentals):
        raise ValueError(f"not a tonic: {tonic!r}")
    pitch = _LETTER_PITCH[letter] + accidentals.count("#") - accidentals.count("b")
    return TONIC_NAMES[pitch % 12]


def canonical_mode(mode: str) -> str:
    name = mode.strip().lower()
    name = _MODE_ALIASES.get(name, name)
    if name not in MODE_NAMES:
        raise ValueError(f"not a mode: {mode!r}")
    return name


class MetadataVocab:
    """Encoder input: <tonic:X> <mode:M> <meter:N/D> <genre:G> then title pieces; pad_id 0."""

    pad_id = 0
    unk_id = 1

    def __init__(self, title_model: bytes, meters: Sequence[str], genres: Sequence[str]) -> None:
        self._title_bytes = title_model
        self._title_sp = _processor(title_model)
        self.meters = tuple(meters)
        self.genres = tuple(genres)
        self.tokens: list[str] = [
            "<pad>",
            "<unk>",
            *(f"<tonic:{t}>" for t in TONIC_NAMES),
            *(f"<mode:{m}>" for m in MODE_NAMES),
            *(f"<meter:{m}>" for m in (*self.meters, OTHER_METER)),
            *(f"<genre:{g}>" for g in self.genres),
        ]
        self._ids = {token: i for i, token in enumerate(self.tokens)}
        self.title_offset = len(self.tokens)
        self.max_len = MAX_META_LEN

    @property
    def vocab_size(self) -> int:
        return self.title_offset + int(self._title_sp.get_piece_size())

    def id_to_token(self, i: int) -> str:
        if i < self.title_offset:
            return self.tokens[i]
        return str(self._title_sp.id_to_piece(i - self.title_offset))

    def categorical_ids(self, tonic: str, mode: str, meter: str, genre: str) -> list[int]:
        meter_token = f"<meter:{meter if meter in self.meters else OTHER_METER}>"
        genre_token = f"<genre:{genre if genre in self.genres else 'other'}>"
        return [
            self._ids[f"<tonic:{canonical_tonic(tonic)}>"],
            self._ids[f"<mode:{canonical_mode(mode)}>"],
            self._ids[meter_token],
            self._ids.get(genre_token, self.unk_id),
        ]

    def encode(self, title: str, tonic: str, mode: str, meter: str, genre: str) -> list[int]:
        """At most max_len ids: the four categorical tokens, then the (truncated) title."""
        title_ids = self._title_sp.encode(normalise_title(title)) if title.strip() else []
        keep = self.max_len - _CATEGORICAL
        return self.categorical_ids(tonic, mode, meter, genre) + [
            self.title_offset + i for i in title_ids[:keep]
        ]

    def save(self, out_dir: Path) -> None:
        """Write title.model and meta.json into out_dir (created if needed)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        fileio.write_bytes(out_dir / "title.model", self._title_bytes)
        config = {
            "format": FORMAT_VERSION,
            "meters": list(self.meters),
            "genres": list(self.genres),
            "max_len": self.max_len,
            "tokens": self.tokens,
        }
        _write_config(out_dir, "meta.json", config)

    @classmethod
    def load(cls, model_dir: Path) -> MetadataVocab:
        """Load from a tokenizer folder, or from a model folder that has tokenizer/ inside."""
        folder, config = _read_config(model_dir, "meta.json", "metadata vocabulary")
        vocab = cls((folder / "title.model").read_bytes(), config["meters"], config["genres"])
        if vocab.tokens != config["tokens"]:
            raise ValueError(f"metadata tokens in {folder} do not match this version")
        return vocab

    @classmethod
    def train(
        cls,
        records: Iterable[TuneRecord],
        out_dir: Path | None,
        title_vocab_size: int = 600,
        seed: int = 0,
    ) -> MetadataVocab:
        """Train on these (training-split) records' titles and meters; saved unless out_dir is
        None."""
        from composeium_desktop.core.corpus.genres import GENRES

        records = list(records)
        meter_counts = Counter(r.meter for r in records)
        frequent = {m for m, n in meter_counts.items() if n >= _METER_MIN_COUNT}
        meters = [*COMMON_METERS, *sorted(frequent - set(COMMON_METERS), key=_meter_order)]
        titles = [normalise_title(r.title) for r in records if r.title.strip()]
        model = _train_sentencepiece(
            titles or ["untitled"],
            seed,
            vocab_size=title_vocab_size,
            character_coverage=0.9995,
            normalization_rule_name="identity",
            pad_id=-1,
            bos_id=-1,
            eos_id=-1,
            unk_id=0,
        )
        vocab = cls(model, meters, GENRES)
        if out_dir is not None:
            vocab.save(out_dir)
        return vocab


def _meter_order(meter: str) -> tuple[int, int]:
    top, _, bottom = meter.partition("/")
    return (int(bottom), int(top)) if top.isdigit() and bottom.isdigit() else (1 << 30, 0)


def normalise_title(title: str) -> str:
    """One spelling for titles, as in training: lower case, German umlauts as ae/oe/ue/ss
    (the Essen collection's spelling), other accents dropped, no trailing dot, and a trailing
    article moved to the front ("Merry Tailor, The" -> "the merry tailor")."""
    text = title.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = " ".join(text.split()).rstrip(".").strip()
    head, sep, article = text.rpartition(", ")
    if sep and article in _ARTICLES:
        text = f"{article} {head}"
    return text


_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_ARTICLES = frozenset(("the", "a", "an", "der", "die", "das"))


def train_tokenizers(
    records: Iterable[TuneRecord],
    out_dir: Path | None,
    vocab_size: int = 1000,
    title_vocab_size: int = 600,
    seed: int = 0,
) -> tuple[ABCTokenizer, MetadataVocab]:
    """Train both tokenizers on the training split of these records; saved unless out_dir is
    None. With few records (tests) every record is used instead."""
    records = list(records)
    train = [r for r in records if r.split == "train"] or records
    body = ABCTokenizer.train((r.body for r in train), out_dir, vocab_size, seed)
    meta = MetadataVocab.train(train, out_dir, title_vocab_size, seed)
    return body, meta
