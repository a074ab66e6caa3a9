"""An intent the message's own words contradict is corrected: a FAQ question with the number of employees or
about the price of one share is a cost question; "von vorn" with a wish is a refinement, not a restart."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.content_rules import ContentRules


def classified(text: str, intent: str, runner_up: str = "ask_membership_cost") -> Message:
    """The message after the content rules, classified as ``intent`` with ``runner_up`` second."""
    ranking = [{"name": intent, "confidence": 0.8}, {"name": runner_up, "confidence": 0.1}]
    message = Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    [message] = ContentRules.create({}, Mock(), Mock(), Mock()).process([message])
    return message


def test_faq_question_with_the_number_of_employees_is_a_cost_question():
    text = "Wie läuft das mit den Geschäftsanteilen? Wir haben etwa achthundert Leute."
    message = classified(text, "membership_faq")
    assert message.get(INTENT) == {"name": "ask_membership_cost", "confidence": 0.8}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["ask_membership_cost", "membership_faq"]
    text = "Wir überlegen beizutreten. Wir haben ca. 80 Beschäftigte – was kommt finanziell auf uns zu?"
    assert classified(text, "membership_faq").get(INTENT)["name"] == "ask_membership_cost"


@pytest.mark.parametrize(
    "text", ["Wie viele Stimmen hat jede der 20 Kommunen?", "Wann müssen wir zahlen?", "Seit 2021 dabei?"]
)
def test_faq_questions_without_a_head_count_keep_their_intent(text):
    assert classified(text, "membership_faq").get(INTENT)["name"] == "membership_faq"


@pytest.mark.parametrize(
    "text",
    [
        "Guten Tag, wir sind eine Gemeinde mit 230 Beschäftigten und überlegen, Mitglied zu werden. "
        "Wie läuft so ein Beitritt konkret ab?",
        "Wir sind eine große Stadt mit rund 3000 Leuten. Haben wir dann in der Generalversammlung auch mehr "
        "Stimmen als so ein kleines Dorf?",
    ],
)
def test_a_faq_question_that_gives_the_head_count_but_asks_no_price_keeps_its_answer(text):
    # The person asks how to join or how votes work; the count is reused when they ask for the shares.
    assert classified(text, "membership_faq").get(INTENT)["name"] == "membership_faq"


def test_the_price_of_one_share_is_a_cost_question():
    text = "nebenbei, was kostet eigentlich so ein geschaeftsanteil bei der genossenschaft"
    assert classified(text, "membership_faq").get(INTENT)["name"] == "ask_membership_cost"


def test_an_unsure_membership_question_with_a_head_count_is_a_cost_question():
    text = "Was koscht des, wenn mer bei eusch Mitglied werde wolle? Mir sin so 30 Leut uffm Rathaus."
    assert classified(text, "nlu_fallback").get(INTENT)["name"] == "ask_membership_cost"
    # Without a head count, or when the runner-up is no membership intent, the fallback stays.
    assert classified("Was koscht des?", "nlu_fallback").get(INTENT)["name"] == "nlu_fallback"
    message = classified("Wir sind 30 Leute im Bauhof", "nlu_fallback", runner_up="inform_skill_gap")
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_from_the_very_basics_is_a_refinement_not_a_restart():
    assert classified("Ganz von vorn bitte, Anfänger.", "restart").get(INTENT)["name"] == "refine"


@pytest.mark.parametrize("text", ["Nochmal von vorne bitte", "/restart"])
def test_a_restart_without_a_wish_stays_a_restart(text):
    assert classified(text, "restart").get(INTENT)["name"] == "restart"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Und ab wann wären es sechs Anteile?", "membership_faq"),
        ("Ab wie vielen Beschäftigten braucht man 3 Anteile?", "membership_unknown"),
        (
            "Wir haben 250 Beschäftigte, die Nachbargemeinde hat 251. Zahlen wir unterschiedlich viel?",
            "membership_faq",
        ),
        ("250 oder 251, macht das einen Unterschied?", "inform_employee_count"),
    ],
)
def test_questions_about_the_tiers_go_to_the_calculator(text, intent):
    assert classified(text, intent).get(INTENT)["name"] == "ask_membership_cost"


def test_a_faq_question_about_shares_without_a_number_stays_a_faq():
    assert classified("Ab wann müssen die Anteile eingezahlt werden?", "membership_faq").get(INTENT)[
        "name"
    ] == "membership_faq"


def test_a_dialect_membership_question_with_a_head_count_is_a_cost_question():
    text = "Mia san a kloane Gmoa mit so ungefähr fuchzg Leid im Rathaus. Wos miass ma do zoin?"
    message = classified(text, "nlu_fallback", runner_up="membership_unknown")
    assert message.get(INTENT)["name"] == "ask_membership_cost"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Des is ma ois z'kompliziert. Kon i ned mit am echtn Menschn redn?", "request_human"),
        ("Können Sie mich mit einer Person verbinden?", "request_human"),
        # set 12 (CF-005, CA-005): Swabian and Bairisch
        ("Ko i au mit em richtige Mensch schwätze?", "request_human"),
        ("kann i des ned liaba mit am menschn bsprechn? so a chat is ma z'kompliziert", "request_human"),
        ("Bist du ein Mensch?", "bot_challenge"),
        ("Bin ich hier mit einem Menschen verbunden?", "bot_challenge"),
    ],
)
def test_a_wish_to_talk_to_a_person_is_no_question_about_the_bot(text, intent):
    assert classified(text, "bot_challenge").get(INTENT)["name"] == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("am liebsten online, dann können alle vom platz aus teilnehmen", "refine"),
        ("Sind die Kurse für Mitglieder kostenlos?", "membership_faq"),
    ],
)
def test_a_wish_about_the_offers_is_no_membership_question(text, intent):
    assert classified(text, "membership_faq").get(INTENT)["name"] == intent


def test_thanks_followed_by_a_wish_refines_the_offers():
    assert classified("Danke! Was davon ist online?", "thank").get(INTENT)["name"] == "refine"
    text = "liaba in Präsenz, i mog ned scho wieder vorm bildschirm hocka"
    assert classified(text, "goodbye").get(INTENT)["name"] == "refine"
    assert classified("Tschüss, bis dann", "goodbye").get(INTENT)["name"] == "goodbye"
    assert classified("Danke, das war schon alles.", "thank").get(INTENT)["name"] == "thank"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Gibt es Kurse für professionelle Telefonkommunikation?", "request_recommendations"),
        ("Habt ihr Schulungen zum Beschwerdemanagement?", "request_recommendations"),
        ("Sind die Kurse für Mitglieder kostenlos?", "membership_faq"),
        ("Fallen für Kurse Gebühren an?", "membership_faq"),
        (
            "Welche Pflichten ergeben sich aus dem AI Act für eine Kommune? Gerne online.",
            "request_recommendations",
        ),
        ("Was müssen wir nach dem Onlinezugangsgesetz bis wann umsetzen?", "request_recommendations"),
        ("Was steht im Genossenschaftsgesetz zu unseren Pflichten als Mitglied?", "membership_faq"),
        (
            "Außerdem müssen wir die Friedhofsgebühren neu kalkulieren. Gibt's dazu was?",
            "request_recommendations",
        ),
        ("Wer finanziert das? Gibt's dazu was Schriftliches von der Genossenschaft?", "membership_faq"),
    ],
)
def test_a_request_for_courses_on_a_subject_is_no_membership_question(text, intent):
    assert classified(text, "membership_faq").get(INTENT)["name"] == intent


def test_a_low_german_cost_question_with_a_head_count_is_a_cost_question():
    text = "Moin, wi sünd 251 Lüüd in de Verwaltung. Wat kost dat, wenn wi bi jo mitmoken?"
    message = classified(text, "nlu_fallback", runner_up="chitchat")
    assert message.get(INTENT)["name"] == "ask_membership_cost"


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("Die Rechnung kam zweimal. Kann ich da mal mit nem echten Menschen schnacken?", "inform_skill_gap",
         "request_human"),
        ("Kann ich das mal mit nem Menschen besprechen? Wir bräuchten eine Inhouse-Schulung.", "refine",
         "request_human"),
        ("i hätt gern mit am echte Mensch gschwätzt, net mit so am Computer. Goht des?", "bot_challenge",
         "request_human"),
        # typed without a question mark (set 14 EB-012 got five offers)
        ("kann ich mit nem menschen reden hab ne frage zu unserer landingpage", "inform_skill_gap",
         "request_human"),
        # learning to talk to people is a need, not a wish for a person
        ("Kann ich lernen, besser mit Menschen zu sprechen?", "inform_skill_gap", "inform_skill_gap"),
        ("kann ich lernen besser mit menschen zu reden", "inform_skill_gap", "inform_skill_gap"),
        ("Ich will mit meinen Mitarbeitern besser sprechen können", "inform_skill_gap", "inform_skill_gap"),
    ],
)
def test_a_plain_wish_for_a_person_is_the_hand_over_whatever_the_classifier_said(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mir überleget, ob unser Gmoind bei dr KommunalCampus eG mitmacht. Was koschd des eigentlich?",
         "ask_membership_cost"),
        ("Moin, was würd uns dat denn kosten, wenn wir bei euch Mitglied werden?", "ask_membership_cost"),
        ("Meine Amtsleiterin hat mich gebeten herauszufinden, was eine Mitgliedschaft unserer Stadt bei "
         "KommunalCampus kosten würde.", "ask_membership_cost"),
        ("Ich soll eine Vorlage zum Beitritt vorbereiten. Was müsste die Stadt denn da einzahlen?",
         "ask_membership_cost"),
        ("Was kosten die Kurse für Mitglieder?", "membership_faq"),
        ("Jo. Und was kostet uns die Mitgliedschaft jedes Jahr noch obendrauf?", "membership_faq"),
        # after offers, without a word about the cooperative, it is the price of the offers
        ("was koschted des? mehr wie hundert Euro zahlt mei Chef net", "refine"),
        ("Wer finanziert die Genossenschaft?", "membership_faq"),
    ],
)
def test_what_joining_costs_is_the_cost_question_not_a_faq(text, expected):
    assert classified(text, "membership_faq").get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("und wenn wir mit den Eigenbetrieben zusammen auf 2.001 kommen?", "ask_membership_cost"),
        ("weitere zur vergabe?", "more_like"),
        ("weitere zum absichra?", "more_like"),
        ("Mehr Infos zur Generalversammlung bitte", "membership_faq"),
        ("Wie lange dauert der Beitritt bei uns?", "membership_faq"),
    ],
)
def test_a_supposed_head_count_or_a_wish_for_more_is_no_faq(text, expected):
    assert classified(text, "membership_faq").get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        (
            "mei Chef hat gmoint i soll mal nachfroga: was müssat mir eigentlich zahla wenn mir bei dere "
            "Genossenschaft Mitglied werdet? Mir send so ca. 480 Leut.",
            "inform_skill_gap",
            "ask_membership_cost",
        ),
        ("Ei, unser Landrat hat gefragt, was des kost, wenn mir bei dere Genossenschaft mitmache.",
         "request_recommendations", "ask_membership_cost"),
        ("Gibt es eine Schulung zum Genossenschaftsrecht und was kostet die?", "request_recommendations",
         "request_recommendations"),
    ],
)
def test_a_question_what_joining_costs_is_no_course_search(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("ok. ich hab letzte woche hier nach kursen geschaut, jetzt möcht ich aber dass meine daten gelöscht "
         "werden.", "request_recommendations", "delete_my_data"),
        ("Bitte löschen Sie alles, was Sie über mich gespeichert haben.", "chitchat", "delete_my_data"),
        ("ja, bitte alles löschen", "affirm", "affirm"),  # the answer to the delete question stays one
        # a course question about deleting is no wish to delete one's own data
        ("Löschfristen in der E-Akte: wie löschen wir alles rechtssicher?", "inform_skill_gap",
         "inform_skill_gap"),
    ],
)
def test_a_wish_to_delete_ones_own_data_is_the_delete_request(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 12 (CG-010): the question was taken for a delete request and the next message deleted everything
        ("Was speichern Sie eigentlich über mich?", "delete_my_data", "ask_stored_data"),
        ("wos speicherts ihr do über mi?", "nlu_fallback", "ask_stored_data"),
        ("Wird dieser Chat gespeichert?", "inform_skill_gap", "ask_stored_data"),
        # a wish to delete wins over the question
        ("Dann löschen Sie bitte alles, was Sie von mir haben.", "ask_stored_data", "delete_my_data"),
        # someone else's data is a course subject
        ("Welche Daten von Beschäftigten darf ich speichern?", "inform_skill_gap", "inform_skill_gap"),
        ("Wie lange dürfen Bewerbungsunterlagen gespeichert werden?", "inform_skill_gap", "inform_skill_gap"),
        ("Was wisst ihr über Datenschutz?", "request_recommendations", "request_recommendations"),
    ],
)
def test_a_question_what_is_stored_about_me_is_answered_not_deleted(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


def test_a_question_about_what_we_store_about_others_is_a_course_search():
    # set 10 (AC-004): the classifier's new intent took a data-protection need for the privacy answer
    text = (
        "und wenn die leute anrufen und wissen wolln was wir alles über die gespeichert haben, was darf ich "
        "da eigentlich sagen? gibts dazu auch was"
    )
    message = classified(text, "ask_stored_data", runner_up="inform_skill_gap")
    assert message.get(INTENT)["name"] == "inform_skill_gap"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sind die Kurse für unsere Leute dann umsonst?", "membership_faq"),
        ("Und die Kurse selbst, sind die dann kostenlos für uns?", "membership_faq"),
        # free courses as a wish about the offers
        ("Welche Kurse sind kostenlos?", "refine"),
        ("Gibt es kostenlose Kurse zu Excel?", "request_recommendations"),
    ],
)
def test_whether_members_pay_for_courses_is_the_faq_not_a_course_search(text, expected):
    assert classified(text, "membership_faq").get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 13 (DD-009): read as the wish "kostenlos", it filtered offers nobody had asked for
        ("Ond d'Kurs selber, send die umsonscht?", "refine", "membership_faq"),
        ("San de Kurse dann umasunst?", "request_recommendations", "membership_faq"),
        ("Ond d'Kurs selber, send die umsonscht?", "nlu_fallback", "membership_faq"),
        # a subject or a shown offer keeps the wish
        ("Sind die Kurse zu Excel kostenlos?", "refine", "refine"),
        ("Is des aa umsonst?", "refine", "refine"),
    ],
)
def test_whether_courses_cost_anything_is_the_faq_whatever_the_classifier_said(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 12 (CC-008): taken for a course search, it got offers
        ("Im Auftrag unseres Oberbürgermeisters bereite ich eine Vorlage vor, in der die Vor- und Nachteile "
         "einer Mitgliedschaft in der KommunalCampus eG dargestellt werden sollen; welche Pflichten "
         "übernimmt eine Kommune als Mitglied?", "request_recommendations", "membership_faq"),
        # courses for members stay a course search
        ("Welche Kurse zu Pflichten im Datenschutz bietet die Genossenschaft an?", "request_recommendations",
         "request_recommendations"),
    ],
)
def test_a_question_about_the_cooperatives_terms_is_no_course_search(text, intent, expected):
    assert classified(text, intent).get(INTENT)["name"] == expected


def test_a_municipal_fee_with_its_bylaw_is_a_course_search_not_the_statute():
    # set 12 (CH-011): the NLU itself said membership_unknown ("Satzung")
    text = "wir müssen die friedhofsgebühren neu kalkulieren, letzte satzung ist von 2011. format egal"
    assert classified(text, "membership_unknown").get(INTENT)["name"] == "request_recommendations"
    statute = classified("Wo finde ich die Satzung?", "membership_unknown")
    assert statute.get(INTENT)["name"] == "membership_unknown"


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 13 (DH-011): not placed, it got "Meinten Sie …?" instead of the greeting and the topic question
        ("Servus mitanand, wia geht's eich heid?", "nlu_fallback", "greet"),
        ("Moin, wie geht's?", "out_of_scope", "greet"),
        # more than a greeting keeps its reading
        ("Servus, wie geht das mit der Anmeldung?", "nlu_fallback", "nlu_fallback"),
        ("Hallo, wie geht es Ihnen?", "chitchat", "chitchat"),
    ],
)
def test_a_mere_greeting_is_greeted(text, intent, expected):
    assert classified(text, intent, runner_up="chitchat").get(INTENT)["name"] == expected


def test_a_need_like_question_on_the_financial_share_with_a_head_count_is_the_calculation():
    # set 13 (DC-008): taken for a course search, then for the financing FAQ; the 6.000 € were never said
    text = (
        "Grüß Gott, ich bin im Büro unseres Oberbürgermeisters für die interkommunale Zusammenarbeit "
        "zuständig und wurde gebeten zu klären, welche finanzielle Beteiligung auf uns zukäme, wenn unsere "
        "Stadtverwaltung, die einschließlich der Eigenbetriebe zweitausendeins Beschäftigte zählt, der "
        "Genossenschaft beitreten würde."
    )
    assert classified(text, "inform_skill_gap", "inform_role").get(INTENT)["name"] == "ask_membership_cost"
    # without a head count it stays what the classifier said
    text = "Wir haben 40 Beschäftigte und brauchen eine Schulung zur Finanzbuchhaltung"
    assert classified(text, "inform_skill_gap", "inform_role").get(INTENT)["name"] == "inform_skill_gap"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # set 13 (DG-004): asked for a new topic, the person wanted further offers on the same needs
        ("Die kenn ich schon alle, gibts noch andere?", "more_like"),
        ("Hab ich alles schon gemacht, was gibt es noch?", "more_like"),
        ("Die hab ich schon alle besucht", "more_like"),
        # another topic stays another topic
        ("Die kenne ich schon, gibt es andere Themen?", "request_other_topics"),
        ("Keiner davon passt", "request_other_topics"),
    ],
)
def test_offers_known_already_ask_for_more_of_the_same(text, expected):
    assert classified(text, "request_other_topics", "more_like").get(INTENT)["name"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 14 (EG-012): read as a course search, the angry person got five offers
        ("Ich habe letzte Woche schon dreimal versucht, mich für einen Kurs anzumelden, und es klappt nicht. "
         "Ich möchte das bitte mit einem Menschen klären, nicht mit einem Chatbot.",
         "request_recommendations", "request_human"),
        ("I mecht mit am Menschen redn", "nlu_fallback", "request_human"),
        # set 14 (EC-007, EE-009): Swabian and Bairisch, got "Meinten Sie …?" and the bot-challenge answer
        ("hmm, do blick i ned ganz durch welles für ons passt. Ka i au mit ama richtige Mensch schwätza?",
         "nlu_fallback", "request_human"),
        ("kannt i des ned liaba mit am echtn Menschen bsprecha?", "bot_challenge", "request_human"),
        # set 14 (EC-012): a delete wish in Swabian got "Meinten Sie …?"
        ("Aha. No wär mir des liaber, wenn Sie mei Zeugs, was i do neigschrieba hab, wieder löschet.",
         "nlu_fallback", "delete_my_data"),
        # talking with people is a course need
        ("Ich will mit meinen Mitarbeitern besser sprechen", "inform_skill_gap", "inform_skill_gap"),
        ("Ich würde gern mit Kollegen besser reden können", "inform_skill_gap", "inform_skill_gap"),
    ],
)
def test_a_wish_for_a_person_or_for_deletion_in_own_words(text, intent, expected):
    assert classified(text, intent, "inform_skill_gap").get(INTENT)["name"] == expected


def test_a_need_described_after_an_address_to_the_team_is_no_cost_question():
    text = (
        "Sehr geehrtes KommunalCampus-Team, in unserem Standesamt sollen die alten Papierakten in den "
        "nächsten beiden Jahren eingescannt und in die elektronische Akte überführt werden; nebenbei quäle "
        "ich mich mit meinen Tabellen, weil ich jede Zahl von Hand zusammenzähle."
    )
    message = classified(text, "ask_membership_cost", "inform_skill_gap")
    assert message.get(INTENT)["name"] == "inform_skill_gap"
    # classified as the need, the address and "Zahl" do not make it a cost question either
    message = classified(text, "inform_skill_gap", "ask_membership_cost")
    assert message.get(INTENT)["name"] == "inform_skill_gap"


@pytest.mark.parametrize(
    "text",
    [
        "Sehr geehrtes KommunalCampus-Team, wir sind eine Gemeinde in Rheinland-Pfalz und überlegen, der "
        "Genossenschaft beizutreten. Womit müssten wir da rechnen?",
        "Liebes Team von KommunalCampus, was müssten wir als kleine Stadt mit unseren Leuten im Rathaus am "
        "Ende eigentlich bezahlen, wenn wir mitmachen?",
        "Guten Tag, wir haben in der Verwaltung 420 Beschäftigte und wollen wissen, womit wir rechnen "
        "müssen, wenn der Rat zustimmt.",
    ],
)
def test_a_cost_question_after_an_address_stays_a_cost_question(text):
    message = classified(text, "ask_membership_cost", "inform_skill_gap")
    assert message.get(INTENT)["name"] == "ask_membership_cost"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # set 9 AB-008: the share calculation again instead of what is known about annual fees
        ("ond was kostet des dann jedes Johr?", "membership_faq"),
        ("Kommen dann noch jährliche Beiträge dazu?", "membership_faq"),
        # the shares themselves, or a head count: the calculation
        ("Wie viel Anteil brauchet mir da? Mir sind so ca. 1200 Leit.", "ask_membership_cost"),
        ("Was kosten die Anteile bei 300 Beschäftigten jedes Jahr?", "ask_membership_cost"),
    ],
)
def test_a_question_about_yearly_fees_is_no_share_calculation(text, expected):
    assert classified(text, "ask_membership_cost", "membership_faq").get(INTENT)["name"] == expected
