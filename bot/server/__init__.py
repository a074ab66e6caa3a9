"""The Rasa server as the assistant runs it (``python -m bot.server run ...``): Rasa 3.6's ``rasa run`` plus
the changes in :mod:`bot.server.patches` (reliability and speed under load, issue 14)."""
