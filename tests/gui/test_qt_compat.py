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
