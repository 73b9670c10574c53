"""`python -m tinyolly_ui`: serve the UI and its JSON API on $UI_PORT (default 5005)."""

from __future__ import annotations

import os

from tinyolly_common.logging_config import configure_logging, get_logger
from tinyolly_common.storage import open_store
from tinyolly_ui.server import UiServer


def main() -> None:
    configure_logging("tinyolly-ui", level=os.environ.get("LOG_LEVEL", "INFO"))
    store_url = os.environ.get("TINYOLLY_STORE_URL", "memory://")
    host = os.environ.get("UI_HOST", "0.0.0.0")
    port = int(os.environ.get("UI_PORT", "5005"))
    server = UiServer((host, port), open_store(store_url), cors_origin=os.environ.get("UI_CORS_ORIGIN", "*"))
    get_logger("tinyolly_ui").info("listening", host=host, port=port, store=store_url.split("@")[-1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
