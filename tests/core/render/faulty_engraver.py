"""Engravers that misbehave on purpose, for the crash-isolation tests of core.render.

They run inside the real worker process (Renderer(engraver_factory=...)), so the tests prove
that a worker dying or hanging mid-request is survived, without test hooks in the worker."""

from __future__ import annotations

import os
import time
from typing import Any

from composeium_desktop.core.render.engraver import Engraver

ABORT_MARK = "%crash-the-engraver"
HANG_MARK = "%hang-the-engraver"


class FaultyEngraver(Engraver):
    """The real engraver, except that a tune holding ABORT_MARK aborts the process (as a
    Verovio segfault would) and one holding HANG_MARK never answers."""

    def render(self, abc: str, options: dict[str, Any]) -> dict[str, Any]:
        if ABORT_MARK in abc:
            os.abort()
        if HANG_MARK in abc:
            time.sleep(3600)
        return super().render(abc, options)
