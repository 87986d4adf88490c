"""What the decoder reads beside each token: metric position and the syntax hazards."""
