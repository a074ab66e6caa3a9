"""Support requests handed over from the assistant to human support staff (SQLite store, CLI, HTTP API)."""
