"""What a person needs, in their own words: the needs a chat message states, without the wrapping.

A need is the person's words minus greetings, thanks, request frames ("Gibt es Kurse zu …"), the statement of
their role ("ich bin Sachbearbeiterin im Bürgeramt") and fillers. It does not depend on the NLU tagging a
``skill`` entity. One message may state several needs:

- named topics: asked for with a request frame ("Schulungen zum Datenschutz", "was mit Outlook und Word") or
  a sentence of topic words only ("Excel und Datenschutz", "IT-Sicherheit + Phishing"); a list gives one
  need per topic;
- a told problem ("die Leute werden am Schalter immer lauter, …") is one need, searched as told; a further
  one introduced by "außerdem" / "und vielleicht auch" is a need of its own. Next to named topics a short
  description is only their context ("Ich bin neu im Personalamt und suche eine Schulung zum …").

Plain functions, no Rasa; German words come from ``german.requests``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from german.dialect import standard_function_words
from german.folding import fold
from german.numbers import cardinal
from german.phrases import PREFERENCE_PATTERNS
from german.requests import (
    ADDITIVE,
    AFTERTHOUGHT,
    DONT_KNOW,
    GREETING,
    JOB_FIELD,
    LEADERSHIP_FIELD,
    LIST_SEPARATOR,
    NEW_MATTER,
    PUT_ASIDE,
    ROLE_REFERENCE,
    ROLE_STATEMENT,
    SUBORDINATORS,
    THANKS,
    TOPIC_FRAME,
    TOPIC_IMPROVE,
    TOPIC_WISH,
    UNIT_HERE,
    WISH_REASON_WORD,
    is_function_word,
    is_request_word,
    is_role_word,
    is_vague_word,
)
from german.vocabulary import PREFERENCE_WORDS

MAX_TOPIC_WORDS = 5
MAX_KEYWORD_SENTENCE_WORDS = 10
MAX_NEED_CHARS = 240
# What follows the first ``MAX_NEED_CHARS`` of a told need is searched in portions this long (``_portions``).
LONG_DESCRIPTION_CHARS = 160
MAX_NEEDS = 6
# Content words a clause that stated the role needs to tell something besides it ("… am Schalter" does not).
MIN_CONTEXT_WORDS = 3
# Nouns a description next to named topics needs to be searched as a need of its own.
MIN_CONTEXT_NOUNS = 2
# A told problem with fewer words is a named topic ("TVöD Eingruppierung").
MIN_DESCRIPTION_WORDS = 4
# A told problem has at least two content words ("Wir sind zu viert" tells no need).
MIN_TOLD_WORDS = 2
MAX_ROLE_WORDS = 7
MAX_WORDS_BEFORE_ROLE = 2

# No sentence ends after "Art.", "Nr.", "ca." and the like.
_ABBREVIATIONS = "".join(
    rf"(?<!\b{re.escape(a)}\.)"
    for a in ("Art", "Nr", "ca", "bzw", "ggf", "usw", "Abs", "vgl", "z.B", "Dr", "Max", "max")
)
_SENTENCE_END = re.compile(
    _ABBREVIATIONS + r"(?<!\d\.)(?<=[.!?;…])\s+(?=[^\d\s])|\n+|(?<=[!?])(?=[A-ZÄÖÜa-zäöü])"
)
_CLAUSE_SEPARATOR = re.compile(
    r"\s*(?:,|:|\s[-–—]\s)\s*|\s+(?=(?:und|aber|oder)\s+(?:ich|i|wir|mir|mich|uns|man|es|die|der|das|"
    r"brauche|brauch|suche|m[öo]e?chte|will|h[äa]e?tte|w[üu]e?rde|br[äa]e?uchte|soll|sollen|muss|müssen|"
    r"bin|hab|habe|k[öo]e?nnen|kann|wei[ßs]s?)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w§][\w§*.'’/-]*", re.UNICODE)
# "keine Ahnung", "keinen Plan": no topic ("ich hab keine Ahnung, wie das laufen soll").
_NO_IDEA = re.compile(r"\b(?:keine|keinen|null|kei)\s+(?:ahnung|plan|idee)\b", re.IGNORECASE)
# Right before a role the NLU tagged: "ich bin …", "als …".
_ROLE_CUE = re.compile(r"\b(?:bin|als)\s+(?:ein|eine)?\s*$", re.IGNORECASE)
_LEADING_AND = re.compile(r"^(?:und|aber|oder)\s+", re.IGNORECASE)
# Units whose leaders need leadership skills rather than the unit's subject ("Teamleiterin", "Amtsleiter").
_UNIT_FIELDS = frozenset(
    fold(w) for w in "team gruppe bereich fachbereich sachgebiet referat dezernat".split()
)
_ALSO = frozenset(fold(w) for w in "auch außerdem zusätzlich".split())
_ROLE_ADJECTIVES = frozenset(fold(w) for w in "zuständig tätig beschäftigt angestellt verantwortlich".split())
_ROLE_STOP = frozenset(fold(w) for w in "und aber oder sowie weil damit dass wenn wie was".split())
# Words that make a clause a told problem rather than a topic: personal pronouns and finite verbs.
_CLAUSE_WORDS = frozenset(
    fold(w)
    for w in "ich i isch wir mir mich uns man er sie es du bin ist sind war hab habe hat haben wird werden "
    "kann können muss müssen soll sollen darf weiß krieg kriege komm komme geht gehts tut mag wollen "
    "möchte will brauche brauch wurde wurden waren hatte hatten ging kam kommt macht mache machen "
    "mia ham hamma hend san".split()
)
_PREFERENCE_WORDS = frozenset(fold(w) for w in PREFERENCE_WORDS) | frozenset(
    fold(w)
    for w in "präsenz vor ort online hybrid blended webinar webinare e-learning format formate formaten "
    "einsteiger anfänger "
    "fortgeschrittene fortgeschritten experten expertenniveau expertenlevel profis kostenlos kostenlose "
    "gratis budget euro € kurz kurzes kurze kompakt stunden einfaches leichtes erfahren erfahrene erfahrenen "
    "erfahrener absolute absoluter absoluten blutige blutiger blutigen totale totaler völlige völliger "
    "komplette kompletter".split()
)


@dataclass
class _Clause:
    text: str  # without greeting, thanks and the role statement
    words: int  # words of the whole clause as written
    additive: bool = False  # "außerdem …", "und vielleicht auch …"
    subordinate: bool = False  # "damit …", "weil …", "die …"
    had_role: bool = False  # the clause stated the person's role
    told: bool = False  # has a pronoun or a finite verb: a told problem, not a topic
    joined: bool = False  # began with "und" / "aber" (kept when the clause is part of a told problem)
    greeted: bool = False  # began with a greeting ("Moin Leute, …")


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" \t.,;:!?-–—\"'„“”…")
    if text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip()
    if text.startswith("(") and text.count("(") > text.count(")"):
        text = text[1:].lstrip()
    return text


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


# How long something has been or may take ("seit 2 Wochen neu", "im 2. Lehrjahr", "Rahmen: … pro Person, nicht
# mehr als ein halber Tag"): no topic.
_TIME_WORDS = frozenset(
    fold(w)
    for w in "tag tage tagen woche wochen monat monate monaten jahr jahre jahren lehrjahr semester "
    "halber halben halbe ganzer ganzen rahmen person".split()
)


# Words that introduce what follows ("Zur Einordnung: Ich bin Teamleitung …", "Kurz zum Hintergrund: …").
_FRAME_WORDS = frozenset(fold(w) for w in "einordnung hintergrund vorab vorweg".split())


def _is_content(word: str) -> bool:
    bare = word.strip("*.'’/-")
    if len(bare) < 2 and not bare.isdigit():
        return False
    if bare.isdigit() and len(bare) < 4:  # "2. Lehrjahr", "12 Dateien": no topic on their own
        return False
    if bare.isalpha() and cardinal(bare) is not None:  # "mehr als fünfhundert Euro": an amount, no topic
        return False
    folded = fold(bare)
    parts = [p for p in bare.split("-") if p]
    if len(parts) > 1 and not any(_is_content(p) for p in parts):  # "Online-Formate", "Präsenz-Termin"
        return False
    return not (
        is_function_word(bare)
        or is_request_word(bare)
        or folded.endswith("budget")
        or folded in _TIME_WORDS
        or folded in _FRAME_WORDS
        or is_role_word(bare)
        or folded in _PREFERENCE_WORDS
        or GREETING.fullmatch(bare)
        or THANKS.fullmatch(bare)
    )


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry a topic (no function, request, role, greeting or preference word)."""
    return [w for w in _words(text) if _is_content(w)]


def _strip_ends(text: str) -> str:
    """Leading and trailing words that carry no topic: "Gibt es Schulungen zu den Neuerungen beim FEG bitte"
    -> "Neuerungen beim FEG"."""
    words = list(_WORD.finditer(text))
    content = [m for m in words if _is_content(m.group())]
    if not content:
        return ""
    end = content[-1].end()
    kept = text[content[0].start(): end]
    if kept.count("(") > kept.count(")") and ")" in text[end:]:
        kept = text[content[0].start(): text.index(")", end) + 1]  # "XÖV-Standards (XMeld)"
    return _clean(kept)


# "nicht zu teuer", "net z'teuer gell": a wish about the cost, said without a number.
_NOT_TOO_EXPENSIVE = re.compile(r"\bn(?:icht|et|ed|it)\s+(?:zu\s+|z['’])?teuer\w*(?:\s+gell)?", re.IGNORECASE)


# "(ned online,) des bringt nix", "das bringt mir eh nichts": a verdict on a format or on offers, no topic.
_NO_USE = re.compile(
    r"\b(?:(?:das|des|dat|dit|dös|es|det)\s+)?bringt\s+(?:(?:mir|mer|ma|uns|eh|doch|halt|einfach|echt|gar|"
    r"überhaupt|ueberhaupt|auch|au)\s+)*(?:nix|nichts|nüscht|nischt|nüx|nüschts|wenig|net\s+viel|nicht\s+viel|"
    r"ned\s+vui|nischt)\b",
    re.IGNORECASE,
)


# "Vielen Dank für Ihre Mühe", "danke dir für die Hilfe": thanks, no topic ("Zu Mühe habe ich leider …").
_THANKS_FOR = re.compile(
    r"(?:\b(?:dank\w*|merci)\s+(?:\w+\s+)?|^\s*)f(?:ü|ue)r\s+(?:ihre|deine|die|eure|euer|ihren|deinen)\s+"
    r"(?:m(?:ü|ue)he|hilfe|geduld|zeit|unterst(?:ü|ue)tzung|infos?|informationen|antworten?|tipps?|vorschl(?:ä|ae)ge)\b",
    re.IGNORECASE,
)


def _without_preferences(text: str) -> str:
    for pattern, _kind, _key, _value in PREFERENCE_PATTERNS:
        text = pattern.sub(" ", text)
    text = _THANKS_FOR.sub(" ", _NO_USE.sub(" ", _NOT_TOO_EXPENSIVE.sub(" ", text)))
    return _clean(text)


# "(ich bin in) Excel echt ne Niete", "(bin bei) Outlook total überfordert": a person rating their skill.
_SELF_ASSESSMENT = re.compile(
    r"^\s*(?P<subject>[\w.-]+(?:\s+[\w.-]+)?)\s+(?:(?:echt|total|voll|ziemlich|eher|noch|nicht\s+so|net\s+so|"
    r"nich\s+so|gar\s+nicht|überhaupt\s+nicht|nicht|richtig|absolut|a|ne|eine|ein|so)\s+)*"
    r"(?:niete|null|schlecht|schwach|unsicher|fit|überfordert|anfänger\w*|neuling|laie|blutige[rn]?|mies|"
    r"sicher|firm|lost|verloren|überfragt)\b",
    re.IGNORECASE,
)


def split_role(clause: str, cased: bool = True) -> tuple[str, str | None]:
    """The clause without the statement of the person's role, and the role it stated (or None).

    "ich arbeite im Einwohnermeldeamt am Schalter" -> ("", "im Einwohnermeldeamt am Schalter"); "Als
    Teamleiterin im Bürgerbüro möchte ich …" -> ("möchte ich …", "Teamleiterin im Bürgerbüro"); "Ich leite zum
    ersten Mal ein Projekt" -> (unchanged, None).
    """
    match = ROLE_STATEMENT.match(clause)
    if match is None:
        return _unit_alone(clause, cased)
    by_unit = bool(match.group("unit")) and match.group("verb") is not None
    rest = clause[match.end():]
    assessed = _SELF_ASSESSMENT.match(rest)
    if by_unit and assessed and not is_role_word(assessed.group("subject").split()[0]):
        return clause, None  # "ich bin in Excel echt ne Niete": how good one is at a topic, no unit
    cut, named_role, head, phrase, before_head = 0, False, False, False, 0
    for word in _WORD.finditer(rest):
        token, folded = word.group(), fold(word.group())
        noun = token[:1].isupper() or token[:1].isdigit() or not cased
        if folded in _ROLE_STOP or folded in _CLAUSE_WORDS or _RATES_A_SKILL.fullmatch(token):
            break
        if is_role_word(token):
            named_role = head = True
            phrase = False
            cut = word.end()
        elif not head:  # before the job or unit: "im kommunalen Jobcenter", "einer kleinen Gemeinde"
            if noun and not is_function_word(token):
                if not by_unit:
                    # "die Verwaltung für unsere Freiwillige Feuerwehr": a role word must follow soon
                    before_head += 1
                    if before_head > MAX_WORDS_BEFORE_ROLE:
                        break
                    continue
                head = True
                cut = word.end()
        elif folded in _ROLE_ADJECTIVES:
            cut = word.end()
        elif is_function_word(token):  # "… im Bürgerbüro", "… an einer Grundschule", "… des Jugendamts"
            phrase = True
        elif phrase and noun:
            cut = word.end()
        elif not (phrase and not noun):
            break
    if not (named_role or (by_unit and head)):
        return clause, None
    unit = match.group("unit") if by_unit else ""
    return _clean(rest[cut:]), _clean(f"{unit or ''} {rest[:cut]}")


def _unit_alone(clause: str, cased: bool) -> tuple[str, str | None]:
    """ "Organisationsamt hier", "rechnungsprüfungsamt": a clause naming only a unit of the administration."""
    words = _words(UNIT_HERE.sub(" ", clause))
    if words and len(words) <= 3 and any(is_role_word(w) for w in words) and not content_words(clause):
        return "", _clean(UNIT_HERE.sub(" ", clause))
    return clause, None


def stated_role(text: str) -> str | None:
    """The role a message states in words ("Ich arbeite im Sozialamt, Teamleitung" -> "im Sozialamt")."""
    cased = _is_cased(text)
    for sentence in sentences(text):
        for raw in _CLAUSE_SEPARATOR.split(sentence):
            part = _clean(raw or "")
            part = _clean(GREETING.sub(" ", part, count=1)) if GREETING.match(part) else part
            _rest, role = split_role(_LEADING_AND.sub("", part), cased)
            if role:
                return role
    return None


def _clauses(sentence: str, cased: bool) -> list[_Clause]:
    """The clauses of one sentence, without greeting, thanks, afterthought and the role statement."""
    clauses: list[_Clause] = []
    first = True
    for raw in _CLAUSE_SEPARATOR.split(sentence):
        part = _clean(raw or "")
        if not part:
            continue
        written = len(_words(part))
        greeted = bool(GREETING.match(part))
        part = _clean(GREETING.sub(" ", part, count=1)) if greeted else part
        part = _clean(THANKS.sub(" ", part))
        part = _clean(AFTERTHOUGHT.sub(" ", part))
        part = _clean(_NO_IDEA.sub(" ", part))
        unjoined = _LEADING_AND.sub("", part)
        # "…, und ich soll demnächst auch Bürgerversammlungen moderieren": "und … auch" adds a need.
        also = unjoined != part and any(fold(w) in _ALSO for w in _words(unjoined))
        additive = bool(ADDITIVE.match(unjoined)) or (first and unjoined != part) or also
        if ADDITIVE.match(unjoined):
            unjoined = _clean(ADDITIVE.sub(" ", unjoined, count=1))
        words = _words(unjoined)
        subordinate = bool(words) and fold(words[0]) in SUBORDINATORS and not first
        told = any(fold(w) in _CLAUSE_WORDS for w in words)
        rest, role = split_role(unjoined, cased)
        if rest:
            joined = unjoined != part and not additive
            clauses.append(
                _Clause(rest, written, additive, subordinate, role is not None, told, joined, greeted)
            )
        first = False
    return clauses


def _goes_on(rest: str) -> bool:
    """What follows a role statement is a clause of its own ("i bin Azubi im Bürgeramt und wenn einer am
    Schalter rumschreit, …", "Bei uns im Jugendamt gibt es viele Fälle von …"): it is part of what the person
    tells, not of the role ("… am Schalter", "… für Gewerbeangelegenheiten zuständig")."""
    words = _words(_LEADING_AND.sub("", rest))
    if _RATES_A_SKILL.search(rest):  # "… nicht so fit mit Excel", "… und in Excel eine Niete"
        return True
    return bool(words) and (fold(words[0]) in SUBORDINATORS or any(fold(w) in _CLAUSE_WORDS for w in words))


_RATES_A_SKILL = re.compile(
    r"\b(?:niete|schlecht|schwach|unsicher|fit|überfordert|blutige[rn]?\s+anfänger\w*|laie|firm|überfragt)\b",
    re.IGNORECASE,
)


def _has_noun(text: str, cased: bool) -> bool:
    """In a message written with capitals, a topic names a noun (capitalised) or an acronym."""
    words = content_words(text)
    if not cased:
        return bool(words)
    return any(w[:1].isupper() or w[:1].isdigit() or w.startswith("§") for w in words)


def _protect_parentheses(text: str) -> tuple[str, dict[str, str]]:
    saved: dict[str, str] = {}

    def keep(match: re.Match[str]) -> str:
        key = f"\x00{len(saved)}\x00"
        saved[key] = match.group(0)
        return key

    return re.sub(r"\([^()]*\)", keep, text), saved


def _restore(text: str, saved: dict[str, str]) -> str:
    for key, value in saved.items():
        text = text.replace(key, value)
    return text


def split_topics(text: str, cased: bool = True) -> list[str]:
    """ "Excel und Datenschutz" -> ["Excel", "Datenschutz"]; when a part is no topic on its own the phrase
    stays whole ("kürzer und verständlicher schreiben")."""
    protected, saved = _protect_parentheses(text)
    topics = []
    for part in LIST_SEPARATOR.split(protected):
        if not part or not part.strip():
            continue
        topic = _strip_ends(_restore(ADDITIVE.sub(" ", part), saved))
        if not topic:
            continue
        if len(_words(topic)) > MAX_TOPIC_WORDS or not _has_noun(topic, cased):
            whole = _strip_ends(_restore(protected, saved))
            return [whole] if whole else []
        topics.append(topic)
    return topics


def _is_cased(text: str) -> bool:
    """Whether the person writes nouns with capitals (then lower-case words are no nouns)."""
    words = [w for w in _words(text) if w[:1].isalpha()]
    return sum(w[:1].isupper() for w in words) >= max(2, len(words) // 6)


# Stands in for a role the NLU found, so that the statement around it is still recognised ("Als ⟨role⟩ im
# ⟨role⟩ möchte ich …"); it is a role word, never part of a need.
ROLE_PLACEHOLDER = "Dienststelle"


def reads_as_role(text: str, start: int, end: int) -> bool:
    """Whether the span ``text[start:end]`` the NLU tagged as a role reads as one: it ends in a role word, or
    follows "bin" / "als" (the NLU sometimes tags a topic such as "Fachkräfteeinwanderungsgesetz" as a role;
    that is part of the need, not the person's role)."""
    if not 0 <= start < end <= len(text):
        return False
    words = _words(text[start:end])
    return bool(words) and (is_role_word(words[-1]) or bool(_ROLE_CUE.search(text[:start])))


# "sonst gibt der Kämmerer nix frei", "unser Bürgermeister will …": somebody else's role, not the person's
# own; "Ich bin die neue Kämmerin", "bei der Stadtkasse", "in unserem Bauhof" still state the person's own.
_SOMEONE_ELSE = re.compile(
    r"(?<![\wäöüß])(?P<before>[\wäöüß]+\s+)?(?:der|die|den|dem|unser|unsere|unserem|unseren|unserer|mein|meine|"
    r"meinem|meinen|meiner)\s+(?:[\wäöüß]+(?:e|en|er)\s+)?$",
    re.IGNORECASE,
)
_OWN_ROLE_CUE = frozenset(
    fold(w)
    for w in "bin sind ist hier als in im bei beim aus vom von zum zur für arbeite arbeiten schaffe".split()
)


def mentions_someone_else(text: str, start: int) -> bool:
    """Whether the role tagged at ``start`` is somebody else's ("der Kämmerer", "unser Bürgermeister")."""
    match = _SOMEONE_ELSE.search(text[:start])
    if match is None:
        return False
    before = (match.group("before") or "").strip()
    return fold(before) not in _OWN_ROLE_CUE


def _mark_roles(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text with each role span the NLU found replaced by ``ROLE_PLACEHOLDER`` if it reads as a role."""
    for start, end in sorted(set(spans), reverse=True):
        if reads_as_role(text, start, end):
            text = text[:start] + ROLE_PLACEHOLDER + text[end:]
    return text


# A course named by its topic in one compound word ("eine Deeskalationsschulung", "ein Datenschutz-Seminar",
# "Excelkurs"); a kind of course ("Grundkurs", "Onlineseminar", "Tagesschulung") names no topic.
_COMPOUND_COURSE = re.compile(
    r"\b(?P<topic>[A-ZÄÖÜ][\wäöüß]{3,}?|[A-ZÄÖÜ][\wäöüß-]{3,}?(?=-))(?:(?:(?<=ion)|(?<=ung)|(?<=tät)|(?<=heit)|(?<=keit)|(?<=haft))s)?-?"
    r"(?:schulung|seminar|fortbildung|weiterbildung|kurs|training|workshop|lehrgang)(?:en|e|s)?\b"
)
_COURSE_KINDS = frozenset(
    "grund aufbau einführung einführungs intensiv online präsenz pflicht inhouse tages wochen kurz fach "
    "vertiefung vertiefungs auffrischung auffrischungs basis zertifikat zertifikats crash sprach abend "
    "wochenend ganztages halbtages web praxis experten anfänger einsteiger fortgeschrittenen mehrtages "
    "zusatz spezial kompakt".split()
)
_COURSE_KIND_FOLDS = frozenset(fold(kind) for kind in _COURSE_KINDS)


def _compound_course_topics(clause: str) -> list[str]:
    topics = []
    for match in _COMPOUND_COURSE.finditer(clause):
        topic = match.group("topic").rstrip("-")
        # "Führungskräftetraining" stays one word: a role is no topic
        if fold(topic) not in _COURSE_KIND_FOLDS and not is_role_word(topic):
            topics.append(topic)
    return topics


def _framed_topics(clause: str, cased: bool) -> list[str]:
    """Topics asked for with a request frame: "Gibt es Kurse zum OZG" -> [OZG], "was mit Outlook und Word"
    -> [Outlook, Word], "Zeitmanagement wär auch noch gut" -> [Zeitmanagement]. A frame followed by a told
    problem ("Hilfe, wie ich …") names no topic."""
    wish = TOPIC_WISH.match(clause)
    if wish:
        topic = _strip_ends(_without_preferences(wish.group("topic")))
        if topic and _has_noun(topic, cased) and len(_words(topic)) <= MAX_TOPIC_WORDS:
            return split_topics(topic, cased)
    improve = TOPIC_IMPROVE.search(clause)
    if improve:
        topic = _strip_ends(_without_preferences(improve.group("topic")))
        if topic and _has_noun(topic, cased) and len(_words(topic)) <= MAX_TOPIC_WORDS:
            return split_topics(topic, cased)
    for match in TOPIC_FRAME.finditer(clause):
        raw = _without_preferences(match.group("topic"))
        if any(fold(w) in _CLAUSE_WORDS for w in _words(raw)):
            continue
        topic = _strip_ends(raw)
        if topic and _has_noun(topic, cased) and len(_words(topic)) <= MAX_KEYWORD_SENTENCE_WORDS:
            # a topic named before the frame counts too: "brauch excel grundlagen + was zu datenschutz"
            before = _strip_ends(_without_preferences(clause[: match.start()]))
            first = (
                split_topics(before, cased)
                if before and _has_noun(before, cased) and len(_words(before)) <= MAX_TOPIC_WORDS
                else []
            )
            return first + split_topics(topic, cased)
    return _compound_course_topics(clause) if cased else []


def _keyword_sentence(clauses: list[_Clause], cased: bool) -> bool:
    """A sentence of topic words only: "Excel und Datenschutz", "TVöD Eingruppierung"."""
    if not clauses or sum(c.words for c in clauses) > MAX_KEYWORD_SENTENCE_WORDS:
        return False
    return all(
        not (c.told or c.subordinate or c.had_role) and _has_noun(_without_preferences(c.text), cased)
        for c in clauses
    )


def _leading_topics(clauses: list[_Clause], cased: bool) -> list[str]:
    """Topic words that open a sentence going on with a told problem: "agiles Arbeiten / Scrum, wir führen
    das gerade ein" -> [agiles Arbeiten, Scrum] (what follows is their context). Only the first clause counts:
    inside a told problem a few nouns are part of it ("…, Arbeitsaufträge und so, …"). A list of topics
    separated by commas opens the sentence as a whole: "Radverkehr, Mobilitätskonzepte, Verkehrswende – was
    gibt's da für uns?" -> all three."""
    if len(clauses) < 2 or not any(c.told for c in clauses[1:]):
        return []
    topics: list[str] = []
    for clause in clauses[:-1]:
        if clause.told or clause.subordinate or clause.had_role or clause.greeted or clause.additive:
            break
        core = _without_preferences(clause.text)
        words = _words(core)
        # "Für Afänger, …", "Des Ganze dann …": a clause opening with a function word is no list of topics.
        if not words or len(words) > MAX_TOPIC_WORDS or not _is_content(words[0]):
            break
        if not _has_noun(core, cased):
            break
        topics.extend(split_topics(_strip_ends(core), cased))
    return topics


# "1) Outlook-Kalender richtig nutzen, 2) Umgang mit schwierigen Kunden, 3) …", "a) … b) …": list items.
_ENUMERATOR = re.compile(r"(?:(?<=[\s,;:])|^)(?P<mark>\d{1,2}|[a-f])[).]\s+")


def _list_items_as_sentences(text: str) -> str:
    """A numbered list (marks counting up from 1 or a) becomes one sentence per item, so that every item is a
    need of its own; a single "2. Lehrjahr" stays as it is."""
    marks = list(_ENUMERATOR.finditer(text))
    values = [int(m.group("mark")) if m.group("mark").isdigit() else ord(m.group("mark")) - ord("a") + 1
              for m in marks]
    if len(marks) < 2 or values != list(range(1, len(marks) + 1)):
        return text
    pieces, start = [], 0
    for mark in marks:
        pieces.append(text[start: mark.start()].rstrip(" ,;:"))
        start = mark.end()
    pieces.append(text[start:])
    return "\n".join(p for p in pieces if p.strip())


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(_list_items_as_sentences(text)) if s and s.strip()]


def role_field(role: str | None) -> str | None:
    """The field a role works in, searched when a person asks for help with their job: "frisch
    Ausbildungsleiter" -> "Ausbildung", "die neue Gleichstellungsbeauftragte" -> "Gleichstellung",
    "Teamleiterin" -> "Führung", "im Standesamt" -> "Standesamt"."""
    words = [w.strip("*:") for w in _words(role or "") if is_role_word(w)]
    for word in words:
        match = JOB_FIELD.fullmatch(word)
        if match:
            field = match.group("field")
            short = len(field) <= 4 or is_role_word(field) or fold(field) in _UNIT_FIELDS
            return LEADERSHIP_FIELD if short else field[:1].upper() + field[1:]
    return words[-1] if words else None


def needs_in_message(
    text: str,
    role_spans: Iterable[tuple[int, int]] = (),
    keywords: bool = True,
    min_told: int = MIN_TOLD_WORDS,
    role: str | None = None,
) -> list[str]:
    """The needs a message states, each in the person's words (empty if it states none).

    ``role_spans`` are the character spans of the role the NLU found; they are no part of a need. Without
    ``keywords`` a sentence of topic words is no need ("Ich bin in der Wirtschaftsförderung,
    Standortmarketing" tells the role); a told problem needs ``min_told`` content words. A reference to the
    person's own job ("Grundlagen zu meiner Rolle", "um das gut zu machen") is no topic: the need is the field
    of the role the message states, else of ``role`` (the role known before).
    """
    marked = standard_function_words(_mark_roles(text or "", role_spans))
    reference = ROLE_REFERENCE.search(marked)
    if reference is None:
        return _without_role_placeholders(_needs_in_words(marked, keywords, min_told), text or "")
    field = role_field(stated_role(standard_function_words(text or "")) or role)
    found = _needs_in_words(marked[: reference.start()] + marked[reference.end():], keywords, min_told)
    found = _without_role_placeholders(found, text or "")
    return unique(([field] if field else []) + found)[:MAX_NEEDS]


def _without_role_placeholders(needs: list[str], text: str) -> list[str]:
    """A told problem is searched without the role the NLU found in it: "Im Sozialamt explodieren die
    Fallzahlen und ich schlaf schlecht" found "Sozialhilfe nach SGB XII" by the word "Sozialamt" (and the
    placeholder "Dienststelle" found Personalrat courses); without it, courses on exhaustion come first."""
    if fold(ROLE_PLACEHOLDER) in fold(text):
        return needs  # the person wrote the word: leave it
    return [_clean(_ROLE_PLACE.sub(" ", need)) for need in needs]


_ROLE_PLACE = re.compile(
    r"(?:\b(?:bei\s+uns\s+)?(?:im|in\s+der|in\s+dem|in\s+einer|in\s+einem|beim|bei\s+der|bei\s+dem|"
    r"aus\s+dem|aus\s+der|vom|von\s+der|als)\s+)?" + ROLE_PLACEHOLDER + r"\b",
    re.IGNORECASE,
)


# "Unsere Software nervt auch, aber das is ne andere Baustelle": the person sets this aside, it is no need.
_SET_ASIDE = re.compile(
    r"\b(?:das|des|dis|dat)\s+(?:is|ist|isch)\s+(?:(?:aber|eh|halt|jetzt)\s+)?(?:ne|eine?|en)\s+"
    r"andere[rs]?\s+(?:baustelle|thema|geschichte|sache)\b|"
    # how the person goes on after the offers ("dann schaue ich mir das in Ruhe an und bespreche es mit dem
    # Personalamt", "ich melde mich wieder"): no need
    r"\b(?:schaue?|schau|guck\w*|seh\w*)\s+(?:ich\s+)?(?:mir\s+)?(?:das|die|des|es|den|sie)\s+(?:\w+\s+){0,3}?an\b|"
    r"\b(?:bespreche?|kl(?:ä|ae)re?)\s+(?:ich\s+)?(?:das|des|es|die)\s+(?:\w+\s+){0,2}?mit\b|"
    r"\bmelde?\s+(?:ich\s+)?mich\s+(?:dann\s+|noch\s*mal\s+|nochmal\s+)?(?:wieder|bei\s+bedarf|sp(?:ä|ae)ter)\b|"
    r"\b(?:(?:ü|ue)berleg\w*|denk\w*)\s+(?:ich\s+)?(?:mir\s+)?(?:das|des|es)\s+(?:\w+\s+){0,2}?(?:nochmal|noch\s+mal|in\s+ruhe)\b"
    # a comment on the offers shown ("Herzlichen Dank, das sieht schon sehr vielversprechend aus.")
    r"|\b(?:das|des|dat|es)\s+(?:sieht|klingt|h(?:ö|oe)rt\s+sich|ist|is|isch|war)\s+(?:\w+\s+){0,3}?(?:gut|"
    r"vielversprechend|interessant|super|prima|spannend|hilfreich|passend|toll)\w*(?:\s+an|\s+aus)?"
    r"(?:,?\s+(?:danke|vielen\s+dank)\w*)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
# "Eine Sache hatte ich in meiner ersten Nachricht ganz vergessen: …", "ich hätte gleich zwei Anliegen, für
# die ich Sie um Vorschläge bitten möchte: Zum einen …": words about the message, what follows is the need.
_FORGOT_TO_SAY = re.compile(
    r"\b(?:eine\s+sache|etwas|noch\s+(?:was|etwas|eins)|eins|was)\s+(?:hatte|habe|hab)\s+ich\s+(?:\w+\s+){0,6}?"
    r"vergessen\s*:?|\bwas\s+ich\s+(?:\w+\s+){0,4}?vergessen\s+(?:habe|hab|hatte)\s*:?|"
    r"\b(?:ich\s+)?(?:h(?:ä|ae)tte|habe|hab)\s+(?:(?:gleich|da|noch|heute)\s+)*(?:zwei|drei|mehrere|ein\s+paar|"
    r"einige)\s+(?:anliegen|fragen|themen|punkte|w(?:ü|ue)nsche)\b[^:.!?]*[:.!?]?",
    re.IGNORECASE,
)


# "…, hat mein Chef im Mitarbeitergespräch gesagt", "…, sagt meine Teamleiterin": who asked for it, no need.
_SUPERIOR = (
    r"(?:chef|chefin|vorgesetzte[rn]?|teamleit\w*|amtsleit\w*|abteilungsleit\w*|fachbereichsleit\w*|"
    r"bereichsleit\w*|bürgermeister\w*|buergermeister\w*|personalabteilung|personalamt|personalrat|leitung|boss)"
)
_REPORTED_BY = re.compile(
    r"^(?:(?:hat|hatte|haben|hätte)\s+(?:mein|meine|unser|unsere|der|die)\s+" + _SUPERIOR
    + r"\b(?:\s+\w+){0,4}?\s+(?:gesagt|gemeint|empfohlen|vorgeschlagen|angeregt|verlangt|gewollt)"
    r"|(?:sagt|sagte|meint|meinte|findet|fand|will|wollte|möchte)\s+(?:mein|meine|unser|unsere|der|die)\s+"
    + _SUPERIOR + r"\b(?:\s+\w+){0,3}?)\s*[.!]*$",
    re.IGNORECASE,
)


# Phrases inside a sentence that are about the conversation, not a need; the rest of the sentence counts:
# "woass need so recht", "keine Ahnung" ("Ich weiß nicht, wie man Excel benutzt" keeps "wie man Excel
# benutzt"), "ganz anderes Thema: …", "Eine Sache hatte ich vergessen: …", "vergiss das mal kurz".
# How the person came here ("man hat mir im Personalentwicklungsgespräch empfohlen, mich einmal an Sie zu
# wenden", "… wurde darauf hingewiesen, dass ich mich für Fortbildungsfragen an diesen Assistenten wenden
# könne", "mein Name tut nichts zur Sache"): no need, while the rest of the sentence still counts ("…, weil
# ich Excel lernen muss").
_HOW_THEY_CAME = re.compile(
    r"\b(?:man\s+hat\s+mir|mir\s+wurde|wurde|(?:(?:mein|unser)e?\w?\s+\w+\s+)?(?:hat|haben)\s+mir)\s"
    r"[^.;!?]{0,120}?\b(?:empfohlen|geraten|nahegelegt|gesagt|vorgeschlagen|hingewiesen)\b[^.;!?]{0,60}?"
    r"\ban\s+(?:sie|euch|dich|ihnen|diesen\s+\w+|den\s+\w+|das\s+\w+)\s+(?:zu\s+)?(?:wenden|richten)\b"
    r"(?:\s+(?:k(?:ö|oe)nne|kann|solle|soll|sollte))?|"
    r"(?:\bdass\s+)?(?:\bich\s+)?(?:\bmich\s+)?(?:[\w-]+\s+){0,3}?\ban\s+(?:diesen|den|dieses|das|einen)\s+"
    r"(?:\w+\s+)?(?:assistent\w*|chat\w*|bot\w*|tool|programm)\s+(?:zu\s+)?(?:wenden|richten)\b"
    r"(?:\s+(?:k(?:ö|oe)nne|kann|solle|soll|sollte))?|"
    r"\b(?:mein\s+)?name\s+tut\s+(?:\w+\s+){0,3}nichts\s+zur\s+sache\b|"
    # "meine Vorgesetzte hat mich gebeten, mich einmal nach geeigneten Fortbildungen für mich umzusehen"
    # (not "…, mich nach Excel-Kursen umzusehen": a subject stays)
    r"\b(?:(?:mein|unser)e?\w?\s+\w+\s+)?(?:hat|haben)\s+mich\s+gebeten,?\s+mich\s+(?:einmal\s+|mal\s+)?"
    r"(?:nach\s+)?(?:geeigneten\s+|passenden\s+)?(?:fortbildungen|weiterbildungen|kursen|schulungen|angeboten)\s+"
    r"(?:f(?:ü|ue)r\s+mich\s+)?(?:umzusehen|umzuschauen|zu\s+erkundigen)\b",
    re.IGNORECASE,
)
# The errand without a subject: "(ich) soll bis Ende des Monats Fortbildungen für mein Team melden", "Ich soll
# für mein Team Fortbildungen raussuchen" (not "… Excel-Fortbildungen raussuchen": a subject stays).
_ERRAND_WORDS = (
    r"(?:bis|zum|ende|des|dieses|diesen|monats|jahres|jahr|noch|f(?:ü|ue)r|mein|meine|unser|unsere|team|"
    r"mitarbeitenden|mitarbeiter\w*|kolleg\w*|abteilung|amt|ein|paar|passende|geeignete|die|der|den|das|"
    r"n(?:ä|ae)chste\w*|kommende\w*)"
)
_ERRAND = re.compile(
    r"\b(?:ich\s+)?(?:soll|sollte|muss|m(?:ö|oe)chte|will|darf)\s+(?:" + _ERRAND_WORDS + r"\s+){0,8}"
    r"(?:fortbildungen|weiterbildungen|schulungen|kurse|seminare|angebote)\s+"
    r"(?:" + _ERRAND_WORDS + r"\s+){0,4}"
    r"(?:melden|raussuchen|heraussuchen|aussuchen|suchen|planen|zusammenstellen|finden|anmelden|buchen)\b",
    re.IGNORECASE,
)
_NO_NEED_PHRASES = (DONT_KNOW, NEW_MATTER, _FORGOT_TO_SAY, PUT_ASIDE, _HOW_THEY_CAME, _ERRAND)


def _needs_in_words(text: str, keywords: bool, min_told: int) -> list[str]:
    cased = _is_cased(text)
    named: list[str] = []
    told: list[list[str]] = [[]]
    added: set[int] = set()  # groups opened by "außerdem …": a need of their own, never context
    for sentence in sentences(text):
        if _SET_ASIDE.search(sentence):
            continue
        for words_about_the_talk in _NO_NEED_PHRASES:
            sentence = words_about_the_talk.sub(" ", sentence)
        all_clauses = _clauses(sentence, cased)
        clauses = [c for c in all_clauses if content_words(_without_preferences(c.text))]
        if keywords and _keyword_sentence(clauses, cased):
            for clause in clauses:
                named.extend(split_topics(_strip_ends(_without_preferences(clause.text)), cased))
            continue
        after_topic = False
        leading = _leading_topics(clauses, cased) if keywords else []
        named.extend(leading)
        for clause in all_clauses:
            core = _without_preferences(clause.text)
            if clause.additive and told[-1]:
                told.append([])
            if clause.additive and content_words(core):
                added.add(len(told) - 1)
            if not content_words(core) or _REPORTED_BY.match(core.strip()):
                continue
            if leading and not clause.additive:
                continue  # the topics that open the sentence, and what it tells about them
            leading = []
            if clause.subordinate and after_topic:
                continue
            framed = _framed_topics(core, cased)
            if framed:
                named.extend(framed)
                after_topic = True
                continue
            after_topic = False
            if clause.had_role and len(content_words(core)) < MIN_CONTEXT_WORDS and not _goes_on(core):
                continue  # "… am Schalter", "… für Gewerbeangelegenheiten zuständig": part of the role
            core = _LEADING_AND.sub("", core) if clause.had_role and not told[-1] else core
            told[-1].append(("und " if clause.joined and told[-1] else "") + _clean(core))
    needs = list(named)
    context = []
    short: list[str] = []  # told with fewer than ``min_told`` content words
    portions = [(index, portion) for index, group in enumerate(told) for portion in _portions(group, cased)]
    for index, description in portions:
        words = content_words(description)
        if words and len(words) < min_told:
            short.append(description)
        if not words or len(words) < min_told:
            continue
        if named and index == 0 and index not in added:
            # Next to named topics, what is told without "außerdem" is their context: a need of its own
            # (searched last) only when it names things ("… neuen Job in der Vollstreckung").
            if len(_nouns(description, cased)) >= MIN_CONTEXT_NOUNS:
                context.append(_shorten(description))
            continue
        needs.append(_shorten(description))
    if not needs and not context and keywords and len(short) == 1 and _asks(text):
        # "Was kann man gegen Burnout tun?", "Wie geht das mit der E-Rechnung?": a question about one thing.
        topic = _strip_ends(short[0])
        # A noun: capitalised, unless the person writes everything in lower case ("was hilft gegen burnout").
        if len(_nouns(topic, cased=text != text.lower())) == 1 and not _vague(topic):
            return [topic]
    return unique(n for n in needs + context if not _vague(n))[:MAX_NEEDS]


def _joined(clauses: list[str]) -> str:
    return _clean(re.sub(r", und ", " und ", ", ".join(clauses)))


def _portions(clauses: list[str], cased: bool) -> list[str]:
    """What a person tells in one breath, without cutting off its end: a description longer than
    ``MAX_NEED_CHARS`` ("zwei neue Kolleginnen …, die sich in die Doppik einarbeiten müssen …, weil wir … auf
    E-Rechnung umstellen, … ihre Excel-Kenntnisse auffrischen …") is one need as far as whole clauses fit,
    and what follows is searched in portions of at most ``LONG_DESCRIPTION_CHARS``. A portion that names
    nothing ("wäre ich wirklich dankbar") stays with the one before it."""
    if len(_joined(clauses)) <= MAX_NEED_CHARS:
        return [_joined(clauses)]
    parts: list[list[str]] = [[]]
    for clause in clauses:
        limit = MAX_NEED_CHARS if len(parts) == 1 else LONG_DESCRIPTION_CHARS
        if parts[-1] and len(_joined([*parts[-1], clause])) > limit:
            parts.append([])
        parts[-1].append(clause)
    portions = [_joined(parts[0])]
    for part in parts[1:]:
        text = _joined(part)
        if len(portions) > 1 and not _nouns(text, cased):
            portions[-1] = _joined([portions[-1], text])
        elif _nouns(text, cased):
            portions.append(text)
    return portions


def _vague(need: str) -> bool:
    """A need made only of words that name no subject ("ein paar Kursvorschläge", "mein Chef sagt")."""
    return all(is_vague_word(w) for w in content_words(need))


def _asks(text: str) -> bool:
    """The message is a question or a request ("…?", "brauche", "suche")."""
    return "?" in text or any(is_request_word(w) for w in _words(text))


def _nouns(text: str, cased: bool) -> list[str]:
    return [w for w in content_words(text) if not cased or w[:1].isupper() or w[:1].isdigit()]


def _shorten(text: str) -> str:
    if len(text) <= MAX_NEED_CHARS:
        return text
    return text[: MAX_NEED_CHARS + 1].rsplit(" ", 1)[0]


def unique(needs: Iterable[str]) -> list[str]:
    """Needs in order, each once (case and umlaut spelling do not count)."""
    seen: set[str] = set()
    kept = []
    for need in needs:
        key = fold(_clean(need))
        if key and key not in seen:
            seen.add(key)
            kept.append(_clean(need))
    return kept


def merged(previous: Iterable[str], new: Iterable[str], limit: int = MAX_NEEDS) -> list[str]:
    """All needs stated so far, the newest message's first (in its order); the oldest give way when there
    are more than ``limit``."""
    return unique([*new, *previous])[:limit]


def only_gives_wish_reasons(need: str) -> bool:
    """A told "need" that only explains a wish ("unser Fortbildungsbudget ist begrenzt", "wir haben kaum
    Personal für Dienstreisen"): more than half of its content words are such reasons."""
    words = content_words(need)
    reasons = [w for w in words if WISH_REASON_WORD.match(fold(w, compose=True))]
    return bool(words) and len(reasons) * 2 > len(words)


def is_description(need: str) -> bool:
    """A problem told in a sentence ("die Leute werden bei Kontrollen oft laut"), not a named topic."""
    words = _words(need)
    if len(words) < MIN_DESCRIPTION_WORDS:
        return False
    return any(fold(w) in _CLAUSE_WORDS for w in words) or len(words) > MAX_KEYWORD_SENTENCE_WORDS


__all__ = [
    "content_words",
    "is_description",
    "only_gives_wish_reasons",
    "merged",
    "needs_in_message",
    "reads_as_role",
    "split_role",
    "split_topics",
    "stated_role",
]
