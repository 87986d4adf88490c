"""The core functions the GUI calls, gathered in one replaceable object.

Every entry imports its core module lazily, so building the window imports neither TensorFlow
nor Verovio. Tests may pass a CoreServices with some entries replaced (dataclasses.replace).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from composeium_desktop.gui.widgets.metadata_panel import FormChoices


def _load_generator(model_dir: Path | None) -> Any:
    from composeium_desktop.core.generation.decoder import Generator

    return Generator.load(model_dir)


def _model_available(model_dir: Path) -> bool:
    return (model_dir / "composeium.keras").is_file()


def _make_renderer() -> Any:
    from composeium_desktop.core.render import Renderer

    return Renderer()


def _render_options(
    zoom: int = 40, transpose: int = 0, page_width: int = 2100, page_height: int = 2970
) -> Any:
    from composeium_desktop.core.render import RenderOptions

    return RenderOptions(
        page_width=page_width, zoom=zoom, transpose=transpose, page_height=page_height
    )


def _form_choices() -> FormChoices:
    from composeium_desktop.core.abcnotation import TONICS
    from composeium_desktop.core.generation.request import list_choices

    choices = list_choices()
    return FormChoices(
        tonics=tuple(TONICS),
        modes=tuple(choices["modes"]),
        meters=tuple(choices["meters"]),
        genres=tuple(choices["genres"]),
        borrowed=_borrowed(choices["meters"], choices["genres"]),
    )


def _borrowed(meters: list[str], genres: list[str]) -> tuple[tuple[str, str, str], ...]:
    """(meter, genre, whose rules) where the shipped model's table has too few tunes."""
    from composeium_desktop.core.corpus.wellformed import WellFormedTable
    from composeium_desktop.paths import model_dir

    table = WellFormedTable.load_beside(model_dir())
    if table is None:
        return ()
    found = ((m, g, table.borrowed_from(m, g)) for m in meters for g in genres)
    return tuple((m, g, whose) for m, g, whose in found if whose is not None)


def _tune_header(request: Any) -> str:
    """The headers the generator will write for `request` (shown while the body streams)."""
    from composeium_desktop.core.generation.request import format_tune, resolve_key

    return format_tune(request, resolve_key(request.key).name, "").rstrip("\n") + "\n"


def _validate(abc_text: str) -> list[Any]:
    from composeium_desktop.core.abcnotation import validate

    return list(validate(abc_text))


def _split_tunebook(text: str) -> list[Any]:
    from composeium_desktop.core.abcnotation import split_tunebook

    return list(split_tunebook(text))


def _transpose(abc_text: str, semitones: int) -> str:
    from composeium_desktop.core.abcnotation import transpose_tune

    return transpose_tune(abc_text, semitones)


def _transpose_to(abc_text: str, tonic: str, direction: str) -> str:
    from composeium_desktop.core.abcnotation import transpose_tune_to

    return transpose_tune_to(abc_text, tonic, direction)[0]


def _transpose_passage(abc_text: str, start: int, end: int, semitones: int) -> str:
    from composeium_desktop.core.abcnotation import transpose_passage

    return transpose_passage(abc_text, start, end, semitones)


def _semitones_to_key(key: str, tonic: str, direction: str) -> int:
    from composeium_desktop.core.abcnotation import semitones_to_key

    return semitones_to_key(key, tonic, direction)


def _key_name(tonic: str, mode: str) -> str:
    from composeium_desktop.core.abcnotation import key_name

    return key_name(tonic, mode)


def _parse_tune(abc_text: str) -> Any:
    from composeium_desktop.core.abcnotation import parse_tune

    return parse_tune(abc_text)


def _make_request(**fields: Any) -> Any:
    from composeium_desktop.core.generation.request import GenerationRequest

    return GenerationRequest(**fields)


def _form_plan(text: str) -> Any:
    """The form the Form field says ("AABB, 8+8"; "Free" -> None); ValueError if unreadable."""
    from composeium_desktop.core.generation.form_plan import parse_form

    return parse_form(text)


def _bars_to_rewrite(abc_text: str, start: int, end: int) -> tuple[int, int]:
    """The bars a selection of the tune's text covers; with no selection (start == end) the
    part the cursor is in. ValueError (one line) where there are none."""
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.abcnotation.bar_spans import tune_spans

    try:
        spans = tune_spans(abc_text)
    except ABCError as exc:
        raise ValueError(f"the tune does not read: {exc}") from None
    found = spans.bars_between(start, end) if end > start else spans.part_at(start)
    if found is None:
        raise ValueError("select bars of the tune (or put the cursor in a part)")
    return found


def _variation_range(abc_text: str, selection: tuple[int, int] | None) -> tuple[int, int]:
    from composeium_desktop.core.abcnotation import ABCError
    from composeium_desktop.core.generation.regenerate import variation_range

    try:
        return variation_range(abc_text, selection)
    except ABCError as exc:
        raise ValueError(f"the tune does not read: {exc}") from None


def _regenerate(
    generator: Any,
    cancelled: Callable[[], bool],
    progress: Callable[[int, int], None],
    *,
    text: str,
    first: int,
    last: int,
    seed: int | None,
    count: int,
) -> tuple[Any, ...]:
    """Rewrites of bars first-last (core.generation.regenerate.Regeneration), best first; run
    on the generation thread."""
    from composeium_desktop.core.generation.regenerate import regeneration_candidates

    found = regeneration_candidates(
        generator, text, first, last, seed=seed, count=count, cancelled=cancelled, progress=progress
    )
    return tuple(found)


def _make_player(soundfont: str, device: str) -> Any:
    """A core Player on the chosen output device; AudioDeviceError when there is none."""
    from composeium_desktop.core.audio.player import AudioDeviceError, Player, output_device_problem

    problem = output_device_problem()
    if problem:
        raise AudioDeviceError(problem)
    if device:
        import sounddevice

        sounddevice.default.device = (sounddevice.default.device[0], device)
    return Player(soundfont or None)


def _make_midi(abc_text: str, tempo: int | None, program: int, lilt: Any = None) -> Any:
    """The MIDI that plays: `lilt` a core.audio.lilt.Lilt (None: the genre's swing)."""
    from composeium_desktop.core.audio.midi import abc_to_midi

    return abc_to_midi(abc_text, tempo=tempo, program=program, lilt=lilt)


def _list_audio_devices() -> list[str]:
    from composeium_desktop.core.audio.player import output_device_problem

    if output_device_problem():
        return []
    import sounddevice

    return [d["name"] for d in sounddevice.query_devices() if d.get("max_output_channels", 0) > 0]


def _export(kind: str, abc_text: str, path: Path, options: dict[str, Any]) -> None:
    from composeium_desktop.core import export

    function = getattr(export, f"export_{kind}")
    function(abc_text, path, **options)


def _warm_model_identity(model_dir: Path | None) -> None:
    """Hash the model's weights now for the provenance of the tunes to come (the core keeps the
    identity per file version); no model there: nothing to do."""
    from composeium_desktop.core.generation.provenance import model_identity
    from composeium_desktop.paths import model_dir as shipped

    with contextlib.suppress(OSError):
        model_identity(model_dir or shipped())


def _finish_new_tune(
    abc: str, request: Any = None, model_dir: Path | None = None, chords: str = ""
) -> tuple[str, str]:
    """A new tune as the window shows it (on the generation thread): its provenance (the
    request and the model in ``model_dir``), then chords in style ``chords`` ("": none)."""
    from composeium_desktop.core.generation.provenance import finish_tune, model_identity
    from composeium_desktop.paths import model_dir as shipped

    try:
        model = model_identity(model_dir or shipped())
    except OSError:
        model = None
    text, note = finish_tune(abc, request, model, chords)
    return text, f"The new tune was {note}" if note else ""


def _read_provenance(abc_text: str) -> Any:
    """The settings a tune records (core.generation.provenance), None if it records none."""
    from composeium_desktop.core.generation.provenance import read_provenance

    return read_provenance(abc_text)


@lru_cache(maxsize=2)
def _corpus_index(model_dir: Path) -> Any:
    from composeium_desktop.core.evaluation.originality import load_index

    return load_index(model_dir)


def _nearest_tune(model_dir: Path | None, abc_text: str) -> Any:
    """The corpus tune nearest to a tune (a NearestTune, None without an index or a match);
    reads the model folder's corpus index the first time (off the GUI thread)."""
    from composeium_desktop.paths import model_dir as shipped

    index = _corpus_index(Path(model_dir or shipped()))
    return None if index is None else index.nearest_to_tune(abc_text)


@dataclass(frozen=True)
class CoreServices:
    """The core entry points the GUI uses; each is a plain callable."""

    load_generator: Callable[[Path | None], Any] = _load_generator
    model_available: Callable[[Path], bool] = _model_available
    make_renderer: Callable[[], Any] = _make_renderer
    # A renderer of its own for a dialog's preview (never the score's, which may be shared).
    make_preview_renderer: Callable[[], Any] = _make_renderer
    render_options: Callable[..., Any] = _render_options
    form_choices: Callable[[], FormChoices] = _form_choices
    validate: Callable[[str], list[Any]] = _validate
    split_tunebook: Callable[[str], list[Any]] = _split_tunebook
    transpose: Callable[[str, int], str] = _transpose
    transpose_to: Callable[[str, str, str], str] = _transpose_to
    transpose_passage: Callable[[str, int, int, int], str] = _transpose_passage
    semitones_to_key: Callable[[str, str, str], int] = _semitones_to_key
    key_name: Callable[[str, str], str] = _key_name
    parse_tune: Callable[[str], Any] = _parse_tune
    make_request: Callable[..., Any] = _make_request
    form_plan: Callable[[str], Any] = _form_plan
    tune_header: Callable[[Any], str] = _tune_header
    make_player: Callable[[str, str], Any] = _make_player
    make_midi: Callable[[str, int | None, int, Any], Any] = _make_midi
    list_audio_devices: Callable[[], list[str]] = _list_audio_devices
    export: Callable[[str, str, Path, dict[str, Any]], None] = _export
    finish_new_tune: Callable[..., tuple[str, str]] = _finish_new_tune
    warm_model_identity: Callable[[Path | None], None] = _warm_model_identity
    read_provenance: Callable[[str], Any] = _read_provenance
    nearest_tune: Callable[[Path | None, str], Any] = _nearest_tune
    bars_to_rewrite: Callable[[str, int, int], tuple[int, int]] = _bars_to_rewrite
    variation_range: Callable[[str, tuple[int, int] | None], tuple[int, int]] = _variation_range
    regenerate: Callable[..., tuple[Any, ...]] = _regenerate
