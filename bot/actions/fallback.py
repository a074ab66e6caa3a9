"""German replacements for Rasa's fallback actions used by ``action_two_stage_fallback``.

- ``action_default_ask_affirmation``: "Meinten Sie …?" with buttons for the most likely intents (German labels
  from the domain response ``utter_intent_labels``), keeping the entities of the unclear message, plus
  "Nichts davon" (``/out_of_scope``, which makes Rasa ask the user to rephrase).
- ``action_default_fallback``: after the second failed attempt (or a low-confidence core prediction) say
  so and, within the two-stage fallback, offer a hand-over to a person (``utter_offer_handoff``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, FollowupAction, UserUtteranceReverted, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import response_custom, search_client
from bot.actions.membership import (
    ANNUAL_FEES,
    MEMBERSHIP_INTENTS,
    STATUTE,
    answered_cost_last_turn,
    answered_membership_last_turn,
    asks_membership_cost,
    detect_unknown_topic,
    load_terms,
    names_head_count,
    parse_employee_count,
)
from bot.actions.needs import content_words, needs_in_message, stated_role
from bot.actions.parsing import last_reply, real_skills, states_wish
from bot.actions.privacy import asked_to_confirm, confirmation_answer
from bot.actions.recommendations import PREFERENCE_ENTITIES
from german.dialect import standard_function_words
from german.numbers import ORDINAL_STEMS_AND_ENDINGS, ordinal_in_text
from german.requests import (
    ABOUT_COURSES,
    ABOUT_MONEY,
    COUNT_SUPPOSED,
    DELETE_WISH,
    HUMAN_WISH,
    MEMBERSHIP_WORDS,
    MORE_CUE,
    NO_TOPIC_ANSWER,
    SUPPOSITION,
    WOULD_BE_QUESTION,
    asks_for_yearly_money,
)

logger = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
# Never offered as a clarification: not a real wish (fallback, out of scope) or retrieval intents whose
# sub-intent cannot be expressed as a button payload.
NOT_SUGGESTED = {"nlu_fallback", "out_of_scope", "chitchat", "membership_faq", "affirm", "deny", "skip"}
# Intents that all start the profile form: a tie between two of them is no real ambiguity.
PROFILE_START_INTENTS = {"inform_role", "inform_skill_gap", "request_recommendations"}
# Intents a follow-up about membership is misread as ("und laufend?" taken for a course search).
NEED_LIKE_INTENTS = PROFILE_START_INTENTS | {"refine"}
# The FallbackClassifier threshold (config.yml): below it the message is unclear, not merely ambiguous.
MIN_CONFIDENCE = 0.3
# After offers these intents are what an unsure message most likely means, if the best guess is one of them.
AFTER_OFFERS_INTENTS = {"more_like", "refine", "ask_details"}
MIN_AFTER_OFFERS_CONFIDENCE = 0.2
# An unsure message is taken as a need when it has this many topic words and its best (profile) intent leads
# every other kind of intent by this margin.
MIN_NEED_WORDS = 2
MIN_NEED_MARGIN = 0.1
# bot/nlu/unknown_vocabulary.py predicts nlu_fallback with this confidence when no word of the message is
# known (the FallbackClassifier's own fallback carries its threshold): gibberish, never reinterpreted.
UNKNOWN_WORDS_CONFIDENCE = 1.0


def unknown_words(parse_data: dict[str, Any]) -> bool:
    """The NLU found not a single known word in the message ("xqzv blorp fnord", but also unseen technical
    terms such as "Genehmigungsfreistellung")."""
    intent = parse_data.get("intent") or {}
    confidence = float(intent.get("confidence") or 0.0)
    return intent.get("name") == "nlu_fallback" and confidence >= UNKNOWN_WORDS_CONFIDENCE


async def catalog_knows(text: str) -> bool:
    """The course catalog knows a word of the text: the search finds a course that contains one of its words
    (its verdict "no good match" is no help here: character n-grams of "xqzv" resemble "XÖV"). Gibberish
    gets "nicht verstanden", not "Zu xqzv blorp … habe ich nichts gefunden"."""
    try:
        answer = await search_client.search(text, k=3)
    except search_client.SearchUnavailable:
        return True  # the recommendation that follows says that the search is down
    results = [r for r in answer.get("results") or [] if isinstance(r, dict)]
    return any(r.get("matched") for r in results)


def entity_payload(entities: list[dict[str, Any]]) -> str:
    """JSON object for a ``/intent{...}`` payload from NLU entities (several values -> list)."""
    grouped: dict[str, list[Any]] = {}
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if name and value is not None:
            grouped.setdefault(name, []).append(value)
    if not grouped:
        return ""
    return json.dumps({k: v[0] if len(v) == 1 else v for k, v in grouped.items()}, ensure_ascii=False)


def suggested_intents(
    parse_data: dict[str, Any], labels: dict[str, str], limit: int = MAX_SUGGESTIONS
) -> list[str]:
    """Most likely intents of an unclear message that have a German label, best first."""
    ranking = parse_data.get("intent_ranking") or []
    suggestions: list[str] = []
    for candidate in ranking:
        name = candidate.get("name")
        if name and name not in NOT_SUGGESTED and name in labels and name not in suggestions:
            suggestions.append(name)
        if len(suggestions) >= limit:
            break
    return suggestions


def affirmation_buttons(parse_data: dict[str, Any], labels: dict[str, Any]) -> list[dict[str, str]]:
    intent_labels = labels.get("intents") or {}
    entities = entity_payload(parse_data.get("entities") or [])
    buttons = [
        {"title": str(intent_labels[name]), "payload": f"/{name}{entities}"}
        for name in suggested_intents(parse_data, intent_labels)
    ]
    none_label = labels.get("none_of_these")
    if none_label:
        buttons.append({"title": str(none_label), "payload": "/out_of_scope"})
    return buttons


def ranking_without_fallback(parse_data: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in parse_data.get("intent_ranking") or [] if c.get("name") != "nlu_fallback"]


def same_consequence_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """The top intent of an ambiguous message whose two best intents lead to the same dialogue step.

    "Ich bin beim Ordnungsamt, die Leute werden oft laut" ranks inform_role and inform_skill_gap almost
    equally; both start the profile form, so asking "Meinten Sie …?" would only cost the user a turn.
    """
    ranking = ranking_without_fallback(parse_data)
    if len(ranking) < 2 or float(ranking[0].get("confidence") or 0.0) < MIN_CONFIDENCE:
        return None
    if {ranking[0].get("name"), ranking[1].get("name")} <= PROFILE_START_INTENTS:
        return ranking[0]
    return None


def need_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """A message the NLU was unsure about that states a need and whose best intent starts the profile form:
    taken as that intent ("Griaß Gott, i schaff aufm Bauhof … I krieg die Tabell ned hin"), so the need
    gets offers instead of "Meinten Sie …?"."""
    ranking = ranking_without_fallback(parse_data)
    text = str(parse_data.get("text") or "")
    about_cooperative = bool(MEMBERSHIP_WORDS.search(text))
    if not about_cooperative and not ABOUT_MONEY.search(text):
        # "und was für die jungs wegen rücken heben und tragen die haben alle kreuzweh" ranked a membership
        # FAQ first: a message without a word about the cooperative or money asks no membership question.
        ranking = [c for c in ranking if c.get("name") not in MEMBERSHIP_INTENTS]
    if not ranking or ranking[0].get("name") not in PROFILE_START_INTENTS:
        return None
    best = float(ranking[0].get("confidence") or 0.0)
    # A membership intent is no rival for a message that says nothing about the cooperative ("Steueramt:
    # Grundsteuer, Gewerbesteuer, und wie läuft die Vollstreckung, wenn keiner zahlt?").
    no_rivals = set(PROFILE_START_INTENTS)
    if not about_cooperative:
        no_rivals |= MEMBERSHIP_INTENTS
    other = max(
        (float(c.get("confidence") or 0.0) for c in ranking if c.get("name") not in no_rivals),
        default=0.0,
    )
    if best - other < MIN_NEED_MARGIN:
        return None  # "Was kostet ein Kurs für uns?": courses or membership? Ask.
    needs = needs_in_message(text)
    if sum(len(content_words(need)) for need in needs) < MIN_NEED_WORDS:
        return None
    return ranking[0]


# A short message that names only where the person works ("gleichstellungsbeauftragte hier", "friedhofsamt").
MAX_ROLE_ONLY_WORDS = 6


def role_only_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure short message that only states the role: the role, so the assistant asks for the topic
    next instead of "Meinten Sie …?" (the first thing many people type is where they work)."""
    text = str(parse_data.get("text") or "")
    if len(text.split()) > MAX_ROLE_ONLY_WORDS or MEMBERSHIP_WORDS.search(text) or text.startswith("/"):
        return None
    if stated_role(text) is None or needs_in_message(text):
        return None
    return {"name": "inform_role", "confidence": 1.0}


# "gibts no mehr?", "noch weitere?": a few words that ask for more and name nothing else.
MAX_MORE_WORDS = 5


_NO_MORE = re.compile(r"\bno\s+(?=mehr|meh|weitere|was)", re.IGNORECASE)  # Bairisch "no mehr": "noch mehr"


def _asks_only_for_more(text: str) -> bool:
    standard = standard_function_words(_NO_MORE.sub("noch ", text))
    return (
        len(text.split()) <= MAX_MORE_WORDS
        and bool(MORE_CUE.search(standard))
        and not states_wish(text)
        and not content_words(standard)
    )


def after_offers_intent(parse_data: dict[str, Any], offers_shown: bool) -> dict[str, Any] | None:
    """After offers, an unsure message that asks for more of them or narrows them ("Gibt's aach noch
    annere?", "Das Format ist mir gleich … Gibt es noch mehr?"): taken as that, since those intents only make
    sense here and a wrong guess costs no more than a list of offers."""
    if not offers_shown:
        return None
    ranking = ranking_without_fallback(parse_data)[:2]
    text = str(parse_data.get("text") or "")
    for candidate in ranking:
        if candidate.get("name") == "more_like" and MORE_CUE.search(text):
            return candidate
    if _asks_only_for_more(text):
        return {"name": "more_like", "confidence": 1.0}
    if ranking and ranking[0].get("name") in AFTER_OFFERS_INTENTS:
        if float(ranking[0].get("confidence") or 0.0) >= MIN_AFTER_OFFERS_CONFIDENCE:
            return ranking[0]
    return None


# "wos is beim erstn genau dabei?": a short question about one offer; longer messages say more than that.
MAX_DETAIL_WORDS = 12


def details_intent(parse_data: dict[str, Any], offers_shown: bool) -> dict[str, Any] | None:
    """After offers, an unsure short message that names one of them by its position ("Was koschtet denn des
    zwoite?", "wos is beim erstn genau dabei?"): the details of that offer (``action_show_details`` reads the
    ordinal from the text when the NLU did not tag it)."""
    text = str(parse_data.get("text") or "")
    if not offers_shown or len(text.split()) > MAX_DETAIL_WORDS or ordinal_in_text(text) is None:
        return None
    if states_wish(text, parse_data.get("entities") or []):
        return None
    return {"name": "ask_details", "confidence": 1.0}


def wish_intent(parse_data: dict[str, Any], need_known: bool) -> dict[str, Any] | None:
    """An unsure message that states a wish about offers while a need is known ("Am besten online, die sitzen
    eh alle am Rechner.", "Lieber was für Anfänger, ich bin ja ganz neu in der Rolle.", "Danke! Was davon ist
    online?"): a refinement, since that is what such a message does here; "Meinten Sie …?" would only cost a
    turn. Not for a membership question ("Ist die Mitgliedschaft kostenlos?")."""
    if not need_known:
        return None
    text = str(parse_data.get("text") or "")
    if not states_wish(text, parse_data.get("entities") or []):
        return None
    ranking = ranking_without_fallback(parse_data)
    if ranking and ranking[0].get("name") in MEMBERSHIP_INTENTS and MEMBERSHIP_WORDS.search(text):
        return None
    refine = next((c for c in ranking if c.get("name") == "refine"), None)
    return refine or {"name": "refine", "confidence": MIN_CONFIDENCE}


def confirmation_intent(
    parse_data: dict[str, Any], events: list[dict[str, Any]], clear_yes_only: bool = False
) -> dict[str, Any] | None:
    """An answer to "Soll ich Ihre Angaben … wirklich löschen?" that plainly says yes or no ("Ja, bitte
    löschen."), whatever intent it got: that answer; "Meinten Sie …?" or a course search would make deleting
    one's data a puzzle. ``clear_yes_only`` as in ``confirmation_answer``."""
    if not asked_to_confirm(events):
        return None
    answer = confirmation_answer(str(parse_data.get("text") or ""), clear_yes_only)
    return {"name": answer, "confidence": 1.0} if answer else None


def follow_up_count_intent(parse_data: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Right after a share calculation, an unsure message with another head count ("Und falls wir nächstes
    Jahr eine Person mehr haben, also 501?") asks for that count's tier."""
    if not answered_cost_last_turn(events):
        return None
    if not parse_employee_count(str(parse_data.get("text") or "")).ok:
        return None
    return {"name": "inform_employee_count", "confidence": 1.0}


def no_topic_intent(parse_data: dict[str, Any], requested_slot: Any) -> dict[str, Any] | None:
    """An unsure answer to the topic question that names no topic ("Keine Ahnung, irgendwas, was mir im Job
    hilft"): the button "Weiß ich noch nicht" (``skip``), which shows offers many colleagues chose."""
    text = str(parse_data.get("text") or "")
    if requested_slot != "skill_gaps" or not NO_TOPIC_ANSWER.search(text) or needs_in_message(text):
        return None
    return {"name": "skip", "confidence": 1.0}


def delete_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure message that asks to delete what is stored ("dann löschts bittschön ois, wos ihr über mi
    gspeichert habts"): the delete request, which asks for confirmation first."""
    if DELETE_WISH.search(str(parse_data.get("text") or "")):
        return {"name": "delete_my_data", "confidence": 1.0}
    return None


def human_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure message that asks to talk to a person ("kann ich da mal mit nem echten Menschen schnacken?",
    "Können Sie mich mit jemandem verbinden, der …"): the hand-over, which asks for consent first."""
    if HUMAN_WISH.search(str(parse_data.get("text") or "")):
        return {"name": "request_human", "confidence": 1.0}
    return None


def membership_faq_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure message whose best guess is a membership FAQ and which speaks of the cooperative: that FAQ
    (its answer is already chosen by the response selector); the clarification buttons cannot offer it."""
    ranking = ranking_without_fallback(parse_data)
    if not ranking or ranking[0].get("name") != "membership_faq":
        return None
    if float(ranking[0].get("confidence") or 0.0) < MIN_CONFIDENCE:
        return None
    return ranking[0] if MEMBERSHIP_WORDS.search(str(parse_data.get("text") or "")) else None


def membership_cost_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """A tie between a membership FAQ and the cost question for a message asking what membership costs
    ("… soll herausfinden, was eine Mitgliedschaft in der KommunalCampus eG kostet"): the cost question."""
    ranking = ranking_without_fallback(parse_data)[:2]
    if {c.get("name") for c in ranking} != {"membership_faq", "ask_membership_cost"}:
        return None
    if not asks_membership_cost(str(parse_data.get("text") or "")):
        return None
    return next(c for c in ranking if c.get("name") == "ask_membership_cost")


def head_count_cost_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure message that gives the number of employees and asks about shares or money ("servus, mir san
    a gmoa mit fuchzig beschäftigten. wia vui anteile brauch ma?"): the calculation, which is what it asks."""
    text = str(parse_data.get("text") or "")
    if names_head_count(text) and (MEMBERSHIP_WORDS.search(text) or ABOUT_MONEY.search(text)):
        if not ABOUT_COURSES.search(text):
            return {"name": "ask_membership_cost", "confidence": 1.0}
    return None


def unknown_topic_intent(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    """An unsure message whose best guess is about membership and which asks what the sources do not say ("Ist
    die Stadt Weinheim eigentlich schon Mitglied bei Ihnen?", "un kommt dann jedes jahr noch was obbedruff?"):
    the honest "Das weiß ich nicht" (for yearly fees with what is known: one-off shares, no direct costs) and
    the offer of a hand-over, as for a sure one."""
    ranking = ranking_without_fallback(parse_data)
    text = str(parse_data.get("text") or "")
    topic = detect_unknown_topic(load_terms(), text)
    # The statute is the cooperative's whatever the best guess ("… wenn Sie mir den Satzungstext zukommen
    # lassen könnten, damit unser Rechtsamt die Beschlussvorlage vorbereiten kann"); a municipal bylaw is
    # no such topic (terms.yml, "unless").
    statute = topic is not None and topic.id == STATUTE
    if not ranking or (ranking[0].get("name") not in MEMBERSHIP_INTENTS and not statute):
        return None
    yearly_fees = asks_for_yearly_money(text) and not ABOUT_COURSES.search(text)
    if (topic is not None and topic.id != ANNUAL_FEES) or yearly_fees:
        return {"name": "membership_unknown", "confidence": 1.0}
    return None


def clarified_message(parse_data: dict[str, Any], intent: dict[str, Any]) -> list[EventType]:
    """Events that replace the unclear user message by the same message with the given intent."""
    clarified = {
        **parse_data,
        "intent": intent,
        "intent_ranking": ranking_without_fallback(parse_data),
    }
    return [
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        UserUttered(str(parse_data.get("text") or ""), parse_data=clarified),
    ]


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer the likely meanings as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        parse_data = tracker.latest_message or {}
        if asked_to_confirm(tracker.events) and not confirmation_answer(str(parse_data.get("text") or "")):
            # A question instead of yes or no ("ähm warte, gehen dann auch meine Kursanmeldungen verloren?"):
            # the confirmation question again, which says what would be deleted; never read as a yes.
            dispatcher.utter_message(response="utter_ask_delete_confirm")
            return [UserUtteranceReverted()]
        form_active = (tracker.active_loop or {}).get("name") not in (None, "action_two_stage_fallback")
        offers_shown = bool(tracker.get_slot("last_results"))
        role_only = None if form_active else role_only_intent(parse_data)
        need_known = offers_shown or bool(real_skills(tracker.get_slot("skill_gaps")))
        intent = (
            no_topic_intent(parse_data, tracker.get_slot("requested_slot"))
            or human_intent(parse_data)
            or delete_intent(parse_data)
        ) or (
            None
            if form_active
            else details_intent(parse_data, offers_shown)
            or wish_intent(parse_data, need_known)
            or same_consequence_intent(parse_data)
            or need_intent(parse_data)
            or role_only
            or after_offers_intent(parse_data, offers_shown)
            or membership_cost_intent(parse_data)
            or head_count_cost_intent(parse_data)
            or unknown_topic_intent(parse_data)
            or membership_faq_intent(parse_data)
        )
        # A role-only message names its unit in a word the catalog need not know ("friedhofsamt").
        if intent is not None and intent is not role_only and unknown_words(parse_data):
            if not await catalog_knows(str(parse_data.get("text") or "")):
                intent = None
        if intent is not None:
            return clarified_message(parse_data, intent)
        labels = response_custom(domain, "utter_intent_labels")
        buttons = affirmation_buttons(parse_data, labels)
        if len(buttons) <= 1:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []


def in_two_stage_fallback(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == "action_two_stage_fallback"


# What the classifier says of a message it does not place. Only from these is a head count right after a
# calculation re-read ("ok angenommen 2001, was dann?" -> out of scope; "Wir sind 30 im Bürgeramt, was gibt's
# zu Excel?" stays a course search), and only from these may a yes to the delete question start with "ok".
UNPLACED_INTENTS = {"nlu_fallback", "out_of_scope", "chitchat"}
# Intents that already answer the delete question (or ask for a person instead): never re-read as yes or no.
CONFIRMATION_INTENTS = {"affirm", "deny", "delete_my_data", "request_human"}


# "ist das zweite davon online?", "beim erstn", "Nr. 3": one offer named by its position, in a question.
NAMED_OFFER_QUESTION = re.compile(
    r"(?:\b(?:das|der|die|den|dem|des|beim|vom|zum|am)\s+(?:"
    + "|".join(sorted(ORDINAL_STEMS_AND_ENDINGS, key=len, reverse=True))
    + r")\b(?!\s+(?:mal|male|schritt|tag|woche|monat|jahr|h(?:ä|ae)lfte))|\bnr\.?\s*\d)[^.!]*\?",
    re.IGNORECASE,
)


# Words that ask for more about an offer (a need-like reading of a question about one offer shown).
ASKS_FOR_DETAILS = re.compile(
    r"\b(?:details?|informationen|infos?|genauer\w*|inhalte?|n(?:ä|ae)her\w*|beschreibung|erfahren)\b",
    re.IGNORECASE,
)


# Actions whose reply keeps the last list under discussion (the list itself, or the details of one offer).
OFFER_ACTIONS = frozenset({"action_recommend", "action_show_details"})


def offers_last_turn(events: list[dict[str, Any]]) -> bool:
    """The assistant's reply to the previous message showed offers or the details of one ("Was koschtet des
    zwoite?" … "Und ist das erste davon online?")."""
    return any(e.get("event") == "action" and e.get("name") in OFFER_ACTIONS for e in last_reply(events))


def membership_follow_up_intent(text: str) -> dict[str, Any] | None:
    """The membership intent of a follow-up the classifier took for a need, right after a membership answer:
    "und laufend? ich muss das in den haushalt einplanen" asks what nobody knows, "also was kostet das dann"
    after "5 Geschäftsanteile" asks for the calculation; None for anything else."""
    if detect_unknown_topic(load_terms(), text) is not None:
        return {"name": "membership_unknown", "confidence": 1.0}
    if ABOUT_MONEY.search(text):
        return {"name": "ask_membership_cost", "confidence": 1.0}
    return None


def answer_in_context(parse_data: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The intent a message has as the answer to the assistant's last step, whatever the classifier said: a
    plain yes or no to the delete question ("Jo, dat is so. Allens weg, bitte." taken for a course search),
    another head count right after a calculation, a question about one of the offers just shown ("ist das
    zweite davon online?" taken for a wish); None otherwise. Called for every message by
    ``bot.policies.answer_in_context`` (before any rule answers it)."""
    intent = (parse_data.get("intent") or {}).get("name")
    found = None
    if intent not in CONFIRMATION_INTENTS:
        found = confirmation_intent(parse_data, events, clear_yes_only=intent not in UNPLACED_INTENTS)
    text = str(parse_data.get("text") or "")
    about_one_offer = NAMED_OFFER_QUESTION.search(text) and (
        intent == "refine" or (intent in NEED_LIKE_INTENTS and ASKS_FOR_DETAILS.search(text))
    )
    if found is None and about_one_offer:
        # "Und ist das zweite davon online oder muss ich dafür reisen?", "Würden Sie mir zum ersten Vorschlag
        # bitte noch genauere Informationen geben, insbesondere ob die Veranstaltung in Präsenz stattfindet?"
        found = {"name": "ask_details", "confidence": 1.0} if offers_last_turn(events) else None
    if found is None and (
        intent in UNPLACED_INTENTS
        or (COUNT_SUPPOSED.search(text) and not ABOUT_COURSES.search(text))
        # "und unsere nachbarstadt hat 2001 beschäftigte, was wäre das bei denen?" taken for a FAQ
        or (
            intent in ("membership_faq", "membership_unknown")
            and (WOULD_BE_QUESTION.search(text) or SUPPOSITION.search(text))
        )
        # "… mit einer Nachbargemeinde, die exakt 50 Beschäftigte hat, wüsste ich gern, was es für diese
        # bedeuten würde" (after a calculation) read as a course search
        or (intent in NEED_LIKE_INTENTS and MEMBERSHIP_WORDS.search(text) and WOULD_BE_QUESTION.search(text))
    ):
        # "ond wenn mir nächschts Johr auf 501 kommet, …?" read as a course search: a count supposed
        found = follow_up_count_intent(parse_data, events)
    if (
        found is None
        and (intent in UNPLACED_INTENTS or intent in NEED_LIKE_INTENTS)
        and not ABOUT_COURSES.search(text)
        and answered_membership_last_turn(events)
    ):
        found = membership_follow_up_intent(text)
    # A message that already has the intent it has in context is left to the rules (never re-issued again).
    return None if found is None or found["name"] == intent else found


class ActionAnswerInContext(Action):
    """Replace the latest message by the same message with the intent it has in context (predicted by
    ``AnswerInContextPolicy`` only when ``answer_in_context`` finds one); the rules then answer it."""

    def name(self) -> str:
        return "action_answer_in_context"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        parse_data = tracker.latest_message or {}
        intent = answer_in_context(parse_data, tracker.events)
        if intent is None:  # the policy saw other events than this action: ask instead of guessing
            logger.warning("action_answer_in_context predicted, but the message answers no step in context")
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        if intent["name"] == "ask_details":
            # "… insbesondere ob die Veranstaltung in Präsenz stattfindet?" asks about one offer: "Präsenz"
            # there is no wish for the offers to come
            wish_entities = set(PREFERENCE_ENTITIES.values())
            entities = [e for e in parse_data.get("entities") or [] if e.get("entity") not in wish_entities]
            parse_data = {**parse_data, "entities": entities}
        return clarified_message(parse_data, intent)


class ActionDefaultFallback(Action):
    """Give up politely; inside the two-stage fallback also offer to hand over to a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not in_two_stage_fallback(tracker):
            # Low-confidence prediction outside the fallback loop: just ask to rephrase.
            dispatcher.utter_message(response="utter_ask_rephrase")
            return [UserUtteranceReverted()]
        text = str((tracker.latest_message or {}).get("text") or "")
        if asked_to_confirm(tracker.events) and confirmation_answer(text) == "deny":
            # "ok, dann lieber doch nicht löschen" after a question in between: nothing is deleted, and the
            # person is told so instead of "nicht verstanden" (a yes is never taken here: deleting needs a
            # clear answer to the question itself).
            dispatcher.utter_message(response="utter_delete_cancelled")
            return [UserUtteranceReverted()]
        dispatcher.utter_message(response="utter_default")
        if "utter_offer_handoff" in (domain.get("responses") or {}):
            # Reverting the unclear messages keeps them out of the dialogue state; the follow-up action makes
            # "ja" after the offer reach the handoff rules (which start from utter_offer_handoff).
            return [UserUtteranceReverted(), FollowupAction("utter_offer_handoff")]
        return [UserUtteranceReverted()]
