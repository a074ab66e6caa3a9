"""Domain adaptation of the e5 encoder (issue 15): the training data.

``esco`` (maintainers: which ESCO rows the repository ships), ``pairs`` ((query, positive) pairs from ESCO,
the catalog and the hand-written problem descriptions), ``overlap`` (near-duplicate filter against the dev and
test queries), ``prepare`` (writes ``data/pairs.jsonl`` and the filter report; ``make adapt-data``).
"""
