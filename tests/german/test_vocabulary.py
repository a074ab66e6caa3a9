"""Formats, levels and their words; cost and duration wishes; query preference phrases."""

from __future__ import annotations

import pytest

from german import quantities
from german.phrases import FILLER, PREFERENCE_PATTERNS
from german.vocabulary import (
    ANY,
    FORMATS,
    format_in_answer,
    format_value,
    format_wish,
    level_in_answer,
    level_value,
    no_preference,
    without_topic_basics,
)


@pytest.mark.parametrize(
    ("cell", "fmt"),
    [
        ("Präsenz", "praesenz"),
        ("praesenz", "praesenz"),
        ("presence", "praesenz"),
        ("Blended Learning", "blended"),
        ("Blended-Learning", "blended"),
        ("hybrid", "blended"),
        ("Hybride", "blended"),
        ("E-Learning", "online"),
        ("Fernunterricht", None),
    ],
)
def test_catalog_cells(cell, fmt):
    assert format_value(cell) == fmt


def _query_format(text: str) -> set[str]:
    formats = [(pattern, value) for pattern, _, key, value in PREFERENCE_PATTERNS if key == "format"]
    return {value for pattern, value in formats if pattern.search(text)}


@pytest.mark.parametrize("word", ["hybrid", "Hybrid", "hybride", "Hybridformat"])
def test_hybrid_is_blended_in_catalog_answer_and_query(word):
    assert format_value(word) == "blended"
    assert format_in_answer(word.lower()) == "blended"
    assert _query_format(f"Datenschutz {word}") == {"blended"}


def test_loose_format_words_count_in_answers_but_not_in_queries():
    assert format_in_answer("digital bitte") == "online"
    assert format_in_answer("gemischt") == "blended"
    assert _query_format("digitale Akte einführen") == set()
    assert _query_format("Videokonferenzen leiten") == set()


def test_every_format_has_words_in_all_three_places():
    for fmt in FORMATS:
        assert format_value(fmt) == fmt
        assert format_in_answer(fmt) == fmt


def test_levels():
    assert level_value(" Einsteiger ") == "einsteiger"
    assert level_value("Anfänger") is None  # a catalog cell must use the canonical value
    assert level_in_answer("für anfänger") == "einsteiger"
    assert level_in_answer("aufbaukurs") == "fortgeschritten"
    assert level_in_answer("für profis") == "experte"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eine einführung in excel", "einsteiger"),
        ("ein einführungsseminar", "einsteiger"),
        # The rollout of something is no level.
        ("ich leite mein erstes projekt, die einführung eines neuen fachverfahrens", None),
        ("etwas zur einführung der e-akte", None),
        # an introduction to how something is done asks for the how, not for a beginners' course
        ("ich bräuchte eine einführung, wie man schriftgut sauber ablegt", None),
    ],
)
def test_an_introduction_is_a_level_a_rollout_is_not(text, expected):
    assert level_in_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gibt es auffrischungskurse für leute, die schon länger dabei sind? grundlagen brauche ich nicht.",
         "fortgeschritten"),
        ("etwas vertiefendes zum aufenthaltsrecht. grundlagen brauche ich keine.", "fortgeschritten"),
        ("keine grundlagen bitte", "fortgeschritten"),
        ("bitte nix für anfänger, wir sind da schon drin", "fortgeschritten"),
        ("nichts für einsteiger bitte", "fortgeschritten"),
        ("ich brauche die grundlagen im personenstandsrecht", "einsteiger"),
    ],
)
def test_basics_not_needed_asks_for_more_than_the_basics(text, expected):
    assert level_in_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("egal", True), ("weiß nicht", True), ("weiss nicht", True), ("keine vorgabe", True),
     ("ich möchte keinen kurs am wochenende bitte", False)],
)
def test_no_preference(text, expected):
    assert no_preference(text) is expected


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("höchstens zwei stunden", 2.0),
        ("einen halben tag", 4.0),
        ("maximal drei tage", 24.0),
        ("eine woche", 40.0),
        ("90 minuten", 1.5),
        ("1,5 stunden", 1.5),
        ("ein tagesseminar", 8.0),
        ("bald", None),
    ],
)
def test_duration_hours(text, hours):
    assert quantities.duration_hours(text) == hours


@pytest.mark.parametrize(
    ("text", "eur"),
    [
        ("unter 200 euro", 200.0),
        ("bis 1.200 euro", 1200.0),
        ("höchstens 2 tsd. euro", 2000.0),
        ("zweihundert euro", 200.0),
        ("höchstens hundert euro", 100.0),
        ("so mittel", None),
    ],
)
def test_amounts(text, eur):
    assert quantities.amount_eur(text) == eur


def test_free_cheaper_shorter():
    assert quantities.is_free("es darf nichts kosten") and quantities.is_free("0 euro")
    assert not quantities.is_free("100 euro")
    assert quantities.asks_cheaper("was günstigeres") and quantities.asks_cheaper("guenstiger")
    assert quantities.asks_shorter("was kürzeres") and quantities.asks_shorter("kuerzer")


def test_filler_words_leave_no_topic():
    assert FILLER.sub(" ", "Ich suche einen Kurs").strip() == ""
    assert FILLER.sub(" ", "Ich suche einen Kurs zu Excel").split() == ["zu", "Excel"]


@pytest.mark.parametrize(
    ("text", "cue_needed", "fmt"),
    [
        ("Blended wäre ideal, also teils online, teils vor Ort.", False, "blended"),
        ("Am liebsten eine Mischung aus online und Präsenz.", False, "blended"),
        ("Präsenz, online ist nix für mich.", False, "praesenz"),
        ("Kein Präsenzkurs bitte, nur online", False, "online"),
        ("lieber online, wenn's geht", False, "online"),
        ("Am besten vor Ort, meine Leute sitzen ungern vorm Bildschirm.", False, "praesenz"),
        ("Hm, ist mir egal ob online oder nicht.", False, ANY),
        ("Online oder vor Ort? Is mi egal, mook man.", False, ANY),  # the question repeated, then the answer
        ("Online oder Präsenz? Lieber online.", False, "online"),
        ("weiß nicht, online oder präsenz is beides ok. aber bitte nix was mehrere tage geht", False, ANY),
        ("online oder vor ort is mir eigentlich schnurz", False, ANY),
        ("Präsenz geht bei mir nicht", False, "online"),
        ("nu, aber bidde nich online, mir sin den ganzn tach draußn, des klappt nich", False, "praesenz"),
        # a fact told with a negated format asks for no other format
        ("Die Leute werden ungeduldig, weil ihr Termin nicht online ging", True, None),
        ("Das Format ist mir gleich, Hauptsache praxisnah.", False, ANY),
        # inside a message about a topic only a format with a wish cue counts
        ("Unser Bürgeramt soll deutlich mehr Leistungen online anbieten", True, None),
        ("Wir machen viele Kontrollen vor Ort", True, None),
        ("Welche Kurse gibt es zum Onlinezugangsgesetz?", True, None),
        ("Wie leite ich gute Videokonferenzen?", True, None),
        ("Ich brauche Excel, am liebsten online", True, "online"),
        ("Excel als Webinar", True, "online"),
        ("Datenschutz in Präsenz", True, "praesenz"),
        # answer-only words ("digital", "Video") are the topic in a message, even after "alles"
        ("Wir sollen bald alles digital machen und ich komme nicht mit", True, None),
        ("Das Ganze dann aber online, gell", True, "online"),
        ("lieber digital", False, "online"),
        # a format word describing something that is no course is the topic
        ("Ich organisiere hybride Besprechungen, halb im Raum, halb in Teams.", False, None),
        ("Wir stellen gerade auf Online-Terminvergabe um", False, None),
        ("gerne hybride Kurse", True, "blended"),
        ("Online-Seminar zu Excel bitte", True, "online"),
        # the format the person asks for wins over one merely mentioned or seen in the offers
        (
            "Wäre es möglich, dass Sie mir nur Angebote zeigen, die online stattfinden? Ich kann nur schwer "
            "einen ganzen Tag für eine Präsenzschulung außer Haus sein.",
            True,
            "online",
        ),
        ("hmm das ist fast alles online. Gibts das auch in Präsenz?", True, "praesenz"),
        ("hmm das ist fast alles online. Gibts das auch in Präsenz?", False, "praesenz"),
        ("Die sind ja alle in Präsenz, lieber online", False, "online"),
        ("owa bittschee ned online, des bringt nix. I mog des in echt üben", False, "praesenz"),
        # a format refused asks for the other one; a wish about something else does not
        ("Bitte bloß kein Webinar, das bringt mir bei so einem Thema gar nichts.", True, "praesenz"),
        ("Wir wollen keine Präsenzpflicht mehr im Bürgerbüro", True, None),
        ("des Niveau isch mir wurscht, aber lieber in Präsenz", True, "praesenz"),
        ("gibbts das ooch in Bräsenz? is mir ehrlisch lieber", True, "praesenz"),
        ("Ob online oder vor Ort ist mir ehrlich gesagt ziemlich egal.", True, ANY),
        ("Die Kontrollen vor Ort sind mir gleich wichtig wie das Büro.", True, None),
    ],
)
def test_format_asked_for_in_a_chat_message(text, cue_needed, fmt):
    assert format_wish(text, cue_needed=cue_needed) == fmt


@pytest.mark.parametrize(
    ("text", "cue_needed", "said"),
    [
        ("Max. 400 Euro, mehr gibt unser Fortbildungsbudget nicht her.", True, "max. 400 euro"),
        ("Budget max 300 Euro", True, "budget max 300 euro"),
        ("Kostenlos wäre gut, unser Budget ist aufgebraucht.", True, "kostenlos"),
        ("und kostenlos wenns geht", True, "kostenlos"),
        ("Isch des au koschtelos?", True, "koschtelos"),
        ("Isch des kostelos?", True, "kostelos"),  # a typo of "kostenlos"
        ("Wir bieten kostenlose Beratung für Bürger an", True, None),
        ("Wir bieten kostenlose Beratung für Bürger an", False, "kostenlose"),
        ("Unser Budget für dieses Jahr ist aufgebraucht", True, None),
        ("Des derf aber net meh als 300 Euro koschta", False, "net meh als 300 euro"),
        ("Aber net z'teuer gell, so 300 Euro höchstens.", True, "300 euro höchstens"),
        # the euro sign at the end of a message, and the limit said the other way round
        ("bitte nur sachen bis max. 100 €", True, "bis max. 100 €"),
        ("und nicht mehr als 250 € pro Kurs", True, "nicht mehr als 250 €"),
        ("und nich mehr als 150 euro pro nase", True, "nich mehr als 150 euro"),
        ("mehr als 200 Euro pro Kurs wird man mir vermutlich nicht genehmigen.", True, "höchstens 200 euro"),
        ("Der Kurs kostet mehr als 200 Euro, das ist okay.", True, None),
        ("was koschted des? mehr wie hundert Euro zahlt mei Chef net", True, "höchstens hundert euro"),
        ("bitte nix über 300 €", True, "nix über 300 €"),  # set 12 (CG-003)
        ("… die 300 Euro pro Teilnehmenden nicht überschreiten", True,
         "300 euro pro teilnehmenden nicht überschreiten"),
    ],
)
def test_cost_limit_asked_for_in_a_chat_message(text, cue_needed, said):
    assert quantities.cost_wish(text, cue_needed=cue_needed) == said
    if said:
        assert quantities.is_free(said) or quantities.amount_eur(said) is not None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("nicht mehr als 20 Stunden insgesamt und online", "nicht mehr als 20 stunden"),
        ("Höchstens drei Stunden, mehr Zeit hab ich nicht", "höchstens drei stunden"),
        ("Wir sind seit zwei Tagen dran", None),
        # the limit said the other way round
        ("Mehr als 8 Stunden kann ich dafür nicht freimachen.", "höchstens 8 stunden"),
        ("Ich habe mehr als 10 Jahre Erfahrung", None),
        ("aber länger ois drei stund hob i ned zeit", "höchstens drei stund"),
        ("aber bitte nix was länger als 4 std geht", "höchstens 4 std"),
        ("Kurse mit mehr als 8 Stunden sind mir recht", None),
        # dialect unit, a range, a limit word after the unit
        ("Oba ned z'lang bittschön, höchstens vier Stund, mia ham koa Zeit ned.", "höchstens vier stund"),
        ("am besten was kurzes, so 2-3 stunden max", "2-3 stunden"),
        ("ich arbeite seit 2 bis 3 Jahren hier", None),
        # set 12 (CG-011): Swabian "Stond" was "Die Angabe „länger als“ habe ich nicht verstanden"
        ("aber bitte nix was länger als 4 Stond goht", "höchstens 4 stond"),
        # set 12 (CC-006)
        ("… und nicht länger als einen Arbeitstag, also etwa acht Stunden, dauern",
         "nicht länger als einen arbeitstag"),
    ],
)
def test_duration_limit_asked_for_in_a_chat_message(text, said):
    assert quantities.duration_wish(text) == said
    if said:
        assert quantities.duration_hours(said) is not None


@pytest.mark.parametrize(("said", "hours"), [("höchstens vier stund", 4.0), ("2-3 stunden", 3.0)])
def test_a_range_or_a_dialect_unit_limits_to_its_upper_end(said, hours):
    assert quantities.duration_hours(said) == hours


def test_level_stems_count_at_the_start_of_a_word_only():
    from german.vocabulary import level_in_answer

    assert level_in_answer("und vielleicht noch was dazu") is None  # "vielleicht" is no "leicht"
    assert level_in_answer("eher was leichtes") == "einsteiger"
    assert level_in_answer("für afänger bitte") == "einsteiger"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # A level named outright wins over a hint; what the person already has is no wish.
        ("nur angebote für fortgeschrittene, die grundlagen haben wir.", "fortgeschritten"),
        ("grundlagen kenne ich schon, eher vertiefung", "fortgeschritten"),
        ("ich bin kein anfänger mehr", None),
        ("nichts für einsteiger bitte", "fortgeschritten"),  # more than the basics
        ("bsi it-grundschutz, aber nicht für anfänger", "fortgeschritten"),
        ("ich habe bisher keinerlei vorkenntnisse", "einsteiger"),
        # Topic words that only look like levels.
        ("wissen auffrischen, vor allem anhörung, ermessen und den aufbau von bescheiden", None),
        ("einstellungsgespräche führen", None),
        ("anforderungsprofil schreiben", None),
        ("leichte sprache", None),
        ("expertise im vergaberecht", None),
        ("gibt's do ebbes für afänger?", "einsteiger"),
        ("einsteiger, ich fang grad an", "einsteiger"),
        ("ein grundlagenkurs excel", "einsteiger"),
        ("irgendwas mit computer, word und excel kann ich kaum, also ganz von vorne", "einsteiger"),
        ("ich fange bei null an", "einsteiger"),
        ("jahresabschluss doppik, für erfahrene prüfer", "fortgeschritten"),
        ("kann ich mehr über kurs 4 erfahren?", None),
        ("am besten ganz basic", "einsteiger"),
        # what the offers seem to be, and an undecided answer, are no wish
        ("die ersten beiden klingen eher nach auffrischung für erfahrene kolleginnen.", None),
        ("keine ahnung ob einsteiger oder fortgeschritten, ich kenn mich technisch aus", None),
        ("und is das dann eher für einsteiger oder muss man da schon was können?", None),
        ("könnten sie mir zum excel-kurs noch näheres sagen, also ob das eher für anfänger ist?", None),
        ("ist der erste für fortgeschrittene?", None),
        ("gibt es das für anfänger?", "einsteiger"),
        # a level one cannot follow asks for the one below
        ("was von grund auf, null vorwissen, bei fortgeschrittenenkursen steig ich aus", "einsteiger"),
        ("des isch mir alles z'arg für profis. hend se au ebbes für afänger?", "einsteiger"),
        ("gibt es das auch eine stufe höher? die grundlagen haben wir eigentlich drauf.", "fortgeschritten"),
        ("ruhig für neueinsteiger, i hab sowas no nie gmacht.", "einsteiger"),
        ("seit acht jahren in der vergabestelle, grundlagen brauche ich also nicht.", "fortgeschritten"),
        # dialect
        ("gibts des a fia anfanga? mia ham do no gor nix gmacht", "einsteiger"),
        ("gibts des au für oin wo koi ahnung hat? also ganz vo vorne", "einsteiger"),
        # a doubt whether one is a beginner is no wish
        ("weiß nicht so recht, ob ich da anfänger bin. e-akte hab ich noch nie gemacht.", None),
        # set 12 (CB-011): "nich ganz basic" was read as Einsteiger
        ("nur online. und nich ganz basic, kenn mich schon aus", "fortgeschritten"),
        # set 13 (DH-010): the basics waved away
        ("bin seit 15 jahren führungskraft, die grundlagenkurse können sie sich sparen.", "fortgeschritten"),
        ("sparen sie sich das, ich will grundlagen", "einsteiger"),
        # set 12 (CA-011, CE-001, CG-006): dialect and own words
        ("beim excel kenn i mi eigentlich scho aus, also lieber was für fortgschrittene", "fortgeschritten"),
        ("hab null plan von formeln", "einsteiger"),  # a hint: in a long message about a topic no wish
        ("des is mir no z'hoch, i bin do ganz frisch dabei", "einsteiger"),
        # set 12 (CC-011): starting over with another matter is no wish for the basics
        ("darf ich noch einmal ganz von vorn beginnen, mit einem völlig anderen anliegen?", None),
        ("ich kenne mich damit nicht aus", None),
        # set 14 (EF-005): basics already known
        ("fortgeschritten, grundlagen hab ich.", "fortgeschritten"),
        ("die grundlagen kenne ich schon", "fortgeschritten"),
        ("die grundlagen hab ich noch nicht drauf", None),
    ],
)
def test_level_read_in_its_sentence(text, level):
    assert level_in_answer(text) == level


def test_hints_need_a_short_answer_or_a_refinement():
    # In a longer message "Grundlagen" is usually the topic ("Grundlagen der Doppik"), "Anfänger" never is.
    assert level_in_answer("ich suche was zu den grundlagen der doppik", explicit_only=True) is None
    assert level_in_answer("ich suche was zur doppik für anfänger", explicit_only=True) == "einsteiger"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ich suche ein kurs für datenschuz am arbeitsplatz für neue leute, am bessten onlin", "online"),
        ("Power BI für Fortgeschrittene, DAX und so. Online.", "online"),
        ("outlook + teams, online, einsteiger", "online"),
        ("Wir wollen Leistungen online anbieten", None),
        ("Excel online", None),
        ("wenns geht onlien, ich kann hier nich weg", "online"),
        ("Aufenthaltsrecht. Wenn es geht online, wir haben kaum Personal für Dienstreisen", "online"),
        ("Online bringt das ja eher wenig bei so einem Thema, oder? Dann lieber Präsenz.", "praesenz"),
        # set 12 (CA-001): a format waved away is no wish for it
        ("des online zeig vergiss glei, des bringt bei uns nix. nur wo ma hinfahrt", "praesenz"),
        ("Bitte nur Online-Sachen, ich kann hier nicht tagelang weg.", "online"),  # set 12 (CF-003)
        ("online oder präsenz is mir schnuppe", ANY),  # set 13 (DE-006): was read as online
        ("… wobei es, da wir auf drei Standorte verteilt sind, wenn irgend möglich online stattfinden soll.",
         "online"),
    ],
)
def test_a_format_said_on_its_own_or_misspelt_is_a_wish(text, expected):
    assert format_wish(text, cue_needed=True) == expected



@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Excel Grundlagen", "Excel"),
        ("e-akte einführung, ersetzendes scannen", "e-akte, ersetzendes scannen"),
        ("Eine Einführung in Excel", "Eine Einführung in Excel"),
        ("Doppik-Grundlagen bitte", "Doppik bitte"),
        ("Aufenthaltsrecht Grundlagen, bin neu", "Aufenthaltsrecht, bin neu"),
        # lower-case keywords: a list item
        ("stadtkasse, vollstreckung grundlagen, deeskalation", "stadtkasse, vollstreckung, deeskalation"),
        ("eher grundlagen bitte", "eher grundlagen bitte"),
        # Words before the basics that are no topic: the basics stay a level hint.
        ("Eher Grundlagen", "Eher Grundlagen"),
        ("ein paar Grundlagen in Gebärdensprache", "ein paar Grundlagen in Gebärdensprache"),
        ("Bitte Grundlagen", "Bitte Grundlagen"),
        ("ich brauche Grundlagen", "ich brauche Grundlagen"),
    ],
)
def test_basics_right_after_a_topic_noun_belong_to_the_topic(text, expected):
    assert without_topic_basics(text) == expected
