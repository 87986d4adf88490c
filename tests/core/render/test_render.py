"""The crash-isolated renderer: pages, timemap with repeats/endings, positions, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from faulty_engraver import ABORT_MARK, HANG_MARK, FaultyEngraver

from composeium_desktop.core.render import (
    Renderer,
    RenderError,
    RenderOptions,
    benchmark_render,
    check_tune,
)

DATA = Path(__file__).resolve().parents[2] / "data"
JIG = (DATA / "test_jig.abc").read_text()
HEADER = "X:1\nT:Crash test\nM:4/4\nL:1/8\nK:D\n"
BAR_MS = 1500.0  # 6/8 at Q:1/4=120: three quarter notes


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def _id_at(result, line: int, col: int) -> str:
    ids = [eid for eid, pos in result.positions.items() if pos == (line, col)]
    assert ids, f"no element at {line}:{col}"
    return ids[0]


def _col(line_text: str, marker: str, offset: int) -> int:
    return line_text.index(marker) + offset + 1


def test_pages_are_single_root_svg_without_qt_unsupported_constructs(renderer):
    result = renderer.render(JIG)
    assert len(result.pages) == 1
    page = result.pages[0]
    assert page.count("<svg") == 1
    for construct in ("<use", "<style", "placeholder", "<tspan", 'font-size="0'):
        assert construct not in page
    assert "The Test Jig" in page and ">Em<" in page and ">la<" in page


def test_timemap_plays_repeats_and_first_and_second_endings(renderer):
    result = renderer.render(JIG)
    lines = JIG.splitlines()
    first = _id_at(result, 8, _col(lines[7], '|:"G"G', 5))
    ending1 = _id_at(result, 8, _col(lines[7], '|1"G"A3', 5))
    ending2 = _id_at(result, 8, _col(lines[7], '|2"G"A3', 5))
    b_part = _id_at(result, 10, _col(lines[9], '|:"G"d2B', 5))
    onsets = {}
    for element in result.timemap:
        onsets.setdefault(element.id, []).append(element.on_ms)
    assert onsets[first] == [0.0, 4 * BAR_MS]
    assert onsets[ending1] == [3 * BAR_MS]
    assert onsets[ending2] == [7 * BAR_MS]
    assert onsets[b_part] == [8 * BAR_MS, 11 * BAR_MS]
    assert max(e.off_ms for e in result.timemap) == pytest.approx(14 * BAR_MS)
    assert all(e.off_ms > e.on_ms for e in result.timemap)


def test_every_note_in_the_timemap_has_a_source_position_and_a_page(renderer):
    result = renderer.render(JIG)
    lines = JIG.splitlines()
    for element in result.timemap:
        line, col = result.positions[element.id]
        assert lines[line - 1][col - 1] in "ABCDEFGabcdefgz^_="
        assert result.page_of[element.id] == 0
        assert f'id="{element.id}"' in result.pages[0]


def test_transpose_moves_key_and_pitches(renderer):
    plain = renderer.perform(JIG)
    up = renderer.perform(JIG, transpose=2)
    assert plain.key == (1, "major") and up.key == (3, "major")
    assert [n[3] + 2 for n in plain.notes] == [n[3] for n in up.notes]
    shown = renderer.render(JIG, RenderOptions(transpose=2)).pages[0]
    assert ">A<" in shown and ">F♯m<" in shown and ">Em<" not in shown


def test_zoom_scales_the_page(renderer):
    small = renderer.render(JIG, RenderOptions(zoom=20)).pages[0]
    large = renderer.render(JIG, RenderOptions(zoom=80)).pages[0]
    width = lambda svg: float(re.search(r'width="([\d.]+)"', svg).group(1))  # noqa: E731
    assert width(large) == pytest.approx(4 * width(small), rel=0.02)


def test_long_tune_fills_several_pages(renderer):
    text = (DATA / "long_reel.abc").read_text()
    result = renderer.render(text, RenderOptions(zoom=100, adjust_page_height=False))
    assert len(result.pages) >= 2
    assert set(result.page_of[e.id] for e in result.timemap) == set(range(len(result.pages)))


def test_last_bar_without_a_bar_line_is_kept(renderer):
    result = renderer.render(HEADER + "ABcd efga|b2a2 g2f2")
    assert len({e.id for e in result.timemap}) == 12


@pytest.mark.parametrize(
    ("body", "col"),
    [("abc d|]]]", 8), ("abc [[[", 5), ("abc ]", 5), ('a"C', 2)],
)
def test_known_verovio_crashers_are_rejected_with_line_and_column(renderer, body, col):
    restarts = renderer.restarts
    with pytest.raises(RenderError) as info:
        renderer.render(HEADER + body + "\n")
    assert info.value.line == 6
    assert info.value.col in (col, col + 1)
    assert str(info.value).startswith("line 6, column ")
    assert renderer.restarts == restarts


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "|:A:|1B:|\n",
        HEADER + "|:A|1B:|2C:|\n",
        HEADER + "|:ABc:|:Bcd:|\n",
        HEADER + "ABc dcB:|1 A3:|\n",
        "X:\nT:t\nM:4/4\nL:1/8\nK:G\nabc|\n",
        "X:1\nT:t\nM:4/4\nQ:1/4=(20\nL:1/8\nK:G\nabc|\n",
        "X:1\nT:t\nM:4/4\nL:1/8\nK:\nabc|\n",
        HEADER + 'B2G/A2F`"%G"G3 G3:|\n',
        HEADER + '|:A3 G3:|[2"G"(A3 GA||\n',
        HEADER + "A! G3!|2B|\n",
        HEADER + "[|:ABc:|\n",
        HEADER + "|:|ABc:|\n",
        "X:1\nT:x\nK:C",
        "X:1\nT:x\nK:\n\nG\n",
        HEADER + "ABcd efga|1\n",
        HEADER + "G3:|w|:  |  c:|\n",
    ],
)
def test_inputs_that_crashed_verovio_in_fuzzing_no_longer_crash(renderer, text):
    restarts = renderer.restarts
    try:
        renderer.render(text)
        renderer.perform(text)
    except RenderError as exc:
        assert "crash" not in str(exc)
    assert renderer.restarts == restarts


def test_a_dying_worker_is_survived_and_replaced():
    with Renderer(engraver_factory=FaultyEngraver) as renderer:
        renderer.render(JIG)
        pid = renderer.worker_pid
        with pytest.raises(RenderError, match="crashed on this input .killed by SIGABRT"):
            renderer.render(JIG + ABORT_MARK + "\n")
        assert renderer.restarts == 1
        result = renderer.render(JIG)
        assert result.pages and renderer.worker_pid not in (None, pid)


def test_a_hung_worker_is_stopped_after_the_timeout():
    with Renderer(timeout_s=0.5, engraver_factory=FaultyEngraver) as renderer:
        renderer.start()
        pid = renderer.worker_pid
        with pytest.raises(RenderError, match="longer than"):
            renderer.render(JIG + HANG_MARK + "\n")
        assert renderer.restarts == 1
        renderer.timeout_s = 60.0  # a busy machine must not fail the render that follows
        assert renderer.render(JIG).pages
        assert renderer.worker_pid not in (None, pid)


def test_check_tune_needs_a_key_line():
    with pytest.raises(RenderError, match="K:"):
        check_tune("X:1\nT:no key\nabc|\n")


def test_benchmark_reports_a_median():
    figures = benchmark_render(JIG, runs=3)
    assert figures["runs"] == 3
    assert 0 < figures["min_ms"] <= figures["median_ms"] <= figures["max_ms"]


def test_only_the_first_tune_of_a_text_is_engraved(renderer):
    book = JIG + "\nX:2\nT:Second\nM:4/4\nL:1/8\nK:D\nABcd efga|]\n"
    assert len(renderer.render(book).timemap) == len(renderer.render(JIG).timemap)
    joined = JIG.rstrip("\n") + "\n\nabc|]\n"  # after a blank line: not the tune any more
    assert len(renderer.perform(joined).notes) == len(renderer.perform(JIG).notes)


def test_element_at_links_the_editor_cursor_to_the_score(renderer):
    result = renderer.render(JIG)
    line = JIG.splitlines()[7]
    col = _col(line, '|2"G"A3', 5)
    assert result.element_at(8, col) == _id_at(result, 8, col)
    assert result.element_at(8, col + 1) == _id_at(result, 8, col)  # inside "A3"
    assert result.element_at(1, 1) is None
