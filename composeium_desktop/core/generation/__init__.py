"""Composing a tune: the request, the samplers, the constraints and the decoding loop."""
