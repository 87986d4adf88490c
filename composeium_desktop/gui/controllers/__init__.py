"""Controllers: each owns one feature of the window (compose, files, playback, score)."""
