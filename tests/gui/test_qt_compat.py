"""The PySide6 emit work-around keeps the `True` singleton's reference count steady."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from composeium_desktop.gui import qt_compat


class _Emitter(QObject):
    value = Signal(int)


def test_many_emits_do_not_drain_true() -> None:
    qt_compat.install()
    emitter = _Emitter()
    received: list[int] = []
    emitter.value.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(3000):
        emitter.value.emit(i)
    assert len(received) == 3000
    assert abs(sys.getrefcount(True) - before) < 50
    assert not qt_compat.emit_leaks_bool_reference()


def _pyside_answer(module) -> bool:
    """PySide6's own answer: does inspect find the module's source, naming PySide6?"""
    import inspect

    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError, SyntaxError):
        return False


def test_the_quick_feature_check_answers_as_pyside6_does() -> None:
    import json
    import json.decoder

    import pytest

    import composeium_desktop.core.fileio
    import composeium_desktop.gui.workers

    qt_compat.install()
    check = qt_compat.feature_check()
    if check is None:
        pytest.skip("this PySide6 checks no module for __feature__ imports")
    assert getattr(check, "quick", False), "the quick check is not installed"
    modules = (
        composeium_desktop.gui.workers,  # imports PySide6
        composeium_desktop.core.fileio,  # does not
        json,  # a package's __init__
        json.decoder,
        sys,  # built in: no source
    )
    assert [check(m) for m in modules] == [_pyside_answer(m) for m in modules]
    assert check(composeium_desktop.gui.workers) and not check(composeium_desktop.core.fileio)
