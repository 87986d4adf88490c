"""Work-arounds for defects of the installed Qt binding, each detected before it is applied.

PySide6 6.12.0: SignalInstance.emit() returns `True` without taking a reference, so every emit
from Python removes one reference from the `True` singleton. After about a thousand emits
(a streamed tune alone emits hundreds) the interpreter aborts with "bool_dealloc: deallocating
True or False". The fix re-adds the missing reference after each emit; it is installed only
when a probe emit shows the leak, so a fixed PySide6 runs untouched.

PySide6 (6.4 and later): once imported, it checks every module imported after it for
`from __feature__ import ...` by asking `inspect.getsource` whether the module's source names
PySide6. Through linecache that costs 0.2 ms a module: 31-37 ms for NumPy and the decoder's
modules (on the model's thread, on the way to the first tune), 11-17 ms for the window's. The
same question answered from the module's file, read once as bytes, costs a quarter of that; a
module without a .py file of its own (or one that cannot be read) still goes to PySide6's own
check. Installed only where PySide6 has that check (`shibokensupport.feature._mod_uses_pyside`).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
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


def feature_check() -> Any:
    """PySide6's module check for `__feature__` imports (None where it has none)."""
    feature = sys.modules.get("shibokensupport.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    return check if callable(check) else None


def _quick_feature_check(original: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def uses_pyside(module: Any) -> bool:
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if isinstance(origin, str) and origin.endswith(".py"):
            try:
                with open(origin, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(original(module))

    uses_pyside.quick = True  # type: ignore[attr-defined]
    return uses_pyside


def install() -> None:
    """Apply each work-around the installed PySide6 needs (and only those)."""
    global _installed
    if _installed:
        return
    _installed = True
    check = feature_check()
    if check is not None and not getattr(check, "quick", False):
        feature = sys.modules["shibokensupport.feature"]
        setattr(feature, "_mod_uses_pyside", _quick_feature_check(check))  # noqa: B010
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
