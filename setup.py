"""Package list for setuptools: the code plus the top-level resources/ and model/ folders,
installed inside the package so an installed app works outside the repository; and the
decoder's one-token step in C (optional: without a compiler the NumPy step is used)."""

import sys

from setuptools import Extension, find_packages, setup

# No -march=native: the wheel must run on any x86-64 (the kernel carries its own AVX2 clone).
# No fused multiply-adds, so every clone computes the same bits.
_UNIX_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]

setup(
    packages=[
        *find_packages(include=["composeium_desktop", "composeium_desktop.*"]),
        "composeium_desktop._resources",
        "composeium_desktop._model",
    ],
    ext_modules=[
        Extension(
            "composeium_desktop.core.model._step_kernel",
            ["composeium_desktop/core/model/_step_kernel.c"],
            extra_compile_args=[] if sys.platform == "win32" else _UNIX_FLAGS,
            libraries=[] if sys.platform == "win32" else ["m"],
            optional=True,
        )
    ],
)
