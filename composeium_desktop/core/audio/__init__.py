"""Audio: MIDI from ABC (midi), SoundFont lookup (soundfont), FluidSynth rendering (synth) and
live playback through sounddevice (player). No Qt: the GUI adapts the player's callbacks."""
