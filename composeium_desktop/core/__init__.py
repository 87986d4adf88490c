"""The Qt-free core: notation, model, generation, rendering, audio and export."""
