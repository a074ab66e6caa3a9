"""The needs a message states, in the person's words (bot/actions/needs.py): plain text in, needs out."""

from __future__ import annotations

import pytest

from bot.actions.needs import is_description, merged, needs_in_message, stated_role

NAMED = [
    ("Excel und Datenschutz", ["Excel", "Datenschutz"]),
    # "Zwei Sachen:" announces the needs and is none ("Zu Zwei habe ich leider kein passendes Angebot")
    ("Zwei Sachen: Excel und Datenschutz", ["Excel", "Datenschutz"]),
    (
        "IT-Sicherheit + Phishing-Awareness, Schulungen für die Kollegen",
        ["IT-Sicherheit", "Phishing-Awareness"],
    ),
    (
        "Kosten- und Leistungsrechnung sowie Umsatzsteuer nach § 2b UStG – gibt es dazu Kurse?",
        ["Kosten- und Leistungsrechnung", "Umsatzsteuer nach § 2b UStG"],
    ),
    ("TVöD Eingruppierung", ["TVöD Eingruppierung"]),
    (
        "Guten Tag, ich bin Sachbearbeiter in der Ausländerbehörde. "
        "Gibt es Schulungen zu den Neuerungen beim "
        "Fachkräfteeinwanderungsgesetz?",
        ["Neuerungen beim Fachkräfteeinwanderungsgesetz"],
    ),
    (
        "Mich interessieren Fortbildungen zum Gewerberecht und zum Gaststättenrecht.",
        ["Gewerberecht", "Gaststättenrecht"],
    ),
    (
        "Da bräuchte ich etwas zu interkultureller Kompetenz "
        "und vielleicht auch zum internationalen Familienrecht.",
        ["interkultureller Kompetenz", "internationalen Familienrecht"],
    ),
    (
        "Keine Ahnung ehrlich gesagt... vielleicht was mit Outlook und Word, damit ich schneller bin?",
        ["Outlook", "Word"],
    ),
    ("Ich arbeite im Standesamt und brauche Hilfe bei Exel", ["Exel"]),
    ("Hallo, ich bin Hausmeisterin und möchte was zu Arbeitssicherheit", ["Arbeitssicherheit"]),
    (
        "Und was zu Auskunftsanträgen nach Art. 15 DSGVO, die kommen bei uns im Sozialamt auch immer öfter.",
        ["Auskunftsanträgen nach Art. 15 DSGVO"],
    ),
    (
        "Registermodernisierung und XÖV-Standards (XMeld), was gibt es da?",
        ["Registermodernisierung", "XÖV-Standards (XMeld)"],
    ),
    (
        "rechnungsprüfungsamt, suche was zu jahresabschluss doppik, für erfahrene prüfer",
        ["jahresabschluss doppik"],
    ),
    ("Lieber was ganz anderes: Vergaberecht", ["Vergaberecht"]),
    ("Brauch was gegen Stress", ["Stress"]),
    ("Ach und Zeitmanagement wär auch noch gut, ich bin immer total hinterher.", ["Zeitmanagement"]),
    # Topic words opening a sentence that goes on telling about them: the topics, without the story.
    ("Kanban und Lean, wir stellen gerade unser Team im Bauamt um", ["Kanban", "Lean"]),
    ("Power BI, ich soll ab nächstem Monat die Berichte für die Amtsleitung bauen", ["Power BI"]),
]


@pytest.mark.parametrize(("text", "needs"), NAMED)
def test_named_topics_one_need_each(text, needs):
    assert needs_in_message(text) == needs


TOLD = [
    # the role statement, the greeting and the closing question are no part of the need
    (
        "Guten Tag, ich arbeite im Einwohnermeldeamt am Schalter. "
        "In letzter Zeit werden die Leute bei uns immer "
        "öfter laut, wenn sie lange warten müssen. Gibt es dafür Fortbildungen?",
        ["In letzter Zeit werden die Leute bei uns immer öfter laut, wenn sie lange warten müssen"],
    ),
    (
        "Ich bin im Jugendamt und die Eltern sind oft aggressiv am Telefon",
        ["die Eltern sind oft aggressiv am Telefon"],
    ),
    (
        "Mir tut seit Monaten der Rücken weh vom ganzen Sitzen am Bildschirm, gibt's da bei euch auch was? "
        "Bin im Bauamt, Sachbearbeiter.",
        ["Mir tut seit Monaten der Rücken weh vom ganzen Sitzen am Bildschirm"],
    ),
    (
        "ich krieg die karten in qgis nicht hin, die layer liegen immer verschoben übereinander",
        ["ich krieg die karten in qgis nicht hin, die layer liegen immer verschoben übereinander"],
    ),
    # "außerdem" starts a need of its own
    (
        "Ich bin in der Pressestelle und wir wollen unsere Social-Media-Kanäle professioneller aufstellen. "
        "Außerdem fehlt uns ein Plan, wie wir im Krisenfall kommunizieren.",
        [
            "wir wollen unsere Social-Media-Kanäle professioneller aufstellen",
            "fehlt uns ein Plan, wie wir im Krisenfall kommunizieren",
        ],
    ),
]


@pytest.mark.parametrize(("text", "needs"), TOLD)
def test_told_problems_are_needs_in_the_persons_words(text, needs):
    assert needs_in_message(text) == needs


def test_a_long_description_keeps_every_subject_it_names():
    # set 13 (DC-002): cut off after 240 characters, E-Rechnung and Excel were never searched
    text = (
        "Hallo zusammen, als Teamleiterin in unserer Stadtkasse habe ich zum ersten Oktober zwei neue "
        "Kolleginnen bekommen, die beide aus der Privatwirtschaft kommen und sich deshalb sowohl in die "
        "kommunale Doppik einarbeiten müssen als auch, weil wir ab dem kommenden Jahr den Rechnungseingang "
        "vollständig auf E-Rechnung umstellen, in dieses Thema, und wenn es dann noch etwas gäbe, womit sie "
        "ihre eher rudimentären Excel-Kenntnisse auffrischen könnten, wäre ich wirklich dankbar."
    )
    needs = needs_in_message(text)
    subjects = ("Doppik", "E-Rechnung", "Excel")
    first_with = [next(i for i, need in enumerate(needs) if word in need) for word in subjects]
    assert first_with == [0, 1, 2]
    assert all(len(need) <= 240 for need in needs)
    # a description that fits is one need, as before
    assert len(needs_in_message("Die Leute werden bei uns am Schalter immer öfter laut, und ich weiß nicht, "
                                "wie ich dann reagieren soll.")) == 1


def test_gleichzeitig_opens_a_further_need():
    # set 13 (DH-005): one description of both, searched as one, found only the Klimaschutz course
    text = (
        "Ich bin seit zwei Monaten Klimaschutzmanagerin und soll das Klimaschutzkonzept fortschreiben. "
        "Gleichzeitig soll ich die Bürger mitnehmen, Social Media, Veranstaltungen usw. – da hab ich null "
        "Erfahrung."
    )
    needs = needs_in_message(text)
    assert len(needs) == 2 and "Klimaschutzkonzept" in needs[0] and "Social Media" in needs[1]


def test_a_description_next_to_named_topics_is_their_context():
    text = (
        "Was darf eigentlich alles in eine Personalakte und wer darf reinschauen? "
        "Ich bin neu im Personalamt und "
        "suche eine Schulung zum Beschäftigtendatenschutz."
    )
    assert needs_in_message(text) == ["Beschäftigtendatenschutz"]


@pytest.mark.parametrize(
    "text",
    [
        "Hallo, ich möchte mich gerne fortbilden.",
        "will mich weiterbilden",
        "Ich suche eine Weiterbildung",
        "Guten Morgen, ich bin Standesbeamtin in einer mittelgroßen Stadt.",
        "Ich bin im Jugendamt und suche eine Weiterbildung",
        "Ich arbeite im Bürgeramt. Was gibt es da?",
        "Hi, ich bin Azubi im Bürgerbüro (2. Lehrjahr) und soll mir eine Fortbildung aussuchen, "
        "hab aber keine "
        "Ahnung welche.",
        "Ich bin Hausmeister an einer Grundschule, hab gehört, hier gibt's Fortbildungen.",
        "Wir sind zu viert",
        "Max. 400 Euro, mehr gibt unser Fortbildungsbudget nicht her.",
        # A wish for "some course" with nothing to search for: the assistant asks for the topic.
        "Hallo, ich hätte gern ein paar Kursvorschläge.",
        "Ich brauch irgendeine Fortbildung, mein Chef sagt, ich muss dieses Jahr was machen.",
        "Meine Chefin meint, ich soll mal eine Schulung besuchen.",
        "Keine Ahnung, irgendwas, was mir im Job hilft.",
        # Who asked for it is no topic ("Mitarbeitergespräch" is where it was said).
        "Hallo, ich brauche eine Fortbildung, hat mein Chef im Mitarbeitergespräch gesagt.",
        # A format in a hyphenated word is a wish (set 14 EG-003 searched "Online-Formate" as a topic).
        "Also bitte nur Online-Formate.",
        "Gern als Präsenz-Format",
        # How long someone has been there is no topic.
        "Bürgeramt Sachbearbeitung seit 2 Wochen neu",
        # The errand and the frame without a subject (set 14 EG-007 searched "Team melden").
        "Guten Tag, ich leite das Steueramt einer Mittelstadt und soll bis Ende des Monats Fortbildungen für "
        "mein Team melden. Rahmen: höchstens 250 € pro Person und nicht mehr als ein halber Tag (4 Stunden).",
        "Ich soll für mein Team Fortbildungen raussuchen",
    ],
)
def test_no_need_when_nothing_is_said_to_search_for(text):
    assert needs_in_message(text) == []


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("ich soll Excel lernen, sagt meine Chefin", "Excel"),
        ("Ich soll was zu Konfliktmanagement machen, hat meine Teamleiterin gemeint", "Konfliktmanagement"),
        ("Mitarbeitergespräche führen lernen, das will meine Chefin", "Mitarbeitergespräche führen"),
    ],
)
def test_who_asked_for_it_is_no_part_of_the_need(text, need):
    assert needs_in_message(text) == [need]


def test_a_sentence_in_the_past_tense_is_told_not_a_list_of_topics():
    # "Letzte Woche wurde ein Kollege sogar geschubst" is no topic list that would make the first sentence
    # mere context of it: both sentences tell the problem.
    text = (
        "Bei uns im Ordnungsamt-Außendienst werden die Leute immer aggressiver, wenn wir Knöllchen "
        "verteilen. Letzte Woche wurde ein Kollege sogar geschubst. Was können wir da lernen?"
    )
    [need] = needs_in_message(text)
    assert "aggressiver" in need and "geschubst" in need


def test_every_item_of_a_numbered_list_is_a_need():
    text = (
        "Für mein Team im Bürgerbüro suche ich: 1) Outlook-Kalender richtig nutzen, "
        "2) Umgang mit schwierigen Kunden, 3) Datenschutz am Schalter."
    )
    needs = needs_in_message(text)
    assert len(needs) == 3
    assert "Outlook" in needs[0] and "Kunden" in needs[1] and "Datenschutz" in needs[2]
    # A single "2." is no list.
    assert needs_in_message("Ich bin im 2. Lehrjahr und brauche was zu Excel") == ["Excel"]


def test_what_the_person_sets_aside_is_no_need():
    text = (
        "Moin, Jobcenter, Eingangszone. Hier wird's manchmal echt ungemütlich, letzte Woche hat einer "
        "nen Stuhl geschmissen. Unsere Software nervt auch, aber das is ne andere Baustelle."
    )
    [need] = needs_in_message(text)  # "Eingangszone" is where the person works
    assert "ungemütlich" in need and "Software" not in need


def test_an_interjection_is_no_topic():
    assert needs_in_message("Schade. Und was zu Einfacher Sprache? Das würde ja auch helfen.") == [
        "Einfacher Sprache"
    ]


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        # thanks, a greeting and how the person goes on after the offers are no need
        ("Gut, dann schau ich mir das in Ruhe an und bespreche es mit dem Personalamt.", []),
        ("Vielen Dank für Ihre Mühe.", []),
        ("moinsen, ich brauch was zu KI und ChatGPT", ["KI", "ChatGPT"]),
        ("Ich brauche was zu Excel, das schaue ich mir dann an", ["Excel"]),
        ("Ich brauche was für die Zeit nach der Elternzeit", ["Zeit nach der Elternzeit"]),
    ],
)
def test_what_is_no_request_is_no_need(text, needs):
    assert needs_in_message(text) == needs


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("ned online, des bringt nix", []),  # was the need "bringt"
        ("bitte nicht online, das bringt mir nichts", []),
        ("Excel-Kurse, aber online bringt mir eh nichts", ["Excel-Kurse"]),
        ("Was bringt mir ein Kurs zu Resilienz?", ["Resilienz"]),
    ],
)
def test_a_verdict_on_a_format_is_no_need(text, needs):
    assert needs_in_message(text) == needs


def test_a_cost_wish_without_a_number_is_no_need():
    text = "Grüß Gott, i schaff im Standesamt und bräucht ebbes zum Personenstandsrecht. Aber net z'teuer."
    assert needs_in_message(text) == ["Personenstandsrecht"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        # "bin in Excel …" rates a skill, it names no unit
        (
            "ich bin in excel echt ne niete, brauch was ganz einfaches für anfänger. "
            "sverweis versteh ich null",
            "excel",
        ),
        ("Ich bin bei Outlook total überfordert", "Outlook"),
        # after a real role, the rating is the need, not part of the role
        ("ich bin im Bürgeramt nicht so fit mit Excel", "Excel"),
        ("Ich bin im Bürgeramt und nicht so fit mit Excel", "Excel"),
    ],
)
def test_a_person_rating_their_skill_states_a_need(text, word):
    [need] = needs_in_message(text)
    assert word in need


def test_a_list_of_topics_before_a_question_gives_each_topic():
    text = "Radverkehr, Mobilitätskonzepte, Verkehrswende – was gibt's da für uns in der Stadtplanung?"
    assert needs_in_message(text) == ["Radverkehr", "Mobilitätskonzepte", "Verkehrswende"]


def test_no_money_is_a_cost_wish_not_a_need():
    text = (
        "Ich bin dual Studierende (Public Management) und will mich neben dem Studium in Power BI und "
        "Datenanalyse fitter machen. Aber es müsste kostenlos sein, Geld hab ich keins 😄"
    )
    assert needs_in_message(text) == ["Power BI", "Datenanalyse"]


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("ich will mich in Excel fit machen", ["Excel"]),
        ("Ich möchte mich in das Thema Vergabe einarbeiten", ["Vergabe"]),
        ("ich muss mich mit der E-Akte besser auskennen", ["E-Akte"]),
    ],
)
def test_the_topic_a_person_wants_to_get_better_at(text, needs):
    assert needs_in_message(text) == needs


def test_a_subject_next_to_vague_words_stays_a_need():
    assert needs_in_message("Pflichtfortbildung Arbeitsschutz") == ["Pflichtfortbildung Arbeitsschutz"]


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("Ich bin in der Wirtschaftsförderung, Standortmarketing.", []),
        ("Ich bin übrigens in der Schulverwaltung, Sachgebietsleitung.", []),
        ("Ich bin in der Schulverwaltung, fürs Sekretariat zuständig.", []),
        (
            "Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft richtig laut",
            ["die Leute werden bei Kontrollen oft richtig laut"],
        ),
    ],
)
def test_next_to_the_role_only_a_told_problem_is_a_need(text, needs):
    """A message about the role: a field of work after it ("…, Haushaltsplanung") is no further need."""
    assert needs_in_message(text, keywords=False, min_told=3) == needs


def test_role_spans_of_the_nlu_are_no_part_of_the_need():
    text = "Kita-Leitung, ich brauche was zu Konflikten im Team"
    assert needs_in_message(text, role_spans=[(0, 12)]) == ["Konflikten im Team"]


def spans_of(text: str, *roles: str) -> list[tuple[int, int]]:
    return [(text.index(role), text.index(role) + len(role)) for role in roles]


def test_a_told_problem_is_searched_without_the_role_words_the_nlu_found():
    # The NLU tags "Sozialamt" as the role; the told problem is searched without it (it found courses on
    # social assistance instead of exhaustion), and never with the placeholder that stood in for it.
    text = (
        "Ich bin seit Wochen nur noch am Limit. "
        "Im Sozialamt explodieren die Fallzahlen und ich schlaf schlecht."
    )
    [need] = needs_in_message(text, role_spans=spans_of(text, "Sozialamt"))
    assert "explodieren die Fallzahlen" in need
    assert "Sozialamt" not in need and "Dienststelle" not in need and " Im " not in need
    # two roles
    text = "Ich arbeite im Bürgeramt und im Standesamt haben wir Ärger mit Akten, die verschwinden"
    [need] = needs_in_message(text, role_spans=spans_of(text, "Bürgeramt", "Standesamt"))
    assert need.startswith("haben wir Ärger mit Akten")


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Ich arbeite im Sozialamt, Teamleitung.", "im Sozialamt"),
        (
            "Bin Sachbearbeiter in der unteren Bauaufsicht, falls das hilft.",
            "Sachbearbeiter in der unteren Bauaufsicht",
        ),
        ("Organisationsamt hier.", "Organisationsamt"),
        (
            "Als Teamleiterin im Bürgerbüro möchte ich meine Leute mehr unterstützen",
            "Teamleiterin im Bürgerbüro",
        ),
        ("Ich leite zum ersten Mal ein Projekt", None),
        ("Wir strukturieren das Jugendamt gerade um", None),
        ("I bin dr Hausmeischter an dr Grundschul.", "dr Hausmeischter an dr Grundschul"),  # Schwäbisch
    ],
)
def test_the_role_a_sentence_states(text, role):
    assert stated_role(text) == role


def test_needs_of_the_newest_message_come_first_and_none_twice():
    assert merged(["Aufenthaltsrecht"], ["Bescheide verständlich formulieren"]) == [
        "Bescheide verständlich formulieren",
        "Aufenthaltsrecht",
    ]
    assert merged(["Excel", "Datenschutz"], ["excel"]) == ["excel", "Datenschutz"]
    assert len(merged([f"Thema {i}" for i in range(10)], ["neu"])) == 6


def test_description_or_named_topic():
    assert is_description("die Leute werden bei Kontrollen oft richtig laut")
    assert not is_description("Neuerungen beim Fachkräfteeinwanderungsgesetz")
    assert not is_description("Excel")
    # "macht" and Bavarian "mia ham" tell too (set 12 CE-006 searched the back pain as a named topic)
    assert is_description("rücken macht auch scho schlapp vom schleppen")
    assert is_description("mia ham ständig ärger mit de baustellen")


@pytest.mark.parametrize(
    "text",
    [
        "Für Einsteigerinnen bitte, ich hab das noch nie gemacht",  # opens with a function word
        "Moin Leute, wir haben im Team ständig Ärger mit den Dienstplänen",  # a greeting, no topic
        "Wir sollen alles am Tablet machen, Arbeitsaufträge und so, und ich kenn mich da nicht aus",
    ],
)
def test_no_topic_is_taken_from_a_clause_that_does_not_open_the_sentence_with_topic_words(text):
    needs = needs_in_message(text)
    assert len(needs) <= 1
    assert all(is_description(n) for n in needs)


def test_a_role_in_dialect_is_no_need():
    assert needs_in_message("I bin dr Hausmeischter an dr Grundschul.") == []


def test_what_follows_the_role_with_a_clause_of_its_own_is_told_not_dropped():
    needs = needs_in_message(
        "Griaß Eana, i bin Azubi im Bürgeramt und wenn oaner am Schalter rumschreit, dann bin i danach "
        "total fertig. Wos gibt's da für mi?"
    )
    assert len(needs) == 1
    assert "Schalter rumschreit" in needs[0] and "total fertig" in needs[0]
    # A place qualifying the role is still part of the role.
    text = "Ich arbeite im Einwohnermeldeamt am Schalter und brauche was zu Deeskalation"
    assert needs_in_message(text) == ["Deeskalation"]


@pytest.mark.parametrize(
    ("text", "role", "needs"),
    [
        (
            "Ich bin frisch Ausbildungsleiter geworden und betreue jetzt 12 Azubis und Anwärter. "
            "Was gibt es, um das gut zu machen?",
            None,
            ["Ausbildung"],
        ),
        (
            "Ich bin die neue Gleichstellungsbeauftragte unserer Stadt und suche einerseits Grundlagen "
            "zu meiner Rolle, andererseits etwas zum Thema Vielfalt und Antidiskriminierung in der "
            "Verwaltung.",
            None,
            ["Gleichstellung", "Vielfalt", "Antidiskriminierung"],
        ),
        (
            "Ich bin seit kurzem Teamleiterin im Bürgeramt. Haben Sie was für meine neue Aufgabe?",
            None,
            ["Führung"],
        ),
        ("Haben Sie was für meine neue Rolle?", "Datenschutzbeauftragter", ["Datenschutz"]),
        # No role known: the reference is no topic ("Rolle" is not searched); the assistant asks instead.
        ("Haben Sie was für meine neue Rolle?", None, []),
    ],
)
def test_a_reference_to_ones_own_job_is_the_field_of_the_role(text, role, needs):
    assert needs_in_message(text, role=role) == needs


def test_work_with_a_named_tool_is_no_reference_to_the_job():
    assert needs_in_message("Ich brauche was für meine Arbeit mit Excel") == ["Arbeit mit Excel"]


@pytest.mark.parametrize(
    ("text", "named", "told"),
    [
        # "Außerdem …" after a named topic is a need of its own, not the topic's context.
        (
            "Bin IT-Admin bei einer Stadtverwaltung. Suche was zu BSI IT-Grundschutz, aber nicht für "
            "Anfänger. Außerdem wollen wir die Kollegen gegen Phishing sensibilisieren.",
            "BSI IT-Grundschutz",
            "Phishing",
        ),
        (
            "Zum einen suche ich eine Schulung zur UVgO, zum anderen müssen wir demnächst XRechnungen "
            "verarbeiten.",
            "UVgO",
            "XRechnungen",
        ),
        # "und ich soll … auch …" adds a need to a told problem.
        (
            "Meine Protokolle werden immer zu lang und ich soll demnächst auch Bürgerversammlungen "
            "moderieren.",
            "Protokolle",
            "Bürgerversammlungen moderieren",
        ),
    ],
)
def test_a_further_need_is_kept_as_a_need_of_its_own(text, named, told):
    needs = needs_in_message(text)
    assert len(needs) == 2
    assert named in needs[0] and told in needs[1] and told not in needs[0]


def test_a_filler_word_is_no_topic():
    needs = needs_in_message(
        "Naja, wir kriegen dauernd Beschwerden, weil die Bearbeitung so lang dauert. "
        "Ich weiß nie so recht, was ich den Leuten schreiben soll."
    )
    assert len(needs) == 1 and "Beschwerden" in needs[0] and "Naja" not in needs[0]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Was kann man gegen Burnout tun?", "Burnout"),
        ("Wie geht das mit der E-Rechnung?", "E-Rechnung"),
        ("was hilft gegen burnout?", "burnout"),
    ],
)
def test_a_question_about_one_thing_names_it(text, topic):
    assert needs_in_message(text) == [topic]


def test_a_clause_after_the_role_that_tells_something_is_kept():
    needs = needs_in_message(
        "Bei uns im Jugendamt gibt es viele Fälle von Kindeswohlgefährdung, dafür brauche ich mehr Sicherheit"
    )
    assert len(needs) == 1 and "Kindeswohlgefährdung" in needs[0] and "Jugendamt" not in needs[0]
    needs = needs_in_message("Ich bin Sekretärin beim Bürgermeister und soll die Sitzungen protokollieren.")
    assert needs == ["soll die Sitzungen protokollieren"]
    assert needs_in_message("Ich bin im Ordnungsamt für Gewerbeangelegenheiten zuständig") == []


def test_a_further_need_in_swabian_is_kept():
    text = (
        "Mir bräuchtet ebbes zur Baumkontrolle, on au wie mr d'Leit informiert, wenn mr a paar alte Bäum "
        "fälla muss."
    )
    needs = needs_in_message(text)
    assert needs[0] == "Baumkontrolle"
    assert any("Leit informiert" in need for need in needs[1:])


@pytest.mark.parametrize(
    "text",
    [
        "woass need so recht. mei chef sagt i soll mi fortbuidn",  # set 12 (CA-005): was kept as a need
        "Keine Ahnung, weiß nicht so recht.",
    ],
)
def test_saying_one_does_not_know_names_no_need(text):
    assert needs_in_message(text) == []


def test_not_knowing_how_to_do_something_is_a_need():
    assert any("Excel" in need for need in needs_in_message("Ich weiß nicht, wie man Excel benutzt"))


def test_a_swabian_greeting_is_no_need():
    # set 12 (CG-011): "Hallöle" was searched as the topic and the e-invoice need lost
    needs = needs_in_message("Hallöle, mir kriegat jetzt bloß no XRechnunga rein ond i blick des Format ned.")
    assert needs and not any("Hallöle" in need for need in needs)
    assert any("XRechnung" in need for need in needs)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("Ich suche eine Deeskalationsschulung", "Deeskalation"),
        ("Gibt es ein Kommunikationstraining für Azubis?", "Kommunikation"),
        # a role before the course word keeps the whole word
        ("Ich bräuchte ein Führungskräftetraining", "Führungskräftetraining"),
    ],
)
def test_a_course_named_by_its_topic_in_one_word_names_the_topic(text, need):
    assert needs_in_message(text) == [need]


def test_a_comment_on_the_offers_and_a_forgotten_point_are_no_need_but_what_follows_is():
    # set 12 (CC-004): the comment and "Eine Sache hatte ich … vergessen" filled the need, the
    # de-escalation course fell off its end
    text = (
        "Herzlichen Dank, das sieht schon sehr vielversprechend aus. Eine Sache hatte ich in meiner ersten "
        "Nachricht ganz vergessen: Am Tresen haben wir seit einiger Zeit vermehrt Vorfälle mit sehr "
        "aufgebrachten, teilweise auch aggressiven Kundinnen und Kunden, und ich würde meinen Beschäftigten "
        "in der Publikumsannahme gern eine Deeskalationsschulung ermöglichen. Hätten Sie dafür etwas?"
    )
    needs = needs_in_message(text)
    assert "Deeskalation" in needs
    assert not any("vielversprechend" in need or "vergessen" in need for need in needs)


def test_how_the_person_came_to_the_assistant_is_no_need():
    # set 12 (CC-007): the role and the reason for writing got offers instead of the topic question
    text = (
        "Guten Tag, mein Name tut hier wahrscheinlich nichts zur Sache, ich leite jedenfalls seit gut einem "
        "Jahr das Sozialamt unserer Stadt und wurde von unserer Personalentwicklung freundlich darauf "
        "hingewiesen, dass ich mich für Fortbildungsfragen an diesen Assistenten wenden könne."
    )
    assert needs_in_message(text) == []
    assert any("Excel" in need for need in needs_in_message("Ich möchte mich an Sie wenden wegen Excel"))
    # set 13 (DC-006): the recommendation to write was searched ("Personalentwicklung" offers)
    text = (
        "Guten Tag, ich bin Amtsleiter der unteren Bauaufsichtsbehörde einer Großen Kreisstadt mit insgesamt "
        "rund zwanzig Mitarbeitenden, und man hat mir im Rahmen unseres jährlichen "
        "Personalentwicklungsgesprächs empfohlen, mich einmal an Sie zu wenden."
    )
    assert needs_in_message(text) == []
    # what else the sentence says is still the need
    text = (
        "Meine Chefin hat mir gesagt, ich soll mich an diesen Chat wenden, ich brauch was zu Deeskalation"
    )
    assert needs_in_message(text) == ["Deeskalation"]
    text = "Mein Chef hat mir empfohlen, mich an Sie zu wenden, weil ich Excel lernen muss."
    assert needs_in_message(text) == ["Excel"]
    # set 14 (EA-003, EA-010, ED-006): asked to look for courses, or not knowing yet, is no topic
    text = (
        "Guten Tag, ich bin seit kurzem in der Sachbearbeitung des Sozialamts unserer Kreisstadt tätig, und "
        "meine Vorgesetzte hat mich gebeten, mich einmal nach geeigneten Fortbildungen für mich umzusehen."
    )
    assert needs_in_message(text) == []
    text = (
        "Guten Morgen, ich hätte eine Frage zu Fortbildungen, wüsste aber offen gestanden nicht recht, wie "
        "ich am besten anfangen soll."
    )
    assert needs_in_message(text) == []
    assert needs_in_message("Ehrlich gesagt weiß ich das selbst nicht so genau.") == []
    needs = needs_in_message("Meine Chefin hat mich gebeten, mich nach Excel-Kursen umzusehen")
    assert any("Excel" in need for need in needs)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        # set 12 (CE-007, CG-011): the restart words were searched, the new need lost
        ("ok vergiss das mal kurz. ganz was anderes: ich muss in der berufsschule ne präsentation halten und "
         "hab voll schiss davor. gibts da was?", "präsentation"),
        ("Vergesset des alles, fanget mr nomol o: wie macht mr Ausschreibungsunterlaga barrierefrei?",
         "barrierefrei"),
    ],
)
def test_words_that_put_the_conversation_aside_are_no_need(text, need):
    needs = needs_in_message(text)
    assert len(needs) == 1 and need in needs[0]
    assert not any(word in needs[0].lower() for word in ("vergiss", "vergesset", "fanget", "anderes"))


def test_a_cost_limit_per_course_names_no_need():
    # set 12 (CH-009): "pro" was searched as a topic next to the known need
    assert needs_in_message("und max 400 euro pro kurs") == []


def test_an_errand_with_a_subject_keeps_the_subject():
    needs = needs_in_message("Ich soll für mein Team Excel-Fortbildungen raussuchen")
    assert any("Excel" in need for need in needs)


def test_a_youthful_greeting_is_no_topic_and_the_told_problem_after_it_stays():
    # set 14 EF-006: "yo" was searched as a topic and the rest of the sentence dropped
    needs = needs_in_message(
        "yo, bin dualer student (public management) und muss im praxismodul n kleines projekt leiten und am "
        "ende vorm amtsleiter präsentieren. hab null plan wie man sowas aufzieht lol"
    )
    assert "yo" not in needs
    assert any("projekt leiten" in need and "präsentieren" in need for need in needs)


def test_asking_for_something_to_learn_in_bavarian_names_no_topic():
    # set 14 EC-001: "gibts da was zum lerna?" was searched as the topic "lerna" ("Lernen lernen" came first)
    needs = needs_in_message(
        "servus, i bin im tiefbau und mia ham ständig ärger mit de baustellenabsicherungen, da schimpft die "
        "polizei wenn d'schilder ned passn. gibts da was zum lerna?"
    )
    assert len(needs) == 1
    assert "baustellenabsicherungen" in needs[0]


def test_a_topic_named_before_a_request_frame_is_kept():
    # set 11 BF-002: "excel grundlagen" was lost next to "was zu datenschutz"
    text = "schulverwaltung, brauch excel grundlagen + was zu datenschutz (schülerdaten)"
    assert needs_in_message(text) == ["excel grundlagen", "datenschutz (schülerdaten)"]
    text = "brauche Excel-Grundlagen und etwas zu Datenschutz"
    assert needs_in_message(text) == ["Excel-Grundlagen", "Datenschutz"]


def test_basics_one_already_knows_are_a_level_not_a_topic():
    # set 14 EF-005: "Grundlagen hab ich" was searched as a topic ("Es geht um Grundlagen" on a statistics
    # course)
    text = "Stadtplanung. GIS, Geodaten, evtl. Open Data. Fortgeschritten, Grundlagen hab ich."
    needs = needs_in_message(text)
    assert not any("Grundlagen" in need for need in needs)
    assert any("GIS" in need for need in needs)
    # basics one lacks are part of the need
    assert any("Grundlagen" in need for need in needs_in_message("die Grundlagen hab ich noch nicht drauf"))


def test_an_amount_in_words_and_an_opener_are_no_topic():
    # set 9 AB-007: "mehr als fünfhundert Euro gibt mein Budget leider nicht her" was searched as a topic
    text = "Ich würde lieber in Präsenz teilnehmen. Und mehr als fünfhundert Euro gibt mein Budget nicht her."
    assert not any("fünfhundert" in need for need in needs_in_message(text))
    # set 10 BD-004: "Zur Einordnung:" was searched as the topic "Einordnung"
    text = "Zur Einordnung: Ich bin Teamleitung im Sozialamt. Und ich brauche was zu Konflikten."
    needs = needs_in_message(text)
    assert not any("Einordnung" in need for need in needs)
    assert any("Konflikt" in need for need in needs)
