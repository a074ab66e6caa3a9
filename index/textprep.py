"""German text preparation for BM25: spaCy tokenizer + lookup lemmatizer, folding, stopwords,
acronyms and vocabulary-driven compound splitting.

The same ``Analyzer`` (with the same compound vocabulary) must be used at build and at query time;
the vocabulary is stored in the index.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from german.folding import fold

TEXTPREP_VERSION = "7"
_WORD_RE = re.compile(r"\w", re.UNICODE)
_ACRONYM_RE = re.compile(r"^(?=(?:.*[A-ZÄÖÜ]){2})[A-ZÄÖÜa-zäöüß0-9]{2,8}$")
_LINKERS = ("s", "es", "n", "en", "er", "e")
_MIN_PART = 4
_MIN_COMPOUND = 9
_SPELL_WORD_RE = re.compile(r"[A-Za-zÄÖÜäöüß]+")
_SPELL_MIN_LEN = 4  # shorter unknown words are left alone (abbreviations); acronyms never change
_SPELL_LONG = 9  # from this length two edits are tolerated, below one
_lock = threading.Lock()
_nlp: Any = None


def get_nlp() -> Any:
    """spaCy German pipeline (blank + lookup lemmatizer), loaded once per process."""
    global _nlp
    with _lock:
        if _nlp is None:
            import spacy

            nlp = spacy.blank("de")
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
            _nlp = nlp
    return _nlp


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words = set(get_nlp().Defaults.stop_words)
    words |= {
        "kurs",
        "kurse",
        "seminar",
        "schulung",
        "weiterbildung",
        "fortbildung",
        "thema",
        "themen",
        "suche",
        "suchen",
        "möchte",
        "moechte",
        "brauche",
        "lernen",
        "etwas",
        "bitte",
        "gibt",
        "wie",
        # colloquial intensifiers and fillers ("hab voll Schiss", "ne Niete", "irgendwie total nervig"); not
        # "echt": the compound splitter needs it ("Personenstandsr|echt", while "recht" is a spaCy stopword)
        "voll",
        "total",
        "mega",
        "krass",
        "halt",
        "irgendwie",
        "ziemlich",
        "komplett",
        "bisschen",
        "bissl",
        "ne",
        "nen",
        "mal",
    }
    return frozenset(fold(w) for w in words)


def is_acronym(token: str) -> bool:
    """OZG, DSGVO, XÖV, TVöD: two or more capitals in a short token."""
    return bool(_ACRONYM_RE.match(token))


def _stem(term: str) -> str:
    """Light suffix stripping after lemmatisation (also catches folded spellings the lemmatizer misses)."""
    for suffix in ("ern", "en", "er", "es", "e", "n", "s"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 5:
            return term[: -len(suffix)]
    return term


class Analyzer:
    """Turns German text into BM25 terms. ``vocabulary`` (folded, stemmed terms) drives compound splitting."""

    def __init__(self, vocabulary: Iterable[str] | None = None) -> None:
        self.nlp = get_nlp()
        self.table = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        self.stop = _stopwords()
        self.vocabulary: frozenset[str] = frozenset(vocabulary or ())
        self._split_cache: dict[str, tuple[str, ...]] = {}
        self._term_cache: dict[str, str | None] = {}

    # -- single tokens -------------------------------------------------------------------------
    def term(self, token: str) -> str | None:
        """Normalise one surface token; None for stopwords, punctuation and single characters."""
        cached = self._term_cache.get(token)
        if cached is not None or token in self._term_cache:
            return cached
        result: str | None
        if not _WORD_RE.search(token) or fold(token) in self.stop:
            result = None
        elif is_acronym(token):
            result = fold(token)
        else:
            lemma = self.table.get(token, None) or self.table.get(token.lower(), None) or token
            result = _stem(fold(lemma))
            if len(result) < 2 or result in self.stop:
                result = None
        if len(self._term_cache) < 500_000:
            self._term_cache[token] = result
        return result

    def _surface_tokens(self, text: str) -> list[str]:
        out = []
        for tok in self.nlp.tokenizer(text):
            t = tok.text.strip("-/.")
            if "-" in t or "/" in t:  # "Online-Zugangsgesetz": whole form plus parts
                parts = [p for p in re.split(r"[-/]", t) if p]
                out.append(t.replace("-", "").replace("/", ""))
                out.extend(parts)
            elif t:
                out.append(t)
        return out

    # -- compounds ----------------------------------------------------------------------------
    def split_compound(self, term: str) -> tuple[str, ...]:
        """Parts of a folded compound found in the vocabulary, longest prefix first; () if none."""
        if len(term) < _MIN_COMPOUND or not self.vocabulary:
            return ()
        cached = self._split_cache.get(term)
        if cached is not None:
            return cached
        found = self._split(term, depth=0) or self._split_suffix(term) or self._split_head_only(term) or ()
        parts = tuple(p for p in found if p != term)
        if len(self._split_cache) < 200_000:
            self._split_cache[term] = parts
        return parts

    def _known(self, part: str) -> str | None:
        if part in self.vocabulary:
            return part
        stemmed = _stem(part)
        return stemmed if stemmed in self.vocabulary else None

    def _split_suffix(self, word: str) -> list[str] | None:
        """Unknown first part: the longest known head at the end ("kommunal|verwaltung"). An unknown first
        part that itself opens with a known word is split too, so that "Verkehrssicherungspflicht" also
        holds "verkehrssicherung" and "verkehr" (what a query on "Verkehrssicherung" looks for)."""
        for start in range(_MIN_PART, len(word) - _MIN_PART + 1):
            tail = self._known(word[start:])
            if tail is not None:
                first = word[:start]
                if len(first) < _MIN_COMPOUND:
                    return [first, tail]
                stemmed = _stem(first)
                return [stemmed, *(self._split_head_only(stemmed) or ()), tail]
        return None

    def _split(self, word: str, depth: int) -> list[str] | None:
        """Fully known split (head + known or recursively split tail), longest head first."""
        if depth > 3:
            return None
        for end in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
            head = self._known(word[:end])
            if head is None:
                continue
            rest = word[end:]
            for link in ("",) + _LINKERS:
                if link and not rest.startswith(link):
                    continue
                tail = rest[len(link) :]
                if len(tail) < _MIN_PART:
                    continue
                known_tail = self._known(tail)
                if known_tail is not None:
                    return [head, known_tail]
                sub = self._split(tail, depth + 1)
                if sub:
                    return [head, _stem(tail), *sub]
        return None

    def _split_head_only(self, word: str) -> list[str] | None:
        """Known first part, unknown (long) rest: "datenschutz|grundverordnung"."""
        for end in range(len(word) - 6, _MIN_PART - 1, -1):
            head = self._known(word[:end])
            if head is not None:
                return [head, _stem(word[end:])]
        return None

    # -- public API ---------------------------------------------------------------------------
    def base_terms(self, text: str) -> list[str]:
        """Terms without compound splitting (used to collect the vocabulary)."""
        return [t for t in (self.term(s) for s in self._surface_tokens(text)) if t]

    def terms(self, text: str) -> list[str]:
        """Terms with compound parts appended after each compound."""
        out: list[str] = []
        for t in self.base_terms(text):
            out.append(t)
            out.extend(self.split_compound(t))
        return out

    def terms_with_surface(self, text: str) -> list[tuple[str, str]]:
        """(term, surface word) pairs, for explaining matches."""
        out = []
        for s in self._surface_tokens(text):
            t = self.term(s)
            if t:
                out.append((t, s))
                out.extend((p, s) for p in self.split_compound(t))
        return out


def nominalisation(term: str, surface: str) -> str | None:
    """The -ung noun term of a verb in the infinitive ("ausschreiben" -> "ausschreibung", "verhandeln" ->
    "verhandlung", "verbessern" -> "verbesserung"): people say what they must do, courses name the task."""
    if not surface.islower():
        return None
    if surface.endswith("eln") and term.endswith("el"):
        return term[:-2] + "lung"
    if surface.endswith("ern") and term == _stem(surface):
        return term + "erung"
    if surface.endswith("en") and not surface.endswith(("ern", "eln")) and term == _stem(surface):
        return term + "ung"
    return None


def masculine_base(term: str, surface: str) -> str | None:
    """The term of the base form of a gendered word ("Ausbilderinnen" -> "ausbild", as "Ausbilder";
    "Sachbearbeiterin" -> "sachbearbeit"): courses often name the group as "Ausbilder*innen"."""
    word = fold(surface)
    for suffix in ("innen", "in"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            base = _stem(word[: -len(suffix)])
            return base if base != term else None
    return None


def related_terms(term: str, surface: str) -> list[str]:
    """Terms a query word also stands for: its -ung noun, the base of a gendered form."""
    return [t for t in (nominalisation(term, surface), masculine_base(term, surface)) if t]


def build_vocabulary(term_lists: Iterable[list[str]], min_df: int = 1, min_len: int = _MIN_PART) -> set[str]:
    """Compound-splitting vocabulary: every non-trivial base term seen in the catalog."""
    df: dict[str, int] = {}
    for terms in term_lists:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    return {t for t, n in df.items() if n >= min_df and len(t) >= min_len and t.isalpha()}


# -- query spelling ------------------------------------------------------------------------------
def surface_forms(texts: Iterable[str]) -> dict[str, list[Any]]:
    """Catalog spelling table: folded word -> [most frequent surface form, count]."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for word in _SPELL_WORD_RE.findall(text):
            forms = counts.setdefault(fold(word), {})
            forms[word] = forms.get(word, 0) + 1
    table: dict[str, list[Any]] = {}
    for key, forms in counts.items():
        best = max(sorted(forms), key=lambda w: forms[w])
        table[key] = [best, sum(forms.values())]
    return table


@lru_cache(maxsize=1)
def german_lexicon() -> frozenset[str]:
    """Lower-cased German word forms and lemmas known to the lemmatizer's lookup table."""
    table = get_nlp().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    words = {str(k).lower() for k in table.keys()} | {str(v).lower() for v in table.values()}
    return frozenset(words)


def _within(a: str, b: str, limit: int) -> int | None:
    """Levenshtein distance of a and b if it is at most ``limit``, else None."""
    distance = Levenshtein.distance(a, b, score_cutoff=limit)
    return distance if distance <= limit else None


class QuerySpeller:
    """Normalises query words to the catalog's spelling before retrieval.

    - A word whose folded form occurs in the catalog gets the catalog's surface form back
      ("fuer" -> "für", "buergergeld" -> "Bürgergeld"), which helps the dense encoder.
    - An unknown word (not in the catalog, no word form or lemma of the lemmatizer table, at least
      four letters) is replaced by the most frequent catalog word within one edit (two from nine
      letters on) that starts with the same letter and is no stopword ("datenschuts" -> "Datenschutz").
    Everything else, punctuation and spacing included, is kept as typed.
    """

    def __init__(self, forms: dict[str, list[Any]], analyzer: Analyzer) -> None:
        self.forms = forms
        self.lexicon = german_lexicon()
        self.stop = analyzer.stop
        self._by_initial: dict[str, list[str]] = {}
        for key in forms:
            if len(key) >= _SPELL_MIN_LEN - 1 and key not in self.stop:
                self._by_initial.setdefault(key[0], []).append(key)
        self._cache: dict[str, str] = {}

    def normalize(self, text: str) -> str:
        if not self.forms:
            return text
        return _SPELL_WORD_RE.sub(lambda m: self.word(m.group(0)), text)

    def word(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._word(word)
            if len(self._cache) < 100_000:
                self._cache[word] = cached
        return cached

    def _word(self, word: str) -> str:
        key = fold(word)
        known = self.forms.get(key)
        if known is not None:
            return word if word.isupper() else str(known[0])
        if len(key) < _SPELL_MIN_LEN or is_acronym(word) or word.lower() in self.lexicon:
            return word
        limit = 2 if len(key) >= _SPELL_LONG else 1
        best: tuple[int, int, str] | None = None
        for cand in self._by_initial.get(key[0], ()):
            dist = _within(key, cand, limit)
            if dist is not None and (best is None or (dist, -self.forms[cand][1], cand) < best):
                best = (dist, -int(self.forms[cand][1]), cand)
        return word if best is None else str(self.forms[best[2]][0])
