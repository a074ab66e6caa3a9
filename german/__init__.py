"""German language knowledge shared by the dialogue runtime (Rasa, Python 3.10) and the course index (3.11).

Standard library only, so both runtimes import it from the repository root. One place each:

- ``german.folding``: umlaut/ß folding (ä -> ae, ß -> ss) and umlaut-tolerant regular expressions.
- ``german.numbers``: number words (cardinals, ordinals, small counts) and number notation ("1.000,50").
- ``german.vocabulary``: the canonical formats, levels and "no preference", and the words that name them.
- ``german.phrases``: preference phrases inside a search query ("nur online", "unter 200 Euro").
- ``german.requests``: how a need is wrapped in a chat message (greetings, request frames, role statements).

A fix to a German word, a number word or a format synonym belongs here and nowhere else.
"""
