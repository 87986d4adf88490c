"""The core functions the GUI calls, gathered in one replaceable object.

Every entry imports its core module lazily, so building the window imports neither TensorFlow
nor Verovio. Tests may pass a CoreServices with some entries replaced (dataclasses.replace).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composeium_desktop.gui.widgets.metadata_panel import FormChoices


def _load_generator(model_dir: Path | None) -> Any:
    from composeium_desktop.core.generation import Generator

    return Generator.load(model_dir)


def _model_available(model_dir: Path) -> bool:
    return (model_dir / "composeium.keras").is_file()


def _make_renderer() -> Any:
    from composeium_desktop.core.render import Renderer

    return Renderer()


def _render_options(zoom: int = 40, transpose: int = 0) -> Any:
    from composeium_desktop.core.render import RenderOptions

    return RenderOptions(zoom=zoom, transpose=transpose)


def _form_choices() -> FormChoices:
    from composeium_desktop.core.generation import list_choices

    choices = list_choices()
    defaults = FormChoices()
    return FormChoices(
        tonics=tuple(choices.get("tonics", defaults.tonics)),
        modes=tuple(choices.get("modes", defaults.modes)),
        meters=tuple(choices.get("meters", defaults.meters)),
        genres=tuple(choices.get("genres", defaults.genres)),
    )


def _validate(abc_text: str) -> list[Any]:
    from composeium_desktop.core.abcnotation import validate

    return list(validate(abc_text))


def _split_tunebook(text: str) -> list[Any]:
    from composeium_desktop.core.abcnotation import split_tunebook

    return list(split_tunebook(text))


def _transpose(abc_text: str, semitones: int) -> str:
    from composeium_desktop.core.abcnotation import transpose_tune

    return transpose_tune(abc_text, semitones)


def _key_name(tonic: str, mode: str) -> str:
    from composeium_desktop.core.abcnotation import key_name

    return key_name(tonic, mode)


def _parse_tune(abc_text: str) -> Any:
    from composeium_desktop.core.abcnotation import parse_tune

    return parse_tune(abc_text)


def _make_request(**fields: Any) -> Any:
    from composeium_desktop.core.generation import GenerationRequest

    return GenerationRequest(**fields)


def _make_player(adapter: Any, soundfont: str, device: str) -> Any:
    from composeium_desktop.gui.playback_bridge import make_core_player

    return make_core_player(adapter, soundfont, device)


def _list_audio_devices() -> list[str]:
    from composeium_desktop.gui.playback_bridge import list_output_devices

    return list_output_devices()


def _export(kind: str, abc_text: str, path: Path, options: dict[str, Any]) -> None:
    from composeium_desktop.core import export

    function = getattr(export, f"export_{kind}")
    function(abc_text, path, **options)


@dataclass(frozen=True)
class CoreServices:
    """The core entry points the GUI uses; each is a plain callable."""

    load_generator: Callable[[Path | None], Any] = _load_generator
    model_available: Callable[[Path], bool] = _model_available
    make_renderer: Callable[[], Any] = _make_renderer
    render_options: Callable[..., Any] = _render_options
    form_choices: Callable[[], FormChoices] = _form_choices
    validate: Callable[[str], list[Any]] = _validate
    split_tunebook: Callable[[str], list[Any]] = _split_tunebook
    transpose: Callable[[str, int], str] = _transpose
    key_name: Callable[[str, str], str] = _key_name
    parse_tune: Callable[[str], Any] = _parse_tune
    make_request: Callable[..., Any] = _make_request
    make_player: Callable[[Any, str, str], Any] = _make_player
    list_audio_devices: Callable[[], list[str]] = _list_audio_devices
    export: Callable[[str, str, Path, dict[str, Any]], None] = _export
