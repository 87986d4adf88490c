"""Playback in the window: transport bar <-> core player, and the score cursor that follows it.

The core player runs its own audio thread and reports positions through the PlayerAdapter's
signals. Without an audio device the transport shows why and everything else keeps working.
The text played is always the editor's current text (replay plays the edit).
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QObject, Signal

from composeium_desktop.gui.score_controller import ScoreController
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.abc_editor import ABCEditor
from composeium_desktop.gui.widgets.score_view import ScoreView
from composeium_desktop.gui.widgets.transport_bar import TransportBar
from composeium_desktop.gui.workers import PlayerAdapter, describe_error


class PlaybackController(QObject):
    """Drives the core player from the transport bar."""

    status = Signal(str)

    def __init__(
        self,
        transport: TransportBar,
        editor: ABCEditor,
        score_view: ScoreView,
        score: ScoreController,
        services: CoreServices,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._transport = transport
        self._editor = editor
        self._view = score_view
        self._score = score
        self._services = services
        self.adapter = PlayerAdapter(self)
        self.adapter.position_changed.connect(self._on_position)
        self.adapter.finished.connect(self._on_finished)
        self.adapter.error.connect(self._on_error)
        self._player: Any = None
        self._loaded_text: str | None = None
        self.playing = False
        self.paused = False
        self.soundfont = ""
        self.device = ""
        self._onsets: list[float] = []
        self._timemap: list[Any] = []
        transport.play_toggled.connect(self.toggle)
        transport.stop_requested.connect(self.stop)
        transport.loop_toggled.connect(self._on_loop)
        transport.tempo_changed.connect(self._on_tempo)
        transport.program_changed.connect(self._on_program)
        transport.seek_requested.connect(self.seek)
        score.rendered.connect(self._on_rendered)

    def options(self) -> dict[str, int]:
        """Tempo and instrument as the exports of audio should use them."""
        return {
            "tempo": self._transport.tempo_spin.value(),
            "program": self._transport.program_combo.currentIndex(),
        }

    def configure(self, soundfont: str, device: str) -> None:
        """New SoundFont or output device: the next Play uses them."""
        if (soundfont, device) != (self.soundfont, self.device):
            self.soundfont, self.device = soundfont, device
            self._close_player()

    def _ensure_player(self) -> bool:
        if self._player is not None:
            return True
        try:
            self._player = self._services.make_player(self.adapter, self.soundfont, self.device)
        except Exception as exc:
            self._transport.show_message(f"No sound: {describe_error(exc)}")
            self.status.emit(
                f"Playback unavailable: {describe_error(exc)}. Editing and export still work."
            )
            return False
        self._transport.show_message("")
        return True

    def toggle(self) -> None:
        if self.playing and not self.paused:
            self._call("pause")
            self.paused = True
            self._transport.set_playing(False)
        elif self.playing and self.paused:
            self._call("resume")
            self.paused = False
            self._transport.set_playing(True)
        else:
            self.play()

    def play(self) -> None:
        text = self._editor.toPlainText()
        if not text.strip():
            self.status.emit("Nothing to play: the editor is empty.")
            return
        if not self._ensure_player():
            return
        try:
            if text != self._loaded_text:
                duration = self._player.load(text, **self.options())
                self._loaded_text = text
                self._transport.set_duration(float(duration))
            self._player.set_loop(self._transport.loop_button.isChecked())
            self._player.play()
        except Exception as exc:
            self._on_error(describe_error(exc))
            return
        self.playing, self.paused = True, False
        self._transport.set_playing(True)

    def stop(self) -> None:
        if self._player is not None:
            self._call("stop")
        self.playing = self.paused = False
        self._transport.set_playing(False)
        self._transport.set_position(0.0)
        self._view.highlight_playing_note(None)
        self._editor.set_note_highlight(0, 0)

    def seek(self, ms: float) -> None:
        if self._player is not None and self.playing:
            self._call("seek", ms)

    def _call(self, name: str, *args: Any) -> None:
        try:
            getattr(self._player, name)(*args)
        except Exception as exc:
            self._on_error(describe_error(exc))

    def _on_loop(self, loop: bool) -> None:
        if self._player is not None:
            self._call("set_loop", loop)

    def _on_tempo(self, bpm: int) -> None:
        if self._player is not None and self._loaded_text is not None:
            self._call("set_tempo", bpm)

    def _on_program(self, program: int) -> None:
        if self._player is not None and self._loaded_text is not None:
            self._call("set_program", program)

    def _on_rendered(self, result: Any) -> None:
        self._timemap = sorted(result.timemap, key=lambda e: e.on_ms)
        self._onsets = [float(e.on_ms) for e in self._timemap]

    def element_at_time(self, ms: float) -> Any:
        index = bisect.bisect_right(self._onsets, ms) - 1
        if index < 0:
            return None
        element = self._timemap[index]
        return element if ms < float(element.off_ms) + 1 else None

    def _on_position(self, ms: float) -> None:
        if not self.playing:
            return
        self._transport.set_position(ms)
        element = self.element_at_time(self._tempo_scaled(ms))
        element_id = element.id if element is not None else None
        self._view.highlight_playing_note(element_id)
        result = self._score.result
        if element_id and result is not None and element_id in result.positions:
            line, column = result.positions[element_id]
            self._editor.set_note_highlight(int(line), int(column))

    def _tempo_scaled(self, ms: float) -> float:
        """Player time -> score time: the timemap is engraved at the tune's own tempo."""
        player = self._player
        factor = getattr(player, "timemap_scale", None)
        return ms * float(factor()) if callable(factor) else ms

    def _on_finished(self) -> None:
        self.stop()

    def _on_error(self, message: str) -> None:
        self.playing = self.paused = False
        self._transport.set_playing(False)
        self._transport.show_message(f"No sound: {message}")
        self.status.emit(f"Playback: {message}")

    def _close_player(self) -> None:
        if self._player is not None:
            try:
                self._player.close()
            except Exception as exc:
                self.status.emit(f"Closing the audio player failed: {describe_error(exc)}")
            self._player = None
            self._loaded_text = None

    def shutdown(self) -> None:
        self.stop()
        self._close_player()
