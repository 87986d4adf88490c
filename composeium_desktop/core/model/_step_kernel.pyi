"""Types of the C extension ``_step_kernel.c``: the decoder's one-token step."""

from collections.abc import Sequence
from typing import SupportsIndex

import numpy as np

ABI: int

class Kernel:
    def __init__(
        self,
        weights: np.ndarray,
        layers: int,
        d_model: int,
        heads: int,
        d_ff: int,
        vocab: int,
        max_len: int,
        table_rows: Sequence[int],
    ) -> None: ...
    def step(
        self,
        out: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        cross: np.ndarray,
        meta_len: int,
        token: SupportsIndex,
        position: SupportsIndex,
        metric: Sequence[SupportsIndex] | None,
        /,
    ) -> None: ...
