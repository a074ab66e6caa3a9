"""Canonical learning formats, levels and "no preference", and the German words that name them.

Three kinds of text use these words, with different reach:

- a catalog cell or a filter value ("Präsenz", "Blended Learning", "hybrid"): the whole value is one word;
- an answer to the form's question ("Welches Format?"): any word in it counts, also loose ones ("digital",
  "gemischt", "persönlich"), because the question says what the answer is about;
- a phrase inside a search query: only the unambiguous words (``FORMAT_WORDS``); "digital" or "Video" there
  is part of the topic ("digitale Akte", "Videokonferenzen leiten"). Those phrases are in ``german.phrases``.

"hybrid" (and "hybride", "Hybridkurs", "Hybrid-Format") is ``blended`` everywhere: the usual German meaning,
part online and part in person. Patterns use the umlaut placeholders of ``german.folding.umlaut_regex``.
"""

from __future__ import annotations

import re

from german.folding import fold, umlaut_regex

FORMATS = ("online", "praesenz", "blended")
LEVELS = ("einsteiger", "fortgeschritten", "experte")
# A wish the user does not have ("egal").
ANY = "any"

# Words that name a format wherever they stand (catalog cell, form answer, search query).
FORMAT_WORDS: dict[str, str] = {
    "online": r"online|onlin|onlien|webinare?|e[-\s]?learning",
    "praesenz": r"pr{ae}senz\w*|br{ae}senz\w*|vor\s+ort",
    "blended": r"blended(?:[-\s]?learning)?|hybrid\w*",
}
# Spellings of catalog exports (umlaut dropped, English).
_FORMAT_CELL_EXTRA = {"praesenz": r"prasenz|presence"}
# Further words that name a format in an answer to the format question only.
_FORMAT_ANSWER_EXTRA = {
    "blended": r"gemischt|kombiniert|teils|mischung|sowohl",
    "online": r"onlein|digital|virtuell|remote|video|zu hause|homeoffice",
    "praesenz": r"presenz|pers{oe}nlich|inhouse|face to face|in echt",
}
# Answers mentioning several formats: "teils online, teils vor Ort" is blended, "kein Präsenzkurs, nur online"
# is online.
_ANSWER_ORDER = ("blended", "online", "praesenz")

_FORMAT_CELLS = {
    fmt: re.compile(umlaut_regex("|".join(filter(None, (FORMAT_WORDS[fmt], _FORMAT_CELL_EXTRA.get(fmt))))))
    for fmt in FORMATS
}
FORMAT_ANSWER_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (fmt, re.compile(umlaut_regex(FORMAT_WORDS[fmt] + "|" + _FORMAT_ANSWER_EXTRA[fmt])))
    for fmt in _ANSWER_ORDER
]
_FORMAT_WORD_PATTERNS = {fmt: re.compile(umlaut_regex(FORMAT_WORDS[fmt])) for fmt in FORMATS}
# Word stems naming a level. Outright ones ("für Fortgeschrittene", "Anfänger") are a wish anywhere;
# hints ("Grundlagen", "Aufbaukurs", "was Leichtes") only when nothing outright is said: "nur für
# Fortgeschrittene, die Grundlagen haben wir" asks for Fortgeschrittene. Stems at the start of a word:
# "vielleicht" is no "leicht". "Aufbau von Bescheiden" is a topic, "Aufbaukurs" a level.
_LEVEL_CUES: list[tuple[str, str, str]] = [
    (
        "einsteiger",
        r"einsteig|einstieg|neueinsteig|anf{ae}nger|af{ae}nger|neuling|beginner|(?:grundlagen|einf{ue}hrungs)(?:kurs|seminar)|"
        r"(?<=ganz )basic|(?<=eher )basic|(?<=nur )basic|"
        r"(?:keine\w*|ohne|null)\s+(?:vorkenntnis|vorwissen)|(?:bei|von)\s+null\b|"
        # "ganz von vorn beginnen, mit einem völlig anderen Anliegen" starts the conversation over
        r"ganz\s+von?\s+vorn(?![^.!?]{0,50}\b(?:anliegen|thema|themen|frage|sache))|"
        r"von\s+grund\s+auf|"
        # Bairisch/Schwäbisch: "gibts des a fia anfanga?", "für oin wo koi Ahnung hat"
        r"(?<=fia )anfanga\b|(?<=für )anfanga\b|"
        r"f(?:{ue}|ia?)r\s+(?:\w+\s+){0,2}?(?:der|die|wo)\s+(?:noch\s+)?(?:keine?|koi|koa|null)\s+ahnung",
        # "Einführung in …", "Einführungsseminar"; "die Einführung eines neuen Fachverfahrens" is a rollout.
        r"grundlage|basis|basic|leicht(?!e[nr]? sprache)|einf{ue}hrungs|"
        r"f{ue}r neue (?:f{ue}hrungskr|kolleg|mitarbeit)|"
        # "eine Einführung, wie man Schriftgut ablegt" asks for the how, not for a beginners' course.
        r"einf{ue}hrung\b(?!,?\s+(?:eine[rs]?|des|der|von|neue[rns]?|unsere[rs]?|wie|was|worauf)\b)|"
        r"ohne vorkenntnis|"
        # "i bin do ganz frisch dabei", "hab null plan von formeln": said of oneself, not a wish for a level,
        # so only in a short answer or a refinement
        r"(?:ganz\s+|noch\s+|no\s+)?(?:frisch|neu)\s+dabei\b|"
        r"(?:null|keinen|koan|koi)\s+(?:plan|ahnung)\s+(?:von|vo|mit)\b",
    ),
    (
        "fortgeschritten",
        r"fortg(?:e)?schr|f{ue}r\s+erfahrene",
        r"aufbau(?:kurs|seminar|modul|stufe|end)|vertiefung|mittelstufe|mittlere[ns]? (?:niveau|stufe|level)|"
        r"(?:stufe|level|niveau)\s+h{oe}her|h{oe}here[sn]?\s+(?:stufe|level|niveau)|anspruchsvoller|weiterf{ue}hrend|"
        # "kenn mich schon aus", "ich kenne mich damit ganz gut aus"
        r"kenn\w*\s+(?:mich|mi)\s+(?:da(?:mit)?\s+)?(?:schon|gut|bereits|ganz\s+gut|recht\s+gut)\s+(?:\w+\s+)?aus\b",
    ),
    ("experte", r"expert(?!ise)|profis?\b|spezialist", r"vertieft"),
]
LEVEL_ANSWER_PATTERNS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (level, re.compile(rf"\b(?:{umlaut_regex(outright)})"), re.compile(rf"\b(?:{umlaut_regex(hint)})"))
    for level, outright, hint in _LEVEL_CUES
]
# A level word that is denied or already behind the person: "kein Anfänger", "nichts für Einsteiger",
# "die Grundlagen haben wir", "Grundlagen kenne ich schon", "über die Grundlagen hinaus".
_DENIED_BEFORE = re.compile(
    umlaut_regex(
        r"\b(?:kein\w*|(?:nicht(?:s)?|nich|nix|ned|net)(?: (?:ganz|so|zu|mehr|unbedingt))?(?: f{ue}r| als)?|"
        r"{ue}ber die|bereits|schon)\s+$|"
        # "des isch mir alles z'arg für Profis": too much for that level
        r"\b(?:zu|z['’]?)\s*(?:arg|schwer|hoch|viel|anspruchsvoll)\s+f{ue}r\s+$"
        # "Weiß nicht so recht, ob ich da Anfänger bin": a doubt, no wish
        r"|\bob\s+(?:ich|wir|i|mir)\s+(?:\w+\s+){0,2}$"
    )
)
_DENIED_AFTER = re.compile(
    umlaut_regex(
        r"^\w*\s+(?:haben wir|habe ich|hab ich|hab i|kenne? ich|kennen wir|kann ich|k{oe}nnen wir|"
        r"sitzen|sitzt|sind (?:da|bekannt|vorhanden|nicht n{oe}tig)|hinaus|mehr\b|bin ich nicht|"
        r"sind wir nicht|"
        # "bei Fortgeschrittenenkursen steig ich sofort aus", "… komm ich nicht mit": a level one cannot
        # follow
        r"(?:\w+\s+){0,2}?steig\w*\s+(?:ich\s+|i\s+)?(?:\w+\s+)?aus\b|"
        r"(?:\w+\s+){0,2}?komm\w*\s+(?:ich\s+|i\s+)?(?:da\s+)?(?:nicht|ned|net)\s+mit\b|"
        r"brauch(?:e|en)?\s+(?:ich|i|wir|mer)\s+(?:also\s+|eigentlich\s+|wirklich\s+)?"
        r"(?:nicht|keine?|ned|net|nimmer)\b|"
        # "die Grundlagenkurse können Sie sich sparen"
        r"(?:\w+\s+){0,4}?(?:sparen|schenken|weglassen)\b)"
    )
)

_NO_PREFERENCE = re.compile(
    umlaut_regex(
        r"\b(egal|keine?n?|nein|beliebig|gleich|alles|wurscht|wumpe|ohne|{ue}berspring|wei{ss} nicht)\b"
    )
)
# Single words that are a format or level wish ("Experten", "online"), not a topic.
PREFERENCE_WORDS = frozenset({
    *FORMATS, *LEVELS, ANY,
    "präsenz", "hybrid", "webinar", "e-learning",
    "einsteigerin", "einsteiger*innen", "anfänger", "anfängerin", "anfänger*innen",
    "fortgeschrittene", "experten", "expertin", "expert*innen", "profi", "profis",
    "kostenlos", "gratis",
})


def format_value(value: str) -> str | None:
    """Canonical format of a catalog cell or filter value ("Präsenz", "Blended Learning", "hybrid"); None if
    it names none. Spaces and hyphens do not count ("E-Learning", "on-line")."""
    text = re.sub(r"[\s-]+", "", fold(value, compose=True))
    for fmt, pattern in _FORMAT_CELLS.items():
        if pattern.fullmatch(text):
            return fmt
    return None


def level_value(value: str) -> str | None:
    """Canonical level of a catalog cell or filter value ("Einsteiger"); None if it is none of ``LEVELS``."""
    text = fold(value, compose=True).strip()
    return text if text in LEVELS else None


def _first(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    for canonical, pattern in patterns:
        if pattern.search(text):
            return canonical
    return None


def format_in_answer(text: str) -> str | None:
    """The format a (lower-case) answer to the format question names, or None."""
    return _first(text, FORMAT_ANSWER_PATTERNS)


# "Die ersten beiden klingen eher nach Auffrischung für erfahrene Kolleginnen": what the offers shown seem to
# be, not a wish.
_OFFERS_SOUND_LIKE = re.compile(r"\b(?:klingt|klingen|wirkt|wirken|scheint|scheinen)\b[^.!?]{0,45}$")
# "keine Ahnung, ob Einsteiger oder Fortgeschritten": undecided, no wish.
_UNDECIDED = re.compile(r"\bob\b[^.!?]{0,40}\boder\b")
# "Ist das eher für Einsteiger oder muss man da schon was können?", "… Näheres sagen, also ob das eher für
# Anfänger ist?", "Ist der erste für Fortgeschrittene?": a question about an offer, no wish.
_LEVEL_OR_QUESTION = re.compile(
    umlaut_regex(
        r"(?:einsteig|anf{ae}nger|fortgeschr)\w*\s+oder\s+(?:muss|m{ue}ssen|braucht|brauche|sollte)\b|"
        r"\b(?:ob|ist|sind|w{ae}re|w{ae}ren)\s+(?:das|der|die|es|er|sie|dieser|diese|dieses)\s+(?:\w+\s+){0,3}?"
        r"f{ue}r\s+(?:einsteig|anf{ae}nger|fortgeschr|neuling|profi|expert)\w*(?:\s+\w+){0,2}\s*(?:ist|sind|w{ae}re)?\s*\?"
    )
)


def _named_levels(text: str, which: int) -> list[str]:
    """Levels named outright (``which`` 1) or hinted at (2), in text order, without denied ones."""
    found: list[tuple[int, str]] = []
    for level, outright, hint in LEVEL_ANSWER_PATTERNS:
        pattern = outright if which == 1 else hint
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 24) : match.start()]
            after = text[match.start() :][:48]
            if _DENIED_BEFORE.search(before) or _DENIED_AFTER.search(after):
                continue
            if _OFFERS_SOUND_LIKE.search(text[max(0, match.start() - 60) : match.start()]):
                continue
            found.append((match.start(), level))
    return [level for _, level in sorted(found)]


# "Fortgeschritten, Grundlagen hab ich.", "die Grundlagen kenne ich schon": the basics are known (more than
# them is wished), not a topic.
KNOWS_THE_BASICS = (
    r"(?:die\s+)?(?:grundlagen|basics|grundkenntnisse)\s+(?:hab|habe|haben|hab'|kenn|kenne|kennen|kann|"
    r"k{oe}nnen)\s+(?:ich|i|wir|mer|mir)\b(?:\s+(?:schon|bereits|scho)\b)?"
    r"(?!\s+(?:noch\s+|gar\s+|so\s+)*(?:nicht|nich|ned|net|kaum|keine|wenig))"
)
# "aber nicht für Anfänger", "nichts für Einsteiger", "nix für anfänger", "Grundlagen brauche ich keine": more
# than the basics is wished.
_NOT_FOR_BEGINNERS = re.compile(
    umlaut_regex(
        r"\b(?:nicht(?:s)?|nix)\s+(?:f{ue}r\s+|als\s+)?(?:blutige\s+)?(?:anf{ae}nger|einsteiger|neulinge)|"
        # "die Grundlagenkurse können Sie sich sparen"
        r"\b(?:grundlagen|basics|einf{ue}hrungs|anf{ae}nger|einsteiger)\w*\s+(?:\w+\s+){0,4}?"
        r"(?:sparen|schenken|weglassen)\b|"
        # "nich ganz basic, kenn mich schon aus"
        r"\b(?:nicht|nich|ned|net)\s+(?:(?:ganz|so|zu|mehr)\s+)?(?:basic|basics|grundlagen)\b|"
        r"\b(?:grundlagen|basics|einf{ue}hrung\w*)\s+brauch(?:e|en)?\s+(?:ich|i|wir|mer)\s+"
        r"(?:also\s+|eigentlich\s+|wirklich\s+)?(?:nicht|keine?|ned|net|nimmer)\b|"
        r"\bkeine\s+(?:grundlagen|basics|einf{ue}hrung\w*)(?:kurse?)?\s*(?:,\s*)?(?:bitte|mehr|n{oe}tig)\b|"
        r"\b" + KNOWS_THE_BASICS
    )
)


# "Excel Grundlagen", "Aufenthaltsrecht Grundlagen, bin neu in der ABH", "Doppik-Grundlagen": a basics word
# right after a topic noun is the course the person has in mind (searched with the topic), not a wish about
# the level; "eher Grundlagen", "ein paar Grundlagen", "Bitte Grundlagen" are. Needs the original spelling:
# a topic is a capitalised word.
_BASICS_AFTER_TOPIC = re.compile(
    r"(?P<topic>\b[A-ZÄÖÜ][\wäöüß]*)(?:\s+|-)(?:Grundlagen|Grundlage|Basics|Basiswissen)\b|"
    # in lower-case keywords, a list item: "stadtkasse, vollstreckung grundlagen"
    r"(?:^|[,;:]\s*)(?P<item>[a-zäöüß][\wäöüß-]{3,})(?:\s+|-)(?:grundlagen|grundlage|basics|basiswissen)\b"
)
_NO_TOPIC = frozenset({
    "eher", "nur", "lieber", "gern", "gerne", "bitte", "erst", "erstmal", "mal", "ein", "eine", "einige",
    "paar", "die", "der", "das", "etwas", "was", "auch", "am", "so", "ganz", "reine", "ich", "wir", "i",
    "mir", "uns", "erstmals", "zuerst", "zunächst", "zunaechst", "vor", "allem", "nochmal", "noch", "einmal",
    "solide", "zur", "als", "kurze", "kleine", "kurzen", "kleinen", "erste", "ersten", "einer", "einen",
    "gute", "gründliche", "gruendliche", "ordentliche", "wirklich", "absolute", "echte",
})


# "E-Akte-Einführung", "e-akte einführung": the rollout of something (a topic), in any spelling.
_ROLLOUT_AFTER_TOPIC = re.compile(
    r"(?P<topic>\b[\wäöüß][\wäöüß-]*)(?:\s+|-)(?:Einführung|Einfuehrung)\b(?!\s+(?:in|ins|zu|zum|zur)\b)",
    re.IGNORECASE,
)


def without_topic_basics(text: str) -> str:
    """``text`` without basics words that belong to a topic ("Excel Grundlagen" -> "Excel", "e-akte
    einführung" -> "e-akte"), so that they are not read as a level wish."""

    def keep_topic(match: re.Match[str]) -> str:
        groups = match.groupdict()
        topic = groups.get("topic") or groups.get("item")
        if topic is None or topic.lower() in _NO_TOPIC:
            return match.group(0)
        return match.group(0)[: match.group(0).index(topic)] + topic

    return _ROLLOUT_AFTER_TOPIC.sub(keep_topic, _BASICS_AFTER_TOPIC.sub(keep_topic, text))


def level_in_answer(text: str, explicit_only: bool = False) -> str | None:
    """The level a (lower-case) message names, or None: a level named outright first ("für Fortgeschrittene"),
    otherwise a hint ("Grundlagen", "Aufbaukurs") unless ``explicit_only``; denied words do not count, but
    "nicht für Anfänger" asks for Fortgeschrittene."""
    named = _named_levels(text, 1)
    if (len(set(named)) > 1 and _UNDECIDED.search(text)) or _LEVEL_OR_QUESTION.search(text):
        return None
    if not named and _NOT_FOR_BEGINNERS.search(text):
        return "fortgeschritten"
    if not named and not explicit_only:
        named = _named_levels(text, 2)
    return named[0] if named else None


def no_preference(text: str) -> bool:
    """Short (lower-case) answers like "egal" or "keine Vorgabe"; longer sentences with "kein" mean something
    else."""
    return len(text.split()) <= 4 and bool(_NO_PREFERENCE.search(text))


# -- a format asked for in a chat message -----------------------------------------------------------------
# Words before a format that make it a wish in a message about a topic ("lieber online", "gern in Präsenz",
# "als Webinar"); without one, "online" or "vor Ort" there is part of the topic ("Leistungen online anbieten",
# "Kontrollen vor Ort").
_WISH_BEFORE = re.compile(
    umlaut_regex(
        r"(?:lieber|gerne?|am\s+liebsten|am\s+bes+ten|nur|bevorzugt|m{oe}glichst|ausschlie{ss}lich|als|bitte|"
        r"eher|auch|alles|ganze|dann|komplett|rein|gibt\s+es\s+das|gibb?t'?s\s+das|geht\s+das|"
        r"wenn'?s\s+geht,?|wenn\s+es\s+geht,?|wenn\s+(?:irgend\s+|irgendwie\s+)?m{oe}glich,?)"
        r"(?:\s+(?:als|in|im|per|auch|au|ooch|och|aach|awwer|aber|was|etwas|ein(?:en|e)?))*\s*$"
    )
)
_WISH_AFTER = re.compile(
    umlaut_regex(r"^[\s-]*(?:kurse?|seminare?|format|angebote?|schulung|training|veranstaltung|lernen|"
                 r"w{ae}re|w{ae}r|bitte|wenn|passt|reicht|ist\s+mir\s+lieber|lieber|,?\s*gell|"
                 # "… online stattfinden sollte", "in Präsenz stattfinden"
                 r"(?:stattfinden|stattfindet|laufen|ablaufen)\s+(?:sollte|sollten|soll|w{ue}rde|k{oe}nnte|m{ue}sste)?)")
)
# A format word that is a sentence or list item of its own ("Power BI, DAX und so. Online.", "outlook + teams,
# online, einsteiger") is a wish.
_LIST_ITEM_BEFORE = re.compile(r"(?:^|[.!?:;,]\s*)$")
_LIST_ITEM_AFTER = re.compile(r"\s*(?:[.!?,;]|$)")
_NEGATED_BEFORE = re.compile(
    umlaut_regex(r"(?:kein\w*|koa|nicht|nich|ned|net|nit|nimmer|ungern|ohne)(?:\s+\w+)?\s*$")
)
_NEGATED_AFTER = re.compile(
    umlaut_regex(
        r"^[\s,]*(?:ist|is|isch|sind|w{ae}re|geht)?\s*(?:(?:bei|f{ue}r)\s+(?:mir|mich|uns)\s+|leider\s+|eher\s+)*"
        r"(?:nix|nichts|nicht|net|ned|gar\s+nicht|schlecht)\b|"
        # "Online bringt das ja eher wenig"
        r"^\s*(?:bringt|hilft|taugt)\s+(?:\w+\s+){0,3}?(?:wenig|nichts|nix|nicht\s+viel)\b|"
        # "des online zeig vergiss glei", "Online-Kram können Sie vergessen"
        r"^[\s-]*(?:\w+\s+){0,2}?(?:vergiss|vergesst|vergessen\s+sie|k{oe}nnen\s+sie\s+vergessen)\b"
    )
)
_NO_FORMAT_PREFERENCE = re.compile(
    umlaut_regex(r"\b(?:egal|gleich|wurscht|beliebig)\b(?:(?!aber|sondern|doch)[^.!?]){0,30}"
                 r"\b(?:format|online|pr{ae}senz|vor\s+ort|ob)\b|"
                 # "online oder präsenz is mir schnuppe"
                 r"\b(?:format|online|pr{ae}senz|vor\s+ort)\b(?:(?!aber|sondern|doch)[^.!?]){0,45}"
                 r"\b(?:egal|gleich(?!\s+(?!ob\b)\w)|wurscht|wurst|schnuppe|wumpe|beliebig)\b|"
                 # the assistant's question repeated, then the answer: "Online oder vor Ort? Is mi egal"
                 r"\b(?:online|pr{ae}senz|vor\s+ort)\s+oder\s+[^.!?]{0,20}\?\s*(?:(?!aber|sondern|doch)[^.!?]){0,20}"
                 r"\b(?:egal|wurscht|wurst|schnuppe|wumpe|beliebig)\b|"
                 # "online oder präsenz is beides ok", "online oder vor ort is mir schnurz"
                 r"\b(?:online|pr{ae}senz|vor\s+ort)\s+oder\s+[^.!?]{0,20}?\b(?:beides|beide)\s+(?:\w+\s+)?"
                 r"(?:ok|okay|oke|recht|gut|fein|m{oe}glich|in\s+ordnung|drin)\b|"
                 r"\b(?:schnurz|schnurzegal|piepegal|wurschd)\b")
)
# A format that describes the offers shown, not a wish: "das ist fast alles online", "die sind ja alle in
# Präsenz" (unless a wish follows: "das wäre online besser" has its own cue).
_OBSERVED_BEFORE = re.compile(
    umlaut_regex(
        r"\b(?:das|die|es|sie|dies|alle|die\s+meisten)\s+(?:ist|sind|war|waren|is|san)\s+"
        r"(?:(?:ja|doch|fast|eh|leider|nur|alles|alle|lauter|aber|halt|fast\s+nur|ausschlie{ss}lich)\s+)*"
        r"(?:in\s+|im\s+|als\s+)?$"
    )
)
# "Angebote, die online stattfinden", "nur Kurse, die in Präsenz sind": the format of the offers asked for.
_OFFER_CLAUSE_BEFORE = re.compile(
    umlaut_regex(
        r"(?:kurs|seminar|schulung|fortbildung|weiterbildung|angebot|veranstaltung|workshop)\w*"
        r"(?:\s+zeigen)?\s*,?\s+(?:die|das|welche|der)\s+(?:\w+\s+)?(?:in\s+|im\s+|als\s+)?$"
    )
)
# A format word that describes something else is part of the topic: "hybride Besprechungen",
# "Online-Terminvergabe", "digitale Abläufe" (an inflected adjective or the first part of a compound before a
# noun that is no learning offer). "Online-Seminar", "hybride Kurse" stay wishes.
_OFFER_NOUN = re.compile(
    umlaut_regex(
        r"(?:kurs|seminar|schulung|fortbildung|weiterbildung|angebot|format|training|veranstaltung|workshop|"
        r"lehrg{ae}ng|lehrgang|variante|version|lernen|modul|unterricht|teilnahme|selbstlern|"
        r"learning|live|sache|zeug|kram)"
    )
)
_FORMAT_ADJECTIVE = re.compile(r"(?:hybrid|digital|virtuell)(?:e|en|er|es|em)")
_NEXT_WORD = re.compile(r"^(-|\s+)([\w-]+)")


def describes_other_noun(word: str, after: str) -> bool:
    """The format word is an adjective ("hybride Besprechungen") or the first part of a compound
    ("Online-Terminvergabe") of a noun that is no learning offer."""
    following = _NEXT_WORD.match(after)
    if following is None:
        return False
    joiner, noun = following.groups()
    if joiner != "-" and not _FORMAT_ADJECTIVE.fullmatch(word):
        return False
    return not _OFFER_NOUN.match(noun)


# Format words that are a wish wherever they stand in a chat message.
_UNAMBIGUOUS = {
    "praesenz": re.compile(umlaut_regex(r"pr{ae}senz\w*")),
    "blended": re.compile(FORMAT_WORDS["blended"]),
    "online": re.compile(r"webinare?|e[-\s]?learning"),
}


_OTHER_FORMAT = {"online": "praesenz", "praesenz": "online"}
# "weil sein Termin nicht online ging", "das war nicht online möglich": a fact told, no wish for the other
# format.
_STATE_AFTER = re.compile(
    umlaut_regex(
        r"\s*(?:ging|geht|gingen|gehen|funktionier\w*|klappt\w*|lief|l{ae}uft|war|waren|m{oe}glich|erreichbar|"
        r"verf{ue}gbar|buchbar|angeboten|abrufbar|beantragt|gestellt|erledigt|gemacht)\b"
    )
)
# Words that name a format and nothing else ("kein Webinar"; "keine Präsenzpflicht" is about something else).
_FORMAT_NOUN = re.compile(
    umlaut_regex(r"online|webinare?|[pb]r{ae}senz(?:kurs|schulung|seminar|veranstaltung|termin|format)?(?:e|en|s)?")
)


def format_wish(text: str, cue_needed: bool = False) -> str | None:
    """The learning format a chat message asks for, ``ANY`` for "ist mir egal", or None.

    "Blended wäre ideal, also teils online, teils vor Ort" -> blended; "Präsenz, online ist nix für mich" ->
    praesenz (a negated format does not count). With ``cue_needed`` (a message about a topic, not a
    refinement) "online" and "vor Ort" count only as a wish ("lieber online", "Online-Kurs").
    """
    low = fold(text)
    if _NO_FORMAT_PREFERENCE.search(low):
        return ANY
    found: list[tuple[int, str, bool]] = []
    negated: set[str] = set()
    for fmt, pattern in FORMAT_ANSWER_PATTERNS:
        for match in pattern.finditer(low):
            if not _word_at(low, match.start(), match.end()):
                continue
            before, after = low[max(0, match.start() - 40): match.start()], low[match.end(): match.end() + 30]
            if _NEGATED_BEFORE.search(before) or _NEGATED_AFTER.search(after):
                if (
                    _FORMAT_NOUN.fullmatch(match.group())
                    and not describes_other_noun(match.group(), after)
                    and not (_NEGATED_BEFORE.search(before) and _STATE_AFTER.match(after))
                ):
                    negated.add(fmt)
                continue
            if describes_other_noun(match.group(), after):
                continue
            if _OBSERVED_BEFORE.search(before) and not _WISH_AFTER.search(after):
                continue
            unambiguous = fmt in _UNAMBIGUOUS and _UNAMBIGUOUS[fmt].fullmatch(match.group())
            cued = bool(
                _WISH_BEFORE.search(before)
                or _OFFER_CLAUSE_BEFORE.search(before)
                or _WISH_AFTER.search(after)
                or (_LIST_ITEM_BEFORE.search(before) and _LIST_ITEM_AFTER.match(after))
            )
            if cue_needed and not unambiguous and not cued:
                continue
            if cue_needed and not _FORMAT_WORD_PATTERNS[fmt].fullmatch(match.group()):
                continue  # "Wir sollen alles digital machen": answer-only words are the topic in a message
            found.append((match.start(), fmt, cued))
    if not found:
        # "bloß kein Webinar", "ned online": the other format is wished ("kein Präsenzkurs" asks for online)
        return _OTHER_FORMAT.get(negated.pop()) if len(negated) == 1 else None
    # A format asked for in words ("nur Angebote, die online stattfinden") wins over one merely mentioned
    # ("… schwer einen Tag für eine Präsenzschulung freinehmen").
    if any(cued for _, _, cued in found):
        found = [item for item in found if item[2]]
    kinds = {fmt for _, fmt, _ in found}
    if "blended" in kinds:
        return "blended"
    return min(found)[1]


def _word_at(text: str, start: int, end: int) -> bool:
    """The match starts a word ("Onlinezugangsgesetz" and "Videokonferenz" name no format)."""
    if start > 0 and (text[start - 1].isalnum()):
        return False
    return end >= len(text) or not text[end].isalnum() or text[start:end] in ("präsenz", "praesenz")
