"""The Variations dialog engraves the variation picked in its list (its own Verovio worker, not
the main score's), shows the next one when the choice changes, says when one does not
engrave, and stops its engraver when it closes."""

from __future__ import annotations

from composeium_desktop.gui.controllers.score_preview import ScorePreview
from composeium_desktop.gui.services import CoreServices
from composeium_desktop.gui.widgets.dialogs import TuneEntry, VariationsDialog

FIRST = "X:1\nT:First\nM:4/4\nL:1/8\nK:D\n|:DFAd fdAF|GBdg fdAF:|\n"
SECOND = "X:1\nT:Second\nM:6/8\nL:1/8\nK:G\n|:GAB dBG|c2e dBG|ABc BAG|A3 G3:|\n"


def test_the_picked_variation_is_engraved_and_the_engraver_stops(qtbot) -> None:
    preview = ScorePreview(CoreServices())
    dialog = VariationsDialog(
        [TuneEntry("Variation 1", FIRST), TuneEntry("Variation 2", SECOND)], None, preview
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(preview.view.has_score, timeout=30_000)
    first = preview.view.shown_pages
    assert first and "<svg" in first[0]
    dialog.list.setCurrentRow(1)
    qtbot.waitUntil(lambda: preview.view.shown_pages != first, timeout=30_000)
    second = preview.view.shown_pages
    # The 6/8 tune's score is another drawing: more notes, another time signature.
    assert second[0].count('class="note"') > first[0].count('class="note"')
    dialog.reject()
    assert not preview._worker.isRunning()
    preview.show_tune(FIRST)  # after closing: nothing is engraved any more
    assert not preview._worker.isRunning()


def test_a_variation_that_does_not_engrave_says_so(qtbot) -> None:
    class _Failing:
        def render(self, abc: str, options: object = None) -> object:
            raise ValueError("no notes")

        def close(self) -> None:
            pass

    preview = ScorePreview(CoreServices(make_preview_renderer=_Failing))
    dialog = VariationsDialog([TuneEntry("Variation 1", FIRST)], None, preview)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(preview.failed, timeout=10_000) as blocker:
        dialog.show()
    assert "no notes" in blocker.args[0]
    assert not preview.view.has_score()
    dialog.stop_preview()
    assert not preview._worker.isRunning()
