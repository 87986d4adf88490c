"""Playback controls: play/pause, stop, loop, tempo, instrument, swing, a position slider and
the practice tools (count-in, metronome, loop the selected bars, loop a part, tempo ramp, mute
melody).

The bar only reports what the user asked for; the playback controller drives the core player
and calls set_position / set_playing / show_message back. The tempo counts the beat the tune's
Q: counts (120 dotted quarters in a jig written Q:3/8=120); the slider runs in the score's time
and the time label shows real time at the chosen tempo (set_time_scale).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

from composeium_desktop.core.audio.tempo import TempoBeat
from composeium_desktop.gui.widgets.gm_programs import GM_PROGRAMS


def _clock(ms: float) -> str:
    seconds = max(int(ms // 1000), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _tool_button(text: str, tip: str, icon: QIcon | None = None) -> QToolButton:
    """A tool button (set through setters: the stubs know no constructor keywords)."""
    button = QToolButton()
    if text:
        button.setText(text)
    if icon is not None:
        button.setIcon(icon)
    button.setToolTip(tip)
    return button


RAMP_CHOICES = (
    (None, "Full speed"),
    (0.5, "Ramp from 50%"),
    (0.6, "Ramp from 60%"),
    (0.7, "Ramp from 70%"),
    (0.8, "Ramp from 80%"),
)
RAMP_STEP = 0.1
COMBO_CHARS = 7
# Swing as core.audio.lilt counts it: a percentage (0 straight, 50 = 2:1, 100 = 3:1); None
# plays each tune with its genre's swing (R: hornpipe 2:1, reel 6:5, jig 6:4:5).
SWING_CHOICES = (
    (None, "Swing: by genre"),
    (0.0, "Straight"),
    (10.0, "Light swing 6:5"),
    (25.0, "Swing 3:2"),
    (50.0, "Hornpipe swing 2:1"),
    (100.0, "Dotted 3:1"),
)


class SeekSlider(QSlider):
    """A slider whose groove, when clicked, jumps to the clicked position (not a page step)."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
        )
        if event.button() == Qt.MouseButton.LeftButton and not handle.contains(
            event.position().toPoint()
        ):
            value = QStyle.sliderValueFromPosition(
                self.minimum(), self.maximum(), int(event.position().x()), max(1, self.width())
            )
            self.setValue(value)
            self.sliderMoved.emit(value)
            self.sliderReleased.emit()
            event.accept()
            return
        super().mousePressEvent(event)


class TransportBar(QWidget):
    """play_toggled() asks to play or pause; seek_requested(ms) comes from the slider."""

    play_toggled = Signal()
    stop_requested = Signal()
    loop_toggled = Signal(bool)
    tempo_changed = Signal(int)
    program_changed = Signal(int)
    seek_requested = Signal(float)
    count_in_toggled = Signal(bool)
    metronome_toggled = Signal(bool)
    mute_melody_toggled = Signal(bool)
    loop_selection_requested = Signal()
    loop_part_requested = Signal(int)  # index into the parts offered, -1: none
    ramp_changed = Signal(object)  # start fraction or None
    swing_changed = Signal(object)  # percentage or None (the genre's)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.play_button = _tool_button("", "Play / pause (Space)", self._play_icon)
        self.stop_button = _tool_button(
            "", "Stop", style.standardIcon(QStyle.StandardPixmap.SP_MediaStop)
        )
        self.loop_button = _tool_button("Loop", "Loop the tune")
        self.loop_button.setCheckable(True)
        self.loop_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.loop_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.position_slider = SeekSlider(Qt.Orientation.Horizontal)
        self.position_slider.setRange(0, 0)
        self.position_slider.setToolTip("Playback position")
        self.time_label = QLabel("0:00 / 0:00")
        self.tempo_spin = QSpinBox()
        self.tempo_spin.setRange(30, 300)
        self.tempo_spin.setValue(120)
        self._beat = TempoBeat()
        self.set_beat(self._beat)
        self.part_combo = QComboBox()
        self.part_combo.setToolTip("Loop one part of the tune, its repeats and endings included")
        self.set_parts(())
        self.count_in_button = self._toggle("Count-in", "One bar of clicks before the music")
        self.metronome_button = self._toggle("Click", "Metronome: a click on every beat")
        self.mute_button = self._toggle("Mute melody", "Play only the backing (play along)")
        self.loop_selection_button = _tool_button(
            "Loop bars", "Loop the notes selected in the editor"
        )
        self.ramp_combo = QComboBox()
        self.ramp_combo.addItems([label for _, label in RAMP_CHOICES])
        self.ramp_combo.setToolTip("Tempo ramp: start slower, 10% faster each time round the loop")
        self.swing_combo = QComboBox()
        self.swing_combo.addItems([label for _, label in SWING_CHOICES])
        self.swing_combo.setToolTip(
            "Swing: the tune's genre decides (hornpipes dotted, reels light, jigs long-short-"
            "medium), or straight, or a fixed swing"
        )
        self.program_combo = QComboBox()
        self.program_combo.addItems([f"{i + 1:3d} {name}" for i, name in enumerate(GM_PROGRAMS)])
        self.program_combo.setToolTip("Instrument (General MIDI program)")
        self.program_combo.setMaxVisibleItems(20)
        self.message_label = QLabel()
        self.message_label.setStyleSheet("color: #a2191f;")
        self.message_label.hide()
        self._duration_ms = 0.0
        self._time_scale = 1.0
        self._slider_held = False
        for combo in (self.program_combo, self.swing_combo, self.ramp_combo, self.part_combo):
            # Narrow windows keep the score wide: the combos shorten their text, not the score.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(COMBO_CHARS)
        self._build_layout()
        self._connect()

    @staticmethod
    def _toggle(text: str, tip: str) -> QToolButton:
        button = _tool_button(text, tip)
        button.setCheckable(True)
        return button

    def ramp_start(self) -> float | None:
        return RAMP_CHOICES[max(0, self.ramp_combo.currentIndex())][0]

    def swing(self) -> float | None:
        """The swing asked for: a percentage, or None for the genre's."""
        return SWING_CHOICES[max(0, self.swing_combo.currentIndex())][0]

    def set_beat(self, beat: TempoBeat) -> None:
        """Count the tempo in `beat` (the tune's Q: beat); the number shown is not converted."""
        self._beat = beat
        self.tempo_spin.setPrefix(f"{beat.symbol}=")
        self.tempo_spin.setSuffix("")
        self.tempo_spin.setToolTip(
            f"Playback tempo: {beat.name} a minute, as the tune's Q:{beat.field}= counts"
        )

    @property
    def beat(self) -> TempoBeat:
        return self._beat

    def quarter_bpm(self) -> float:
        """The chosen tempo in quarter notes a minute (what the player and the MIDI count)."""
        return self._beat.to_quarters(self.tempo_spin.value())

    def set_parts(self, titles: tuple[str, ...]) -> None:
        """Offer these parts to loop ("Part A (8 bars, twice)", ...); none disables the choice."""
        self.part_combo.blockSignals(True)
        self.part_combo.clear()
        self.part_combo.addItem("Loop part…")
        self.part_combo.addItems(list(titles))
        self.part_combo.setEnabled(bool(titles))
        self.part_combo.blockSignals(False)

    def show_part(self, index: int) -> None:
        """Show part `index` as the one looped (-1: none), without asking for it again."""
        self.part_combo.blockSignals(True)
        self.part_combo.setCurrentIndex(max(0, index + 1))
        self.part_combo.blockSignals(False)

    def set_swing(self, percent: float | None) -> None:
        """Select the choice nearest `percent` (None: by genre)."""
        if percent is None:
            index = 0
        else:
            index = min(
                range(1, len(SWING_CHOICES)),
                key=lambda i: abs((SWING_CHOICES[i][0] or 0.0) - percent),
            )
        self.swing_combo.setCurrentIndex(index)

    def _build_layout(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for button in (self.play_button, self.stop_button, self.loop_button):
            button.setAutoRaise(True)
            layout.addWidget(button)
        layout.addWidget(self.position_slider, 3)
        layout.addWidget(self.time_label)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Tempo"))
        layout.addWidget(self.tempo_spin)
        layout.addWidget(QLabel("Instrument"))
        layout.addWidget(self.program_combo, 1)
        layout.addWidget(self.swing_combo)
        for button in (
            self.count_in_button,
            self.metronome_button,
            self.loop_selection_button,
            self.mute_button,
        ):
            button.setAutoRaise(True)
            layout.addWidget(button)
        layout.addWidget(self.part_combo)
        layout.addWidget(self.ramp_combo)
        layout.addWidget(self.message_label, 2)

    def _connect(self) -> None:
        self.play_button.clicked.connect(self.play_toggled)
        self.stop_button.clicked.connect(self.stop_requested)
        self.loop_button.toggled.connect(self.loop_toggled)
        self.tempo_spin.valueChanged.connect(self.tempo_changed)
        self.program_combo.currentIndexChanged.connect(self.program_changed)
        self.position_slider.sliderPressed.connect(self._hold)
        self.position_slider.sliderReleased.connect(self._release)
        self.position_slider.sliderMoved.connect(self._moved)
        self.count_in_button.toggled.connect(self.count_in_toggled)
        self.metronome_button.toggled.connect(self.metronome_toggled)
        self.mute_button.toggled.connect(self.mute_melody_toggled)
        self.loop_selection_button.clicked.connect(self.loop_selection_requested)
        self.part_combo.currentIndexChanged.connect(lambda i: self.loop_part_requested.emit(i - 1))
        self.ramp_combo.currentIndexChanged.connect(
            lambda _i: self.ramp_changed.emit(self.ramp_start())
        )
        self.swing_combo.currentIndexChanged.connect(
            lambda _i: self.swing_changed.emit(self.swing())
        )

    def _moved(self, value: int) -> None:
        """While dragging, the time label shows where the handle is."""
        self._show_time(float(value))

    def _show_time(self, ms: float) -> None:
        scale = self._time_scale
        self.time_label.setText(f"{_clock(ms * scale)} / {_clock(self._duration_ms * scale)}")

    def set_time_scale(self, scale: float) -> None:
        """Real ms per slider ms (the tune's own tempo over the chosen one)."""
        self._time_scale = scale if scale > 0 else 1.0
        self._show_time(float(self.position_slider.value()))

    def _hold(self) -> None:
        self._slider_held = True

    def _release(self) -> None:
        self._slider_held = False
        self.seek_requested.emit(float(self.position_slider.value()))

    def set_duration(self, ms: float, keep_position: bool = False) -> None:
        self._duration_ms = ms
        self.position_slider.setMaximum(int(ms))
        if keep_position:
            self.set_position(float(self.position_slider.value()))
        else:
            self.set_position(0.0)

    def set_position(self, ms: float) -> None:
        if not self._slider_held:
            self.position_slider.setValue(int(ms))
        self._show_time(ms)

    def set_playing(self, playing: bool) -> None:
        self.play_button.setIcon(self._pause_icon if playing else self._play_icon)

    def set_tempo(self, bpm: int) -> None:
        self.tempo_spin.blockSignals(True)
        self.tempo_spin.setValue(bpm)
        self.tempo_spin.blockSignals(False)

    def set_program(self, program: int) -> None:
        self.program_combo.setCurrentIndex(max(0, min(127, program)))

    def show_message(self, text: str) -> None:
        """Show a persistent note such as "No audio output device" (empty text hides it)."""
        self.message_label.setText(text)
        self.message_label.setToolTip(text)
        self.message_label.setVisible(bool(text))
