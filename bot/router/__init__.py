"""The request router in front of several Rasa workers (``KC_RASA_WORKERS`` > 1, issue 14).

``keys.py`` derives a request's conversation key, ``choice.py`` picks the worker (rendezvous hashing),
``app.py`` is the aiohttp server (proxy, per-conversation serialisation, health checks, failover),
``__main__.py`` its command line (started by scripts/stack.py).
"""
