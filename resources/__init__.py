"""Packaged resources (icons, example tunes); installed as composeium_desktop._resources."""
