"""TinyOlly's UI service: a JSON API over the telemetry store plus a minimal HTML trace list."""
