"""Puts the backend's source on sys.path, the way Pants loads it via `[GLOBAL].pythonpath`."""

import sys
from pathlib import Path

PANTS_PLUGINS = Path(__file__).resolve().parent.parent / "pants-plugins"
if str(PANTS_PLUGINS) not in sys.path:
    sys.path.insert(0, str(PANTS_PLUGINS))
