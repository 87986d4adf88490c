"""The metadata form: what to compose (title, key, meter, genre, form, bars, tempo) and how
(creativity, seed, length in tokens), plus the Generate / Stop / Continue / Variations buttons.

The panel knows nothing about the model: it reports a frozen FormValues and the window's
controller turns it into a core.generation.GenerationRequest. The Form field follows the genre
(its dance tunes' form, "AABB, 8+8", or "Free") until the user writes another form in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from composeium_desktop.core.abcnotation import ABCError, key_name
from composeium_desktop.core.audio.tempo import meter_beat
from composeium_desktop.core.generation.form_plan import default_form
from composeium_desktop.core.generation.request import MAX_BARS
from composeium_desktop.gui.settings import DefaultMetadata

FREE_FORM = "Free"
FORM_CHOICES = (
    "AABB, 8+8",
    "AABB, 8+8, endings 1",
    "AABB, 16+16",
    "AABBCC, 8+8+8",
    "AB, 8+8",
    "AB, 16+16",
    "AABA, 8+8+8",
    FREE_FORM,
)


@dataclass(frozen=True)
class FormChoices:
    """The values the form offers (from core.generation.list_choices once it is loaded)."""

    tonics: tuple[str, ...] = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    modes: tuple[str, ...] = ("major", "minor", "dorian", "mixolydian")
    meters: tuple[str, ...] = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2")
    genres: tuple[str, ...] = ("reel", "jig", "slip jig", "hornpipe", "polka", "waltz", "march")
    # (meter, genre, whose rules) for a genre with too few tunes in a meter, which borrows the
    # rules of a well-formed tune from its family ("reel in 2/4"; core.corpus.wellformed).
    borrowed: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class FormValues:
    """Everything the user set in the form."""

    title: str
    tonic: str
    mode: str
    meter: str
    genre: str
    tempo: int
    temperature: float
    seed: int
    new_seed_each_time: bool
    max_tokens: int
    bars: int | None = None  # None: drawn like the corpus's tunes of that meter and genre
    form: str = "Free"  # as the Form field says it: "AABB, 8+8", "AB, 16+16", "Free"
    chords: bool = True  # harmonise the new tune (core.harmony) when it is finished


def _select(combo: QComboBox, value: str) -> bool:
    index = combo.findText(value)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


class MetadataPanel(QWidget):
    """Form on the left of the window.

    generate_requested / stop_requested / continue_requested / variations_requested(n) are
    emitted by the buttons; the window decides what they do.
    """

    generate_requested = Signal()
    # header_edited(letter, value): the user changed the title ("T"), key ("K": tonic and
    # mode as ABC), meter ("M") or genre ("R"); show_tune() never emits it.
    header_edited = Signal(str, str)
    stop_requested = Signal()
    continue_requested = Signal()
    variations_requested = Signal(int)

    def __init__(self, defaults: DefaultMetadata, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._defaults = defaults
        self.setMinimumWidth(240)
        self.title_edit = QLineEdit(defaults.title)
        self.tonic_combo = QComboBox()
        self.mode_combo = QComboBox()
        self.meter_combo = QComboBox()
        self.genre_combo = QComboBox()
        self.tempo_spin = QSpinBox(minimum=30, maximum=300, suffix=" bpm", value=defaults.tempo)
        # 0 shows "Auto": the generator draws a length like the corpus's for the meter and genre.
        self.bars_spin = QSpinBox(minimum=0, maximum=MAX_BARS, suffix=" bars", value=0)
        self.bars_spin.setSpecialValueText("Auto")
        self.bars_spin.setToolTip(
            "How many bars (bar lines) to write; Auto picks a length typical of the genre"
        )
        self.form_combo = QComboBox(editable=True)
        self.form_combo.addItems(list(FORM_CHOICES))
        self.form_combo.setToolTip(
            "The tune's parts and bars per part (AABB = two repeated parts; AABA: the A part "
            'comes back); "endings 1" ends each repeated part in first and second endings of '
            "1 bar. Free lets the model choose. Follows the genre until you choose another form"
        )
        self.form_note = QLabel()
        self.form_note.setStyleSheet("color: #525252;")
        self._form_follows_genre = True
        self._borrowed: tuple[tuple[str, str, str], ...] = ()
        self.creativity_slider = QSlider(Qt.Orientation.Horizontal)
        self.creativity_slider.setRange(10, 200)
        self.creativity_spin = QDoubleSpinBox(minimum=0.1, maximum=2.0, singleStep=0.05, decimals=2)
        self.seed_spin = QSpinBox(minimum=0, maximum=2_147_483_647, value=1)
        self.new_seed_check = QCheckBox("New seed each time")
        self.new_seed_check.setChecked(True)
        self.chords_check = QCheckBox("Chords")
        self.chords_check.setChecked(True)
        self.chords_check.setToolTip("Add chord symbols to the new tune when it is finished")
        self.length_spin = QSpinBox(minimum=32, maximum=1024, singleStep=32, suffix=" tokens")
        self.length_spin.setValue(defaults.max_tokens)
        self.variations_spin = QSpinBox(minimum=2, maximum=8, value=4)
        self.generate_button = QPushButton("Generate")
        self.stop_button = QPushButton("Stop")
        self.continue_button = QPushButton("Continue from cursor")
        self.variations_button = QPushButton("Variations…")
        self.variations_button.setToolTip(
            "Variations of the tune in the editor: new settings of the selected bars, or new "
            "parts after its first part (with no tune open: new tunes)"
        )
        self.model_status = QLabel("Model: not loaded")
        self._build_layout()
        self._connect()
        self.set_choices(FormChoices())
        self.set_values_from_defaults(defaults)
        self._show_tempo_beat(self.meter_combo.currentText())
        self.set_generating(False)

    def _build_layout(self) -> None:
        tune_box = QGroupBox("Tune")
        tune_form = QFormLayout(tune_box)
        key_row = QHBoxLayout()
        key_row.addWidget(self.tonic_combo, 1)
        key_row.addWidget(self.mode_combo, 2)
        tune_form.addRow("Title", self.title_edit)
        tune_form.addRow("Key", key_row)
        tune_form.addRow("Meter", self.meter_combo)
        tune_form.addRow("Genre", self.genre_combo)
        tune_form.addRow("Form", self.form_combo)
        tune_form.addRow("", self.form_note)
        tune_form.addRow("Bars", self.bars_spin)
        tune_form.addRow("Tempo", self.tempo_spin)
        tune_form.addRow("", self.chords_check)

        style_box = QGroupBox("Composer")
        style_form = QFormLayout(style_box)
        creativity_row = QHBoxLayout()
        creativity_row.addWidget(self.creativity_slider, 1)
        creativity_row.addWidget(self.creativity_spin)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        style_form.addRow("Creativity", creativity_row)
        style_form.addRow("Seed", seed_row)
        style_form.addRow("", self.new_seed_check)
        style_form.addRow("Length", self.length_spin)

        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Compose a new tune (Ctrl+Enter)")
        self.generate_button.setMinimumHeight(34)
        self.stop_button.setToolTip("Stop composing (Esc)")
        self.continue_button.setToolTip("Keep the tune up to the editor's cursor and write on")
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.stop_button, 1)
        variations_row = QHBoxLayout()
        variations_row.addWidget(self.variations_button, 1)
        variations_row.addWidget(self.variations_spin)

        self.model_status.setWordWrap(True)
        self.model_status.setStyleSheet("color: #525252;")
        layout = QVBoxLayout(self)
        layout.addWidget(tune_box)
        layout.addWidget(style_box)
        layout.addLayout(buttons)
        layout.addWidget(self.continue_button)
        layout.addLayout(variations_row)
        layout.addStretch(1)
        layout.addWidget(self.model_status)

    def _show_tempo_beat(self, meter: str) -> None:
        """The tempo counts the meter's beat, as the Q: the generator writes does (a jig's
        120 is Q:3/8=120, and the transport shows the same 120)."""
        beat = meter_beat(meter)
        self.tempo_spin.setPrefix(f"{beat.symbol}=")
        self.tempo_spin.setSuffix("")
        self.tempo_spin.setToolTip(f"Tempo: {beat.name} a minute (Q:{beat.field}=)")

    def _connect(self) -> None:
        self.creativity_slider.valueChanged.connect(
            lambda v: self.creativity_spin.setValue(v / 100.0)
        )
        self.creativity_spin.valueChanged.connect(
            lambda v: self.creativity_slider.setValue(round(v * 100))
        )
        self.title_edit.textEdited.connect(lambda text: self.header_edited.emit("T", text.strip()))
        self.tonic_combo.activated.connect(lambda _i: self._emit_key())
        self.mode_combo.activated.connect(lambda _i: self._emit_key())
        self.meter_combo.currentTextChanged.connect(self._show_tempo_beat)
        self.meter_combo.currentTextChanged.connect(lambda _m: self._show_form_note())
        self.meter_combo.activated.connect(
            lambda _i: self.header_edited.emit("M", self.meter_combo.currentText())
        )
        self.genre_combo.activated.connect(
            lambda _i: self.header_edited.emit("R", self.genre_combo.currentText())
        )
        self.genre_combo.currentTextChanged.connect(self._genre_changed)
        self.form_combo.activated.connect(lambda _i: self._form_chosen())
        line_edit = self.form_combo.lineEdit()
        if line_edit is not None:
            line_edit.textEdited.connect(lambda _text: self._form_chosen())
        self.bars_spin.valueChanged.connect(self._bars_chosen)
        self.generate_button.clicked.connect(self.generate_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.continue_button.clicked.connect(self.continue_requested)
        self.variations_button.clicked.connect(
            lambda: self.variations_requested.emit(self.variations_spin.value())
        )

    def genre_form(self) -> str:
        """The Form field's text for the current genre's own form."""
        plan = default_form(self.genre_combo.currentText())
        return FREE_FORM if plan is None else plan.label()

    def _genre_changed(self, _genre: str) -> None:
        if self._form_follows_genre:
            self.form_combo.setCurrentText(self.genre_form())
        self._show_form_note()

    def _form_chosen(self) -> None:
        """The user chose or wrote a form: it is kept until it is the genre's own again; a form
        sets the length (its parts' bars), so Bars goes back to Auto."""
        form = self.form_combo.currentText().strip()
        self._form_follows_genre = form == self.genre_form()
        if form.lower() != FREE_FORM.lower():
            self.bars_spin.setValue(0)
        self._show_form_note()

    def _bars_chosen(self, bars: int) -> None:
        """A length asked for in bars is a free form's (as `generate --bars` is)."""
        if not bars:
            return
        self.form_combo.setCurrentText(FREE_FORM)
        self._form_follows_genre = False
        self._show_form_note()

    def _show_form_note(self) -> None:
        genre = self.genre_combo.currentText()
        if self._form_follows_genre:
            text = f"The {genre}'s form"
        elif self.bars_spin.value():
            text = "Free: Bars sets the length"
        else:
            text = "Your form (the genre's is " + self.genre_form() + ")"
        meter = self.meter_combo.currentText()
        whose = next((w for m, g, w in self._borrowed if (m, g) == (meter, genre)), None)
        if whose is not None:
            text += f"; few {genre}s in {meter}: the rules of {whose}"
        self.form_note.setText(text)

    def set_choices(self, choices: FormChoices) -> None:
        """Fill the combo boxes, keeping the current selections (else the defaults) where they
        exist in the new lists."""
        d = self._defaults
        self._borrowed = choices.borrowed
        for combo, items, default in (
            (self.tonic_combo, choices.tonics, d.tonic),
            (self.mode_combo, choices.modes, d.mode),
            (self.meter_combo, choices.meters, d.meter),
            (self.genre_combo, choices.genres, d.genre),
        ):
            current = combo.currentText()
            combo.clear()
            combo.addItems(list(items))
            if not _select(combo, current):
                _select(combo, default)
        self._show_form_note()

    def set_values_from_defaults(self, defaults: DefaultMetadata) -> None:
        self._defaults = defaults
        self.title_edit.setText(defaults.title)
        _select(self.tonic_combo, defaults.tonic)
        _select(self.mode_combo, defaults.mode)
        _select(self.meter_combo, defaults.meter)
        _select(self.genre_combo, defaults.genre)
        self.tempo_spin.setValue(defaults.tempo)
        self.creativity_spin.setValue(defaults.temperature)
        self.length_spin.setValue(defaults.max_tokens)

    def _emit_key(self) -> None:
        try:
            key = key_name(self.tonic_combo.currentText(), self.mode_combo.currentText())
        except ABCError:
            return
        self.header_edited.emit("K", key)

    def show_tune(self, title: str, tonic: str, mode: str, meter: str, genre: str) -> None:
        """Show what the tune's header says (values the lists lack leave their field as is)."""
        if self.title_edit.text() != title and not self.title_edit.hasFocus():
            self.title_edit.setText(title)
        _select(self.tonic_combo, tonic)
        _select(self.mode_combo, mode)
        _select(self.meter_combo, meter)
        if genre:
            _select(self.genre_combo, genre)

    def values(self) -> FormValues:
        return FormValues(
            title=self.title_edit.text().strip() or "Untitled",
            tonic=self.tonic_combo.currentText(),
            mode=self.mode_combo.currentText(),
            meter=self.meter_combo.currentText(),
            genre=self.genre_combo.currentText(),
            tempo=self.tempo_spin.value(),
            temperature=self.creativity_spin.value(),
            seed=self.seed_spin.value(),
            new_seed_each_time=self.new_seed_check.isChecked(),
            max_tokens=self.length_spin.value(),
            bars=self.bars_spin.value() or None,
            form=self.form_combo.currentText().strip() or FREE_FORM,
            chords=self.chords_check.isChecked(),
        )

    def show_seed(self, seed: int) -> None:
        """Display the seed actually used, so the user can keep it."""
        self.seed_spin.setValue(seed)

    def set_generating(self, generating: bool) -> None:
        for widget in (self.generate_button, self.continue_button, self.variations_button):
            widget.setEnabled(not generating)
        self.stop_button.setEnabled(generating)

    def set_model_status(self, text: str) -> None:
        self.model_status.setText(text)

    @staticmethod
    def generate_shortcuts() -> list[QKeySequence]:
        return [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")]
