"""Judging a model: bits per character, the n-gram baseline and the figures of its samples."""
