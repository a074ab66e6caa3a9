"""The intranet widget in a real browser against the real stack: accessibility (axe, keyboard), rendering of
hostile catalog and user text, identity and continuity across reloads and pages, privacy controls.

Runs its own stack on a small catalog (every Excel offer, a spread of others and one offer whose texts try to
inject HTML), with the demo host page and its development token issuer, exactly as ``make run`` serves them.
Screenshots of the panel (320 px and 1280 px wide) are written to var/test-artifacts/ for people to look at.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import jwt
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright
from widget_browser import (
    CREATED_ELEMENTS,
    FOCUS,
    HOST_PAGE,
    INJECTION,
    SIDEWAYS_SCROLL,
    TYPING_ANIMATION,
    WCAG_AA,
    launch_chromium,
)
from widget_helpers import stored_user_texts, widget_request

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts"
ROLE_AND_TOPIC = "Ich bin Sachbearbeiterin im Bürgeramt und möchte Excel lernen"
TIMEOUT = 90_000  # ms; one dialogue turn on a busy two-core machine


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


class Widget:
    """One person's browser tab on the demo host page, with the widget's parts found by role and name."""

    def __init__(self, page: Page, stack) -> None:
        self.page = page
        self.stack = stack
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.launcher = page.get_by_role("button", name="KommunalCampus-Assistent")
        self.panel = page.get_by_role("dialog", name="KommunalCampus-Assistent")
        self.log = page.get_by_role("log", name="Gesprächsverlauf")
        self.input = page.get_by_role("textbox", name="Ihre Nachricht")
        self.alert = page.get_by_role("alert")

    def open_page(self, path: str = "") -> Widget:
        self.page.goto(self.stack.web_url + path)
        expect(self.launcher).to_be_visible()
        return self

    def open_panel(self) -> Widget:
        self.launcher.click()
        expect(self.log).to_contain_text("Wobei kann ich Ihnen helfen", timeout=TIMEOUT)
        return self

    def bot_messages(self) -> int:
        return self.page.locator(".kc-msg--bot, .kc-card").count()

    def send(self, text: str, wait_for: str | None = None) -> None:
        before = self.bot_messages()
        self.input.fill(text)
        self.input.press("Enter")
        if wait_for:
            expect(self.log).to_contain_text(wait_for, timeout=TIMEOUT)
        else:
            expect(self.page.locator(".kc-msg--bot, .kc-card")).not_to_have_count(before, timeout=TIMEOUT)
        expect(self.page.locator(".kc-typing")).to_have_count(0, timeout=TIMEOUT)

    def reach_offers(self) -> None:
        """Role and topic in one message: the offers come at once (no format question before them)."""
        self.send(ROLE_AND_TOPIC, wait_for="Möchten Sie mehr zu einem Angebot erfahren")

    def axe_violations(self) -> list[str]:
        results = Axe().run(self.page, options=WCAG_AA)
        return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]

    def focus(self) -> dict | None:
        return self.page.evaluate(FOCUS)


@pytest.fixture
def widget(browser, widget_stack):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    yield Widget(context.new_page(), widget_stack)
    context.close()


def new_person(browser, widget_stack, **context_options) -> Widget:
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "de-DE", **context_options}
    return Widget(browser.new_context(**options).new_page(), widget_stack)


# --- accessibility ------------------------------------------------------------------------------------------
def test_axe_finds_no_wcag_aa_violation_in_any_state(widget):
    widget.open_page()
    assert widget.axe_violations() == [], "launcher closed"
    widget.open_panel()
    assert widget.axe_violations() == [], "panel open with greeting"
    widget.reach_offers()
    expect(widget.page.locator(".kc-card")).to_have_count(5)
    assert widget.axe_violations() == [], "panel with 5 offer cards"

    widget.page.route("**/webhooks/widget/webhook", lambda route: route.abort())
    widget.input.fill("Gibt es das auch in Präsenz?")
    widget.input.press("Enter")
    expect(widget.alert).to_contain_text("nicht erreichbar", timeout=TIMEOUT)
    assert widget.axe_violations() == [], "assistant not reachable"
    widget.page.unroute("**/webhooks/widget/webhook")

    # The intranet session ends; the next page asks for a token (the panel opens again) and is refused.
    widget.page.request.post(widget.stack.web_url + "dev-logout", max_redirects=0)
    widget.page.reload()
    expect(widget.alert).to_contain_text("Sitzung ist abgelaufen", timeout=TIMEOUT)
    expect(widget.input).to_be_disabled()
    assert widget.axe_violations() == [], "session expired"
    assert widget.errors == []


def test_keyboard_only_from_launcher_to_an_offer_and_back(widget):
    widget.open_page()
    for _ in range(15):
        widget.page.keyboard.press("Tab")
        focused = widget.focus()
        if focused and focused["cls"] == "kc-launcher":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    assert focused["expanded"] == "false"
    widget.page.keyboard.press("Enter")
    expect(widget.log).to_contain_text("Wobei kann ich Ihnen helfen", timeout=TIMEOUT)
    assert widget.focus()["tag"] == "input"

    widget.page.keyboard.type(ROLE_AND_TOPIC)
    widget.page.keyboard.press("Enter")
    expect(widget.page.locator(".kc-card")).to_have_count(5, timeout=TIMEOUT)
    expect(widget.page.locator(".kc-typing")).to_have_count(0, timeout=TIMEOUT)

    for _ in range(40):  # backwards from the input: quick replies, then the last card's buttons
        widget.page.keyboard.press("Shift+Tab")
        focused = widget.focus()
        if focused and focused["inCard"] and focused["tag"] == "button":
            break
    else:
        pytest.fail("Shift+Tab never reached a button on an offer card")
    pressed = focused["text"]
    cards_before = widget.page.locator(".kc-card").count()
    widget.page.keyboard.press("Enter")
    expect(widget.page.locator(".kc-msg--user").last).to_contain_text(pressed)
    expect(widget.page.locator(".kc-msg--bot, .kc-card")).not_to_have_count(cards_before, timeout=TIMEOUT)

    widget.page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert widget.focus() == {"tag": "button", "text": "KommunalCampus-Assistent", "cls": "kc-launcher",
                              "inCard": False, "expanded": "false"}


def test_panel_is_usable_at_320_px_and_at_200_percent_zoom(browser, widget_stack):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # 320 px wide, and a 1280x800 window at 200 % zoom
    sizes = {"320": {"width": 320, "height": 640}, "zoom200": {"width": 640, "height": 400}}
    for name, viewport in sizes.items():
        person = new_person(browser, widget_stack, viewport=viewport)
        person.open_page().open_panel()
        page = person.page
        if name == "320":
            page.screenshot(path=str(ARTIFACTS / "widget-320-greeting.png"))
        person.reach_offers()
        for control in (person.input, page.get_by_role("button", name="Senden"),
                        page.get_by_role("button", name="Chat schließen")):
            box = control.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (name, box)
        assert page.evaluate(SIDEWAYS_SCROLL) <= 0, f"horizontal scrolling in the panel at {name}"
        if name == "320":
            page.screenshot(path=str(ARTIFACTS / "widget-320.png"))
        page.context.close()


def test_screenshot_at_1280_px(widget):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    widget.open_page().open_panel()
    widget.page.screenshot(path=str(ARTIFACTS / "widget-1280-greeting.png"))
    widget.reach_offers()
    widget.page.screenshot(path=str(ARTIFACTS / "widget-1280.png"))
    assert (ARTIFACTS / "widget-1280.png").stat().st_size > 10_000


def test_reduced_motion_stops_the_typing_animation(widget):
    widget.page.emulate_media(reduced_motion="reduce")
    widget.open_page()
    assert widget.page.evaluate(TYPING_ANIMATION) == "none"


# --- isolation and hostile text -----------------------------------------------------------------------------
def test_widget_adds_no_globals_and_no_styles_to_the_host_page(browser, widget_stack):
    bare = new_person(browser, widget_stack)
    bare.page.route("**/kc-widget.js", lambda route: route.abort())
    bare.page.goto(widget_stack.web_url)
    without = bare.page.evaluate(HOST_PAGE)
    with_widget = new_person(browser, widget_stack).open_page()
    assert with_widget.page.evaluate(HOST_PAGE) == without
    assert with_widget.page.locator("#kc-assistant-widget").get_attribute("lang") == "de"


def test_html_in_catalog_offers_and_user_messages_is_shown_as_text(widget):
    widget.open_page().open_panel()
    widget.send("<script>alert(1)</script>")
    expect(widget.page.locator(".kc-msg--user").last).to_have_text("Sie: <script>alert(1)</script>")
    widget.send("Ich bin Sachbearbeiterin im Bürgeramt und möchte Excel-Listen prüfen",
                wait_for="Möchten Sie mehr zu einem Angebot erfahren")
    # The offer may already have come up for the first message (its text contains "script" and "alert"):
    # the card of the Excel question is the last one that shows it.
    injected = widget.page.locator(".kc-card").filter(has_text=INJECTION)
    expect(injected.first).to_be_visible()
    card = injected.last
    expect(card.get_by_role("heading")).to_contain_text(f"Excel-Listen prüfen {INJECTION}")
    expect(card).to_contain_text("Testakademie <b onmouseover=alert(3)>fett</b>")
    card.get_by_role("button", name="Details").click()
    description = f"Fehler in Excel-Listen finden {INJECTION} und beheben"
    expect(widget.log).to_contain_text(description, timeout=TIMEOUT)
    expect(widget.log).to_contain_text("<script>alert(2)</script>")
    widget.page.wait_for_timeout(500)  # give a (wrongly) created <img> time to fail and fire onerror
    # Nothing was created in the widget; the page has only the widget's own <script> tag.
    assert widget.page.evaluate(CREATED_ELEMENTS) == [0, 1]
    assert widget.dialogs == [] and widget.errors == []


# --- identity, continuity, privacy --------------------------------------------------------------------------
def test_reload_and_another_page_continue_the_conversation_and_nobody_else_sees_it(browser, widget_stack):
    anna = new_person(browser, widget_stack).open_page().open_panel()
    anna.reach_offers()
    title_link = anna.page.locator(".kc-card").nth(1).get_by_role("heading").get_by_role("link")
    second_title = title_link.evaluate("link => link.firstChild.textContent")
    anna.page.reload()  # the panel stays open across pages of the same tab
    expect(anna.log).to_contain_text(ROLE_AND_TOPIC, timeout=TIMEOUT)
    expect(anna.page.locator(".kc-card")).to_have_count(5)
    anna.send("Details zu Nr. 2", wait_for="Nr. 2:")
    details = anna.page.locator(".kc-msg--bot").last.inner_text()
    assert second_title in details  # the offers shown before the reload are still known

    anna.page.goto(widget_stack.web_url + "seite-2.html")
    expect(anna.log).to_contain_text("Details zu Nr. 2", timeout=TIMEOUT)

    ben = new_person(browser, widget_stack).open_page().open_panel()
    expect(ben.log).not_to_contain_text(ROLE_AND_TOPIC)
    assert ben.page.locator(".kc-msg--user").count() == 0


def test_too_many_messages_are_explained_in_the_panel(browser, widget_stack):
    carla = new_person(browser, widget_stack).open_page().open_panel()
    token = carla.page.request.post(widget_stack.web_url + "dev-token").json()["token"]  # Carla's own token
    for _ in range(20):  # 20 messages a minute are allowed; these are refused for length but counted
        widget_request(widget_stack.rasa_url, "webhook", {"message": "x" * 2001}, token,
                       origin=widget_stack.widget_origin)
    carla.input.fill("Hallo")
    carla.input.press("Enter")
    expect(carla.alert).to_contain_text("zu viele Nachrichten", timeout=TIMEOUT)
    expect(carla.input).to_have_value("Hallo")  # kept for sending again later


def test_privacy_notice_and_deleting_my_data_with_confirmation(browser, widget_stack):
    dora = new_person(browser, widget_stack).open_page()
    dora.launcher.click()
    expect(dora.page.get_by_text("speichern wir Ihre Nachrichten")).to_be_visible()
    expect(dora.log).to_contain_text("Wobei kann ich Ihnen helfen", timeout=TIMEOUT)
    dora.send("Ich bin Kämmerin und suche etwas zu Haushaltsrecht")
    token = dora.page.request.post(widget_stack.web_url + "dev-token").json()["token"]
    status, history, _ = widget_request(widget_stack.rasa_url, "history", {}, token,
                                        origin=widget_stack.widget_origin)
    assert status == 200 and any("Kämmerin" in m.get("text", "") for m in history["messages"])

    dora.page.get_by_role("button", name="Meine Daten löschen").click()
    dora.page.get_by_role("button", name="Abbrechen").click()  # first thought better of it
    expect(dora.log).to_contain_text("Kämmerin")
    dora.page.get_by_role("button", name="Meine Daten löschen").click()
    dora.page.get_by_role("button", name="Ja, löschen").click()
    expect(dora.log).to_contain_text("Ich habe Ihre Angaben und den gespeicherten Gesprächsverlauf gelöscht",
                                     timeout=TIMEOUT)
    expect(dora.log).not_to_contain_text("Kämmerin")
    dora.page.reload()
    expect(dora.log).to_contain_text("gelöscht", timeout=TIMEOUT)
    expect(dora.log).not_to_contain_text("Kämmerin")
    subject = jwt.decode(token, options={"verify_signature": False})["sub"]
    assert all("Kämmerin" not in (text or "") for text in stored_user_texts(widget_stack.tracker_db, subject))


def test_demo_host_page_embeds_the_widget_with_the_admin_snippet(widget_stack):
    with urllib.request.urlopen(widget_stack.web_url, timeout=10) as response:
        page = response.read().decode()
    assert f'<script src="{widget_stack.rasa_url}/webhooks/widget/kc-widget.js"' in page
    assert 'data-token-url="/dev-token"' in page and 'lang="de"' in page
