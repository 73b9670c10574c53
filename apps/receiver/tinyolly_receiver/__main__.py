"""`python -m tinyolly_receiver`: serve OTLP/HTTP JSON on $RECEIVER_PORT (default 4318)."""

from __future__ import annotations

import os

from tinyolly_common.logging_config import configure_logging, get_logger
from tinyolly_common.storage import open_store
from tinyolly_receiver.server import ReceiverServer


def main() -> None:
    configure_logging("tinyolly-receiver", level=os.environ.get("LOG_LEVEL", "INFO"))
    store_url = os.environ.get("TINYOLLY_STORE_URL", "memory://")
    host = os.environ.get("RECEIVER_HOST", "0.0.0.0")
    port = int(os.environ.get("RECEIVER_PORT", "4318"))
    server = ReceiverServer((host, port), open_store(store_url))
    get_logger("tinyolly_receiver").info("listening", host=host, port=port, store=store_url.split("@")[-1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
