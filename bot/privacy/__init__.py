"""What the assistant stores about a person, and the operator's tools to delete and export it (DSGVO).

- ``tracker_db``: the Rasa tracker store's ``events`` table (erasure, retention, access requests).
- ``admin``: ``bin/kc-admin purge`` (retention, cron-able) and ``bin/kc-admin export <sender>`` (Art. 15).
The support requests live in ``bot.support.store``; both commands use its functions.
"""
