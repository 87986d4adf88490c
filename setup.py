"""Package list for setuptools: the code plus the top-level resources/ and model/ folders,
installed inside the package so an installed app works outside the repository."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["composeium_desktop", "composeium_desktop.*"]),
        "composeium_desktop._resources",
        "composeium_desktop._model",
    ]
)
