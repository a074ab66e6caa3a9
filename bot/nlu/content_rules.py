"""Correct an intent that the message's own words plainly contradict.

Rules, each about something the classifier cannot weigh because it reads the sentence as a whole:

- ``membership_faq`` for a message that gives the number of employees and asks about money or shares ("Wie
  läuft das mit den Geschäftsanteilen? Wir haben etwa achthundert Leute.") becomes ``ask_membership_cost``:
  the person wants the calculation for their administration, not the general FAQ answer. A question about
  joining or votes that gives the count keeps its FAQ answer.
- a course-search intent for a question what joining costs (a word about the cooperative and one about money,
  nothing about courses) becomes ``ask_membership_cost``.
- a course-search intent for a question about the cooperative's terms (it names the cooperative and duties,
  benefits, joining, votes or financing, nothing about courses) becomes ``membership_faq``.
- ``membership_faq`` or ``membership_unknown`` for another head count supposed ("und wenn wir mit den
  Eigenbetrieben zusammen auf 2.001 kommen?") becomes ``ask_membership_cost``; for "weitere zur vergabe?"
  (more offers, not a word about the cooperative) ``more_like``.
- ``membership_faq`` for "Was koschd des eigentlich?" in a question about joining becomes
  ``ask_membership_cost`` (not for course fees, "Was kosten die Kurse für Mitglieder?", nor annual costs).
- ``membership_faq`` for "Was kostet eigentlich so ein Geschäftsanteil?" becomes ``ask_membership_cost``: the
  price of one share is a cost question (answered with 1.000 €), not the FAQ about the cooperative.
- ``ask_membership_cost`` for a long message that describes a need and says nothing of the cooperative, of
  money or of a head count ("Sehr geehrtes KommunalCampus-Team, in unserem Standesamt sollen die alten
  Papierakten … eingescannt werden …": the address named the cooperative) becomes the need intent ranked next.
- ``ask_membership_cost`` for a question about fees every year ("ond was kostet des dann jedes Johr?")
  becomes ``membership_faq`` (the unknown-topic guard then says what is known and that the rest is not).
- ``nlu_fallback`` where the classifiers' best intent is a membership intent, or the message asks what
  something costs, and the message gives the number of employees ("Was koscht des, wenn mer Mitglied werde
  wolle? Mir sin so 30 Leut", "wi sünd 251 Lüüd … Wat kost dat?") becomes ``ask_membership_cost``: the
  count makes the question plain even when the words are dialect.
- ``membership_faq``, ``membership_unknown`` or ``inform_employee_count`` for a question about the tiers
  ("Und ab wann wären es sechs Anteile?", two head counts compared) becomes ``ask_membership_cost``.
- ``restart`` for a message that states a wish about the offers ("Ganz von vorn bitte, Anfänger.") becomes
  ``refine``: "von vorn" there means "from the very basics", and restarting would throw the profile away.
- ``membership_faq`` or ``membership_unknown`` for a request for courses on a subject that says nothing of the
  cooperative ("Gibt es Kurse für professionelle Telefonkommunikation?", "Wir müssen die Friedhofsgebühren
  neu kalkulieren. Gibt's dazu was?", "… letzte Satzung ist von 2011" with a municipal fee named, see the
  ``unless`` patterns of terms.yml), or a question about a law ("Welche
  Pflichten ergeben sich aus dem AI Act für eine Kommune?" is not about a member's duties), becomes
  ``request_recommendations``.
- ``thank`` for a thanks followed by a wish ("Danke! Was davon ist online?") or ``goodbye`` for a wish ("liaba
  in Präsenz, i mog ned scho wieder vorm Bildschirm hocka") becomes ``refine``, and so does a
  membership question that states a wish and says nothing of the cooperative ("am liebsten online, dann
  können alle vom Platz aus teilnehmen").
- any intent for a wish to delete one's own data ("ich hab letzte Woche hier nach Kursen geschaut, jetzt möcht
  ich aber, dass meine Daten gelöscht werden" reads like a course search) becomes ``delete_my_data``: the
  assistant asks for confirmation first, so a wrong guess costs one question.
- any intent for a question what the assistant stores about the person ("Was speichern Sie eigentlich über
  mich?" reads like a delete request) becomes ``ask_stored_data``; a wish to delete wins over it. A question
  about other people's data ("… was wir über die Leute gespeichert haben, was darf ich da sagen?") is no
  such question: it becomes the runner-up intent.
- any intent for a plain wish to talk to a person ("Kann ich da mal mit nem echten Menschen schnacken?" after
  a need, "Kann ich das mal mit nem Menschen besprechen? Wir bräuchten eine Inhouse-Schulung") becomes
  ``request_human``: the hand-over asks for consent first, so a wrong guess costs one question.
- ``bot_challenge`` for a wish to talk to a person ("Kon i ned mit am echtn Menschn redn?") becomes
  ``request_human``: the person does not ask what the assistant is, they want someone else.

Runs after the classifiers and the fallback components; it has nothing to train.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.actions.membership import (
    MEMBERSHIP_INTENTS,
    about_something_else,
    asks_share_price,
    compared_counts,
    load_terms,
    names_head_count,
    parse_employee_count,
    shares_asked,
)
from bot.actions.parsing import states_wish
from bot.nlu.intent_override import intent_ranking, override_intent
from german.requests import (
    ABOUT_COURSES,
    ABOUT_MONEY,
    ASKS_FOR_OFFERS_ON_IT,
    COST_WORD,
    COUNT_SUPPOSED,
    COURSE_FEES_QUESTION,
    COURSES_ON_A_SUBJECT,
    DELETE_WISH,
    FAQ_TOPIC_WORDS,
    HUMAN_WISH,
    KNOWN_ALREADY,
    MEMBERSHIP_WORDS,
    NAMES_A_LAW,
    NAMES_THE_COOPERATIVE,
    OTHER_TOPIC_WORDS,
    RECURRING,
    WHAT_DOES_IT_COST,
    about_someone_elses_data,
    asks_for_a_person,
    asks_for_yearly_money,
    asks_what_is_stored,
    only_greets,
    starts_with_more,
    without_salutation,
)

FAQ_INTENTS = frozenset({"membership_faq", "membership_unknown"})
# Intents that start a course search; a question what joining the cooperative costs is none ("was müssat mir
# eigentlich zahla, wenn mir bei dere Genossenschaft Mitglied werdet? Mir send so ca. 480 Leut").
NEED_LIKE_INTENTS = frozenset({"inform_skill_gap", "request_recommendations", "inform_role", "refine"})
# Intents a plain wish for a person keeps: it already is one, or deleting one's data comes first.
PERSON_INTENTS = frozenset({"request_human", "delete_my_data"})
# Intents a wish to delete one's data keeps: it already is one, or it answers the delete question.
DELETE_ANSWERS = frozenset({"delete_my_data", "affirm", "deny"})
# Words that make a delete wish one's own ("meine Daten", "was über mich gespeichert ist"), unlike a course
# question about deleting ("wie löschen wir alles rechtssicher?").
_OWN_DATA = re.compile(r"\b(?:meine\w*|mich|mi|mir)\b|gespeichert|gspeichert|verlauf", re.IGNORECASE)


def asks_to_delete_own_data(text: str) -> bool:
    return bool(DELETE_WISH.search(text) and _OWN_DATA.search(text))
# "jede Zahl von Hand zusammenzählen": the noun "Zahl" is a number, not a payment.
_NUMBER_NOUN = re.compile(r"\bzahl\b", re.IGNORECASE)


def cooperative_body(text: str) -> str:
    """The words that can be about the cooperative or money: without an address to its team ("Sehr geehrtes
    KommunalCampus-Team,") and without the noun "Zahl" ("jede Zahl von Hand zusammenzählen")."""
    return _NUMBER_NOUN.sub(" ", without_salutation(text))


def describes_need_only(body: str, gives_count: bool) -> bool:
    """A long message (its ``cooperative_body``) that names neither the cooperative, money nor a head count:
    "Sehr geehrtes KommunalCampus-Team, in unserem Standesamt sollen die alten Papierakten … eingescannt
    werden …" describes a need, whatever the address made the classifier think."""
    return (
        not gives_count
        and len(body.split()) >= 12
        and not MEMBERSHIP_WORDS.search(body)
        and not ABOUT_MONEY.search(body)
        and not WHAT_DOES_IT_COST.search(body)
    )


# Intents a question about the share tiers is often given ("Und ab wann wären es sechs Anteile?", "Wir haben
# 250 Beschäftigte, die Nachbargemeinde hat 251 …"); the calculator answers it.
ASKS_ABOUT_TIERS = frozenset({"membership_faq", "membership_unknown", "inform_employee_count"})


def corrected_intent(intent: str | None, text: str, runner_up: str | None = None) -> str | None:
    """The intent the message's words call for instead of ``intent`` (``runner_up``: the best-ranked intent
    after ``nlu_fallback``), or None to keep it."""
    if intent not in PERSON_INTENTS and not text.startswith("/") and asks_for_a_person(text):
        return "request_human"
    if intent not in DELETE_ANSWERS and not text.startswith("/") and asks_to_delete_own_data(text):
        return "delete_my_data"
    if intent != "ask_stored_data" and not text.startswith("/") and asks_what_is_stored(text):
        return "ask_stored_data"
    if intent == "ask_stored_data" and about_someone_elses_data(text) and runner_up:
        return runner_up  # "… was wir alles über die [Leute] gespeichert haben, was darf ich da sagen?"
    gives_count = names_head_count(text)
    body = cooperative_body(text)
    described = describes_need_only(body, gives_count)
    if intent == "ask_membership_cost" and runner_up in NEED_LIKE_INTENTS and described:
        return runner_up
    if intent == "ask_membership_cost" and not gives_count and asks_for_yearly_money(text):
        return "membership_faq"  # "ond was kostet des dann jedes Johr?": fees every year, not the shares
    if intent == "membership_faq" and (
        (gives_count and ABOUT_MONEY.search(text)) or asks_share_price(text)
    ):
        return "ask_membership_cost"
    if (
        intent == "membership_faq"
        and WHAT_DOES_IT_COST.search(text)
        and MEMBERSHIP_WORDS.search(text)
        and not ABOUT_COURSES.search(text)
        and not RECURRING.search(text)
    ):
        return "ask_membership_cost"
    # "Sehr geehrtes KommunalCampus-Team, … weil ich jede Zahl von Hand zusammenzähle": neither the address
    # nor the noun "Zahl" asks what joining costs
    if (
        intent in NEED_LIKE_INTENTS
        and MEMBERSHIP_WORDS.search(body)
        # "welche finanzielle Beteiligung auf uns zukäme, wenn unsere Stadtverwaltung, die … zweitausendeins
        # Beschäftigte zählt, der Genossenschaft beitreten würde"
        and (COST_WORD.search(body) or (gives_count and ABOUT_MONEY.search(body)))
        and not ABOUT_COURSES.search(text)
        and not RECURRING.search(text)
    ):
        return "ask_membership_cost"
    if (
        intent in NEED_LIKE_INTENTS
        and NAMES_THE_COOPERATIVE.search(text)
        and FAQ_TOPIC_WORDS.search(text)
        and not ABOUT_COURSES.search(text)
    ):
        return "membership_faq"  # "welche Pflichten eine Kommune als Mitglied übernimmt": no course search
    if intent in ASKS_ABOUT_TIERS and COUNT_SUPPOSED.search(text) and parse_employee_count(text).ok:
        return "ask_membership_cost"
    # "weitere zur vergabe?", "mehr zum Absichern?": more offers, which no membership question starts with.
    if intent in FAQ_INTENTS and starts_with_more(text) and not MEMBERSHIP_WORDS.search(text):
        return "more_like"
    if intent in ASKS_ABOUT_TIERS and (shares_asked(text) is not None or compared_counts(text)):
        return "ask_membership_cost"
    if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and gives_count and (
        runner_up in MEMBERSHIP_INTENTS or COST_WORD.search(text)
    ):
        return "ask_membership_cost"
    if intent == "restart" and not text.startswith("/") and states_wish(text):
        return "refine"
    fees_question = COURSE_FEES_QUESTION.search(text) and not COURSES_ON_A_SUBJECT.search(text)
    if (intent in NEED_LIKE_INTENTS or intent == DEFAULT_NLU_FALLBACK_INTENT_NAME) and fees_question:
        return "membership_faq"  # "Ond d'Kurs selber, send die umsonscht?": no wish for free courses
    if intent in FAQ_INTENTS and COURSE_FEES_QUESTION.search(text):
        return None  # "Sind die Kurse für unsere Leute dann umsonst?": course fees for members, a FAQ
    subject = (
        COURSES_ON_A_SUBJECT.search(text) or NAMES_A_LAW.search(text) or ASKS_FOR_OFFERS_ON_IT.search(text)
    )
    # "friedhofsgebühren neu kalkulieren, letzte satzung ist von 2011": a municipal bylaw shares the word
    if intent in FAQ_INTENTS and (
        (subject and not MEMBERSHIP_WORDS.search(text)) or about_something_else(load_terms(), text)
    ):
        return "request_recommendations"
    if intent in ("thank", "goodbye") and not text.startswith("/") and states_wish(text):
        return "refine"
    about_cooperative = MEMBERSHIP_WORDS.search(text)
    if intent in FAQ_INTENTS and not text.startswith("/") and states_wish(text) and not about_cooperative:
        return "refine"
    if intent == "request_other_topics" and KNOWN_ALREADY.search(text) and not OTHER_TOPIC_WORDS.search(text):
        return "more_like"  # "Die kenn ich schon alle, gibts noch andere?": more on the same needs
    if intent in (DEFAULT_NLU_FALLBACK_INTENT_NAME, "out_of_scope") and only_greets(text):
        return "greet"  # "Servus mitanand, wia geht's eich heid?"
    if intent == "bot_challenge" and HUMAN_WISH.search(text):
        return "request_human"
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ContentRules(GraphComponent, IntentClassifier):
    """Applies ``corrected_intent`` to every message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ContentRules:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            current = message.get(INTENT) or {}
            others = [r.get("name") for r in intent_ranking(message) if r.get("name") != current.get("name")]
            runner_up = str(others[0]) if others else None
            name = corrected_intent(current.get("name"), str(message.get(TEXT) or ""), runner_up)
            if name is None:
                continue
            override_intent(message, name)
        return messages
