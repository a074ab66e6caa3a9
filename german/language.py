"""Is a message written in German? A small, explainable guess for the "I only speak German" answer.

Two signals, both cheap and without a model:

1. Script: if most letters are not Latin (Cyrillic, Arabic, Greek, Hebrew, CJK ...), the text is not German.
2. Function words: in Latin script, a text with at least ``MIN_FOREIGN_WORDS`` frequent words of one other
   language (English, Turkish, French, Spanish, Italian, Polish, Dutch) and not a single German one is
   taken as that language; words frequent in both ("am", "in", "was") count for neither. German sentences
   full of English terms ("Ich brauche ein Training für Microsoft Teams") keep their German function words;
   short or unclear messages ("Hello", "Excel online") are left to the NLU.

The word lists are deliberately small: they only need the most frequent words, which every sentence has.
"""

from __future__ import annotations

import re
import unicodedata

MIN_FOREIGN_WORDS = 2
MIN_LETTERS = 2

# Frequent German words, also without umlauts as typed in a chat ("fuer", "moechte").
GERMAN_WORDS = frozenset(
    """
    aber alle als also am an auch auf aus bei beim bin bis bitte brauche da dann das dass dem den der des die
    dir doch du ein eine einem einen einer es fuer für gibt gut guten haben hallo hat habe hier ich ihr ihre
    im in ist ja kann kein keine können koennen man mehr mein meine mich mir mit möchte moechte nach nein
    nicht noch nur oder schon sehr sie sind so suche tag über ueber um und uns unser unsere vom von vor was
    weil welche wenn wer wie wir wo zu zum zur danke tschüss tschuess moin servus grüß gruess
    gibts nix ham hob mia ned isch wos fia scho ois koi ebbes nich gmacht griaß griass
    """.split()
)

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """
        the a an and or is are am was were be been do does did you your i me my we our they what which who
        how can could would should will please for with to of on at about from this that these those there
        here it its have has had not yes need want find looking course courses any some offer offers speak
        english if
        """.split()
    ),
    "tr": frozenset(
        """
        merhaba selam bir ve bu şu ne için ile mi mı mu mü ben sen biz siz var yok nasıl hangi çok evet
        hayır teşekkürler teşekkür lütfen istiyorum arıyorum musunuz misiniz kurs kursu kursları türkçe
        """.split()
    ),
    "fr": frozenset(
        """
        le la les un une des et ou est sont je tu vous nous il elle ce cette pour avec dans sur de du qui
        que quel quels quelle bonjour merci cours parlez français oui non
        """.split()
    ),
    "es": frozenset(
        """
        el la los las un una unos y o es son yo tú usted nosotros para con en por de del que qué cuál
        cuáles hola gracias cursos habla español sí no
        """.split()
    ),
    "it": frozenset(
        """
        il lo la gli le un una e o è sono io tu lei noi per con in su di del che quale quali buongiorno
        ciao grazie corsi parla italiano sì no
        """.split()
    ),
    "pl": frozenset(
        """
        i w z na do się nie jest są ja ty pan pani my jak jakie jaki co czy dla dzień dobry dziękuję proszę
        kursy kurs mówi pan po polsku tak
        """.split()
    ),
    "nl": frozenset(
        """
        de het een en of is zijn ik jij u wij voor met op van wat welke hoe hallo dank bedankt cursus
        cursussen spreekt nederlands ja nee
        """.split()
    ),
}
# Words frequent in German and in another language ("am", "in", "was", "es", "du", "ja" ...) count for none.
AMBIGUOUS_WORDS = GERMAN_WORDS & frozenset().union(*FUNCTION_WORDS.values())
GERMAN_ONLY = GERMAN_WORDS - AMBIGUOUS_WORDS
FOREIGN_WORDS = {lang: words - AMBIGUOUS_WORDS for lang, words in FUNCTION_WORDS.items()}

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def foreign_language(text: str) -> str | None:
    """What ``text`` is written in if it is clearly not German, else ``None``.

    The answer is a language code for Latin script (``"en"``, ``"tr"`` ...) or the script's name
    (``"cyrillic"``, ``"arabic"`` ...).
    """
    letters = [char for char in text if char.isalpha()]
    if len(letters) < MIN_LETTERS:
        return None
    scripts = [_script_of(char) for char in letters]
    non_latin = [script for script in scripts if script != "LATIN"]
    if len(non_latin) * 2 > len(letters):  # e.g. "cyrillic", "arabic", "cjk": the script names the guess
        return max(sorted(set(non_latin)), key=non_latin.count).lower() or "unknown"
    words = WORD.findall(text.lower())
    if any(word in GERMAN_ONLY for word in words):
        return None
    hits = {lang: sum(word in vocabulary for word in words) for lang, vocabulary in FOREIGN_WORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] >= MIN_FOREIGN_WORDS else None
