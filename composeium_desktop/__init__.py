"""Composeium Desktop: an offline composer for folk and traditional tunes."""

__version__ = "0.1.0"
