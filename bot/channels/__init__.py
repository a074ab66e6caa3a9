"""Our own Rasa input/output channels (registered in credentials.yml by class path)."""
