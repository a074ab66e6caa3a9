"""Domain adaptation of the e5 encoder (issue 15): training data, LoRA training, merge into the base model.

``esco`` (maintainers: which ESCO rows the repository ships), ``pairs`` ((query, positive) pairs from ESCO,
the catalog and the hand-written problem descriptions), ``overlap`` (near-duplicate filter against the dev and
test queries), ``prepare`` (writes ``data/pairs.jsonl`` and the filter report; ``make adapt-data``),
``train`` (the LoRA adapter; ``make adapt``), ``merge`` (base model + adapter -> an adapted model folder,
during setup when ``INDEX_MODEL`` names it).
"""
