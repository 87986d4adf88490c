"""ABCTokenizer and MetadataVocab: exact round-trips, bar-aware pieces, determinism."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from composeium_desktop import paths
from composeium_desktop.core.corpus import TuneRecord, load_corpus, records_from_abc_text
from composeium_desktop.core.corpus.sources import music21_corpus_dir
from composeium_desktop.core.tokenizer import (
    MAX_META_LEN,
    ABCTokenizer,
    MetadataVocab,
    normalise_title,
    split_body,
    train_tokenizers,
)

TRICKY_BODY = (
    '|: "Am"A2B c>dc | [K:G] {g}A3 !trill!B2 (3cBA :|1 e4 z2 |]\n'
    '[2 [CEG]2 ~d2 "^Fine (|)" f/g/a/ ||\n'
    "|:: dd  ee :|2 ff ::\n"
    "[M:3/4] g6 |]\n"
)
ACCENTED = '"^D\u00e9j\u00e0 vu" G2 \u00df |\n'


@pytest.fixture(scope="module")
def sample_records() -> list[TuneRecord]:
    folder = music21_corpus_dir() / "ryansMammoth"
    records: list[TuneRecord] = []
    for path in sorted(folder.glob("*.abc"))[:80]:
        records.extend(records_from_abc_text(path.read_text(encoding="utf-8"), "ryansMammoth"))
    assert len(records) >= 60
    return records


@pytest.fixture(scope="module")
def small_tokenizer(sample_records: list[TuneRecord]) -> ABCTokenizer:
    # TRICKY_BODY joins the training text so that every character it uses has a piece.
    bodies = [r.body for r in sample_records] + [TRICKY_BODY]
    return ABCTokenizer.train(bodies, None, vocab_size=200)


def _shipped_tokenizer() -> ABCTokenizer:
    folder = paths.model_dir() / "tokenizer"
    assert (folder / "body.model").is_file(), "the shipped tokenizer is missing"
    return ABCTokenizer.load(folder)


def test_split_body_keeps_every_character_and_isolates_bars() -> None:
    segments = split_body(TRICKY_BODY)
    assert "".join(text for _, text in segments) == TRICKY_BODY
    bars = [text for kind, text in segments if kind == "bar"]
    assert bars == ["|:", "|", ":|1", "|]", "[2", "||", "|::", ":|2", "::", "|]"]
    quoted = [text for kind, text in segments if kind == "music" and "(|)" in text]
    assert quoted, "a bar sign inside a quoted annotation is not a bar line"


def test_round_trip_on_sample_and_unseen_text(
    small_tokenizer: ABCTokenizer, sample_records: list[TuneRecord]
) -> None:
    for record in sample_records:
        ids = small_tokenizer.encode(record.body)
        assert small_tokenizer.decode(ids) == record.body
        assert small_tokenizer.unk_id not in ids
    ids = small_tokenizer.encode(TRICKY_BODY)
    assert small_tokenizer.decode(ids) == TRICKY_BODY


def test_byte_fallback_encodes_unseen_characters_without_unk(
    sample_records: list[TuneRecord],
) -> None:
    tokenizer = ABCTokenizer.train([r.body for r in sample_records], None, vocab_size=600)
    ids = tokenizer.encode(TRICKY_BODY + ACCENTED)
    assert tokenizer.unk_id not in ids
    assert tokenizer.decode(ids) == TRICKY_BODY + ACCENTED
    assert set(ids) & tokenizer.byte_ids, "the accented letters were never seen in training"


def test_bar_lines_are_pieces_of_their_own(small_tokenizer: ABCTokenizer) -> None:
    for i, piece in enumerate(small_tokenizer.pieces):
        if "|" in piece:
            assert piece in small_tokenizer.bar_symbols, (i, piece)
    pieces = [small_tokenizer.pieces[i] for i in small_tokenizer.encode(TRICKY_BODY)]
    assert "|:" in pieces and ":|1" in pieces and "[2" in pieces and "\n" in pieces
    assert all("|" not in p or p in small_tokenizer.bar_symbols for p in pieces)


def test_pieces_text_concatenates_to_the_decoded_body(small_tokenizer: ABCTokenizer) -> None:
    ids = small_tokenizer.encode("|: ABc dBA | G2 :|\n")
    assert "".join(small_tokenizer.pieces[i] for i in ids) == "|: ABc dBA | G2 :|\n"
    assert small_tokenizer.pad_id == 0
    assert small_tokenizer.pieces[small_tokenizer.eos_id] == ""


def test_training_is_deterministic(sample_records: list[TuneRecord], tmp_path: Path) -> None:
    bodies = [r.body for r in sample_records]
    ABCTokenizer.train(bodies, tmp_path / "a", vocab_size=300, seed=0)
    ABCTokenizer.train(bodies, tmp_path / "b", vocab_size=300, seed=0)
    assert (tmp_path / "a" / "body.model").read_bytes() == (
        tmp_path / "b" / "body.model"
    ).read_bytes()


def test_tiny_vocabulary_trains_quickly_on_few_tunes(sample_records: list[TuneRecord]) -> None:
    start = time.perf_counter()
    tokenizer = ABCTokenizer.train([r.body for r in sample_records[:50]], None, vocab_size=120)
    assert time.perf_counter() - start < 10
    assert tokenizer.vocab_size <= 120
    body = sample_records[0].body
    assert tokenizer.decode(tokenizer.encode(body)) == body


def test_save_and_load_give_the_same_encoding(
    sample_records: list[TuneRecord], tmp_path: Path
) -> None:
    body_tok, meta = train_tokenizers(sample_records, tmp_path, vocab_size=200, title_vocab_size=60)
    assert {p.name for p in tmp_path.iterdir()} >= {"body.model", "title.model", "meta.json"}
    loaded = ABCTokenizer.load(tmp_path)
    assert loaded.encode(TRICKY_BODY) == body_tok.encode(TRICKY_BODY)
    assert loaded.pieces == body_tok.pieces
    meta2 = MetadataVocab.load(tmp_path)
    args = ("The Silver Spear", "D", "major", "4/4", "reel")
    assert meta2.encode(*args) == meta.encode(*args)


def test_metadata_vocab_encodes_categories_and_title(sample_records: list[TuneRecord]) -> None:
    meta = MetadataVocab.train(sample_records, None, title_vocab_size=80)
    ids = meta.encode("The Kesh", "G", "major", "6/8", "jig")
    assert [meta.id_to_token(i) for i in ids[:4]] == [
        "<tonic:G>",
        "<mode:major>",
        "<meter:6/8>",
        "<genre:jig>",
    ]
    assert len(ids) > 4 and all(0 < i < meta.vocab_size for i in ids)
    assert (
        meta.encode("x", "C#", "minor", "6/8", "jig")[0]
        == meta.encode("x", "Db", "minor", "6/8", "jig")[0]
    )
    unknown = meta.encode("", "E", "dorian", "11/16", "tango")
    assert [meta.id_to_token(i) for i in unknown] == [
        "<tonic:E>",
        "<mode:dorian>",
        "<meter:other>",
        "<genre:other>",
    ]
    assert len(meta.encode("word " * 200, "A", "minor", "3/4", "waltz")) == MAX_META_LEN
    with pytest.raises(ValueError):
        meta.encode("x", "H", "major", "4/4", "reel")


def test_titles_get_one_spelling() -> None:
    assert normalise_title("Merry Tailor, The") == "the merry tailor"
    assert normalise_title("  Niel Gow.  ") == "niel gow"
    assert normalise_title("Der Jäger aus Kurpfalz") == normalise_title("DER JAEGER AUS KURPFALZ")
    assert normalise_title("Caf\u00e9 Ch\u00e1ntal") == "cafe chantal"


def test_shipped_tokenizer_round_trips_a_sample(sample_records: list[TuneRecord]) -> None:
    tokenizer = _shipped_tokenizer()
    assert tokenizer.pad_id == 0 and 900 <= tokenizer.vocab_size <= 1000
    for record in sample_records:
        ids = tokenizer.encode(record.body)
        assert tokenizer.unk_id not in ids
        assert tokenizer.decode(ids) == record.body
    assert MetadataVocab.load(paths.model_dir()).encode("Kesh", "G", "major", "6/8", "jig")


@pytest.mark.slow
def test_shipped_tokenizer_round_trips_every_corpus_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSEIUM_DATA_DIR", str(tmp_path))  # no cache left in the user's home
    tokenizer = _shipped_tokenizer()
    records = load_corpus()
    assert len(records) > 10000
    failures = [r.title for r in records if tokenizer.decode(tokenizer.encode(r.body)) != r.body]
    assert failures == []
    assert not any(tokenizer.unk_id in tokenizer.encode(r.body) for r in records[::7])
