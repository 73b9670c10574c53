"""TinyOlly's OTLP/HTTP (JSON) receiver: accepts traces and logs and stores them for the UI."""
