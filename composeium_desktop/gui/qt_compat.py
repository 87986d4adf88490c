"""Work-arounds for defects of the installed Qt binding, each detected before it is applied.

PySide6 6.12.0: SignalInstance.emit() returns `True` without taking a reference, so every emit
from Python removes one reference from the `True` singleton. After about a thousand emits
(a streamed tune alone emits hundreds) the interpreter aborts with "bool_dealloc: deallocating
True or False". The fix re-adds the missing reference after each emit; it is installed only
when a probe emit shows the leak, so a fixed PySide6 runs untouched.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_installed = False


class _Probe(QObject):
    ping = Signal()


def emit_leaks_bool_reference() -> bool:
    """True when emitting a signal from Python drops a reference to the returned bool."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before


def install() -> None:
    """Patch SignalInstance.emit when (and only when) the installed PySide6 needs it."""
    global _installed
    if _installed:
        return
    _installed = True
    if not emit_leaks_bool_reference():
        return
    original = SignalInstance.emit
    increment = ctypes.pythonapi.Py_IncRef
    increment.argtypes = [ctypes.py_object]
    increment.restype = None

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if isinstance(result, bool):
            increment(result)
        return result

    # A deliberate patch of the binding's method at run time: mypy rightly refuses it as a
    # plain assignment (method-assign), so it goes through setattr.
    setattr(SignalInstance, "emit", emit)  # noqa: B010
