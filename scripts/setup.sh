#!/usr/bin/env bash
# Installs whatever is missing for Composeium Desktop on Debian/Ubuntu: the system packages,
# a virtual environment in .venv and the package itself (editable). Idempotent and quick when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc and python3-dev build the decoder's C step (without them the slower NumPy step is used).
APT_PACKAGES=(python3 python3-venv python3-pip python3-dev gcc libfluidsynth3 libportaudio2
  fluid-soundfont-gm xvfb xauth abcmidi poppler-utils
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libx11-xcb1
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1
  pulseaudio pulseaudio-utils libasound2-plugins)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$PYTHON" -m venv .venv
fi
STAMP=.venv/.composeium-installed
# setup.py and the C step's source too: an editable install builds the extension only then.
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ setup.py -nt "$STAMP" ] \
  || [ composeium_desktop/core/model/_step_kernel.c -nt "$STAMP" ]; then
  echo "Installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$STAMP"
fi

# A PulseAudio user daemon with a null sink "v", so PortAudio (through ALSA's pulse plugin)
# has an output device and tests marked audio_device can record what it plays from v.monitor.
# Reuses a running daemon; never fails the test run (the device tests then say why they skip).
start_virtual_audio_device() {
  command -v pulseaudio >/dev/null 2>&1 || { echo "no pulseaudio: audio device tests skip"; return 0; }
  if ! pulseaudio --check 2>/dev/null; then
    pulseaudio -D --exit-idle-time=-1 --system=false 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pactl info >/dev/null 2>&1 && break; sleep 0.3; done
  fi
  pactl info >/dev/null 2>&1 || { echo "pulseaudio did not start: audio device tests skip"; return 0; }
  if ! pactl list short sinks 2>/dev/null | awk '{print $2}' | grep -qx v; then
    pactl load-module module-null-sink sink_name=v >/dev/null
  fi
  pactl set-default-sink v
  pactl unload-module module-suspend-on-idle 2>/dev/null || true
  export COMPOSEIUM_AUDIO_SINK=v
}

case "${1:-}" in
  run)
    shift
    exec .venv/bin/python main.py "$@"
    ;;
  test)
    shift
    export QT_QPA_PLATFORM=offscreen
    start_virtual_audio_device
    if [ $# -gt 0 ]; then
      exec .venv/bin/python -m pytest -q "$@"
    fi
    # The whole suite: two workers (a test file stays on one, so its fixtures are built once),
    # then the tests that play through the audio device, alone: they record the one null
    # sink and count underflows under a load of their own making.
    status=0
    .venv/bin/python -m pytest -q -n 2 --dist loadfile -m "not audio_device" || status=$?
    .venv/bin/python -m pytest -q -m audio_device || status=$?
    exit "$status"
    ;;
  "") ;;
  *)
    echo "usage: scripts/setup.sh [run|test] [args...]" >&2
    exit 2
    ;;
esac
