"""Safety replies that fit what a message is about, and buttons whose answers go somewhere.

Through the real application (real Updates, a real database, the fake Bot API). Messages about abuse
and ketamine bladder signs carry reason codes that the screener being rewritten gives (``abuse``,
``ketamine_medical``); until it does, :func:`screener_gives` makes the real screener give them for the
test's own sentences only, at the edge where the gate reads it. Everything after that is real.
"""

from __future__ import annotations

import pytest

from bot.handlers import safety_gate
from bot.safety.screener import Level, Screening
from bot.safety.screener import screen as real_screen
from tests.harness import Harness

CRISIS = "I want to kill myself tonight"
ABUSE = "my partner hits me when he is drunk and I am scared to go home"
BLADDER = "it hurts to pee and there is some blood in it"
FRIEND = "My friend is not breathing"


def data(h: Harness, record) -> list[str]:
    return [d for _, d in h.buttons(record)]


@pytest.fixture
def screener_gives(monkeypatch):
    """Makes the screener give ``result`` for ``text`` (and screen every other message for real)."""
    given: dict[str, Screening] = {}

    def screen(text: str, lang: str = "en") -> Screening:
        return given.get(text) or real_screen(text, lang)

    monkeypatch.setattr(safety_gate, "screen", screen)
    return given.__setitem__


# -- the direct question and its four answers ----------------------------------------------------------
async def test_the_direct_question_offers_ok_yes_struggling_and_a_person(harness):
    h = harness
    await h.onboard(country="Ireland")
    h.send("I feel so hopeless")
    question = await h.answer("crisis.concern")
    assert data(h, question) == ["sf:ok", "sf:yes", "sf:no", "sf:person"]
    assert [label for label, _ in h.buttons(question)][0] == "No, I'm OK"


async def test_no_im_ok_is_thanked_and_the_door_left_open(harness):
    h = harness
    await h.onboard()
    h.send("I feel so hopeless")
    h.press(await h.answer("crisis.concern"), "No, I'm OK")
    ok = await h.answer("safety.ok")
    assert "/sos" in ok.text and not h.buttons(ok)


async def test_yes_gets_the_crisis_reply_and_the_care_team_is_told_after_the_flag(harness):
    h = harness
    await h.onboard(country="Ireland")
    h.send("I feel so hopeless")
    h.press(await h.answer("crisis.concern"), "Yes")
    reply = await h.answer("crisis.answered_body")  # words for a tapped answer
    assert not h.matches(reply.text, "crisis.crisis_body")
    assert "116 123" in reply.text and data(h, reply) == ["sf:safe", "sf:unsafe", "sf:person"]
    await h.answer("crisis.care_team_told")


async def test_struggling_gets_a_next_step_not_a_dead_end(harness):
    h = harness
    await h.onboard()
    h.send("I feel so hopeless")
    h.press(await h.answer("crisis.concern"), "No, but I'm struggling")
    reply = await h.answer("safety.concern_no")
    assert data(h, reply) == ["sf:ground", "sf:plan", "sf:person"]


async def test_talk_to_a_person_gives_lines_now_and_the_team_is_asked_once_the_flag_is_recorded(harness):
    h = harness
    await h.onboard(country="Ireland")
    h.send("I feel so hopeless")
    h.press(await h.answer("crisis.concern"), "Talk to a person")
    now = await h.answer("safety.person")
    assert "116 123" in now.text
    await h.answer("safety.team_asked")


# -- "I'm not safe" ends with a next step --------------------------------------------------------------
async def test_im_not_safe_ends_with_a_next_step_and_each_step_answers(harness):
    h = harness
    await h.onboard(country="Ireland")
    h.send(CRISIS)
    crisis = await h.answer("crisis.crisis_body")
    h.press(crisis, "I'm not safe")
    unsafe = await h.replies_until("safety.unsafe", number="112")
    assert h.matches(unsafe.text, "safety.next_step")
    assert data(h, unsafe) == ["sf:ground", "sf:plan", "sf:person"]
    h.press(unsafe, "Ground myself now")
    grounding = await h.replies_until("safety.grounding")
    assert data(h, grounding) == ["sf:plan", "sf:person"]
    h.press(grounding, "My safety plan")
    plan = await h.replies_until("safety.plan_none")  # no plan yet: how to make one
    assert data(h, plan) == ["sf:ground", "sf:person"]


async def test_my_safety_plan_button_shows_the_patients_own_plan(harness):
    h = harness
    await h.onboard()
    h.send("/safetyplan")
    await h.answer("safetyplan.intro", total=7)
    await h.answer("safetyplan.prompts.warning_signs")
    h.send("Not sleeping")
    h.press(await h.answer("safetyplan.added"), "Next")
    await h.answer("safetyplan.prompts.coping")
    h.send("Hot shower")
    h.press(await h.answer("safetyplan.added"), "Finish for now")
    await h.answer("safetyplan.saved_for_now")
    h.send(CRISIS)
    h.press(await h.answer("crisis.crisis_body"), "I'm not safe")
    h.press(await h.replies_until("safety.unsafe"), "My safety plan")
    plan = await h.replies_until("crisis.safety_plan_intro")
    assert "• Hot shower" in plan.text and h.matches(plan.text, "safety.plan_more")
    assert "• Not sleeping" not in plan.text  # warning signs are not what a crisis shows first


# -- someone else in danger ----------------------------------------------------------------------------
async def test_a_friend_not_breathing_gets_what_to_do_and_buttons_about_the_friend(harness):
    h = harness
    await h.onboard(country="United Kingdom")
    h.send(FRIEND)
    reply = await h.answer("crisis.other_emergency_first", number="999")
    assert "999" in reply.text.splitlines()[0]
    assert h.matches(reply.text, "crisis.other_emergency_body")
    assert data(h, reply) == ["sf:called", "sf:unsure", "sf:person", "sf:me"]
    assert "sf:safe" not in data(h, reply) and "sf:unsafe" not in data(h, reply)
    h.press(reply, "I don't know what to do")
    unsure = await h.replies_until("safety.other_unsure", number="999")
    assert data(h, unsure) == ["sf:called", "sf:person"]
    h.press(unsure, "I've called for help")
    called = await h.replies_until("safety.other_called")
    h.press(called, "I need help for myself too")
    await h.replies_until("crisis.answered_body")


# -- abuse against the patient -------------------------------------------------------------------------
async def test_abuse_gets_safe_words_and_the_countrys_verified_abuse_lines(harness, screener_gives):
    h = harness
    screener_gives(ABUSE, Screening(Level.CRISIS, ("abuse",)))
    await h.onboard(country="United States")
    h.send(ABUSE)
    reply = await h.answer("crisis.abuse_first", number="911")
    assert h.matches(reply.text, "crisis.abuse_body") and h.matches(reply.text, "crisis.abuse_privacy")
    assert "1-800-799-7233" in reply.text and "1-800-422-4453" in reply.text  # domestic violence, child
    assert "988" in reply.text  # and the crisis line
    assert not h.matches(reply.text, "crisis.crisis_body")
    assert "confront" not in reply.text.casefold()
    assert data(h, reply) == ["sf:safe", "sf:danger", "sf:person"]
    h.press(reply, "I'm in danger now")
    danger = await h.replies_until("safety.danger", number="911")
    assert "1-800-799-7233" in danger.text


async def test_abuse_where_no_abuse_line_is_verified_gives_the_emergency_number_and_the_directory(
    harness, screener_gives
):
    h = harness
    screener_gives(ABUSE, Screening(Level.CRISIS, ("abuse",)))
    await h.onboard(country="Ireland")
    h.send(ABUSE)
    reply = await h.answer("crisis.abuse_first", number="112")
    assert h.matches(reply.text, "crisis.directory", name="Find A Helpline", url="https://findahelpline.com")


async def test_abuse_in_spanish_names_the_016_line_in_spanish(harness, screener_gives):
    from sqlalchemy import select

    from bot.db.models import Patient

    h = harness
    screener_gives(ABUSE, Screening(Level.CRISIS, ("abuse",)))
    await h.onboard(country="Spain")
    await h.settle()
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        patient.language = "es"
    h.send(ABUSE)
    reply = await h.answer("crisis.abuse_first", lang="es", number="112")
    assert "016, atención a víctimas de violencia de género" in reply.text
    assert "gender-based" not in reply.text


# -- self-harm and ketamine bladder signs -------------------------------------------------------------
async def test_self_harm_gets_its_own_words_and_what_to_do_about_an_injury(harness):
    h = harness
    await h.onboard(country="Ireland")
    h.send("I cut myself again tonight")
    reply = await h.answer("crisis.self_harm_body")
    assert h.matches(reply.text, "crisis.self_harm_injury", number="112")
    assert data(h, reply) == ["sf:safe", "sf:unsafe", "sf:person"]


async def test_ketamine_bladder_signs_get_medical_advice_not_the_suicide_question(harness, screener_gives):
    h = harness
    screener_gives(BLADDER, Screening(Level.CONCERN, ("ketamine_medical",)))
    await h.onboard(country="Ireland")
    h.send(BLADDER)
    reply = await h.answer("crisis.ketamine_medical", number="112")
    assert not h.matches(reply.text, "crisis.concern")
    assert data(h, reply) == ["sf:person"]
    for word in ("dose", "mg", "taper"):
        assert word not in reply.text.casefold()


# -- Spanish names and a country without a verified line ------------------------------------------------
async def test_a_spanish_crisis_reply_names_spains_lines_in_spanish(harness):
    from sqlalchemy import select

    from bot.db.models import Patient

    h = harness
    await h.onboard(country="Spain")
    await h.settle()
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        patient.language = "es"
    h.send("me quiero matar esta noche")
    reply = await h.answer("crisis.crisis_body", lang="es")
    assert "024, línea de atención a la conducta suicida" in reply.text
    assert "suicidal behaviour helpline" not in reply.text
    assert "016" not in reply.text, "abuse lines belong to replies about abuse"


async def test_sos_in_peru_says_the_number_is_the_general_one_and_labels_the_directory(harness):
    h = harness
    await h.onboard(country="Peru")
    h.send("/sos")
    sos = await h.replies_until("sos.intro")
    assert h.matches(sos.text, "crisis.emergency_line_general", number="112")
    assert h.matches(sos.text, "crisis.directory", name="Find A Helpline", url="https://findahelpline.com")
    assert "other countries" not in sos.text


# -- which reply a screening gets, for reason codes the new screener gives ------------------------------
@pytest.mark.parametrize(
    ("level", "reasons", "expected"),
    [
        (Level.CRISIS, ("abuse",), "abuse"),
        (Level.CRISIS, ("abuse", "suicidal_ideation"), "abuse"),  # the abuse lines come first
        (Level.CRISIS, ("third_party", "suicidal_ideation"), "other"),  # "my brother says he'd be..."
        (Level.EMERGENCY, ("unresponsive_person",), "other"),
        (Level.CRISIS, ("self_harm",), "self_harm"),
        (Level.CONCERN, ("self_harm", "negated"), "self"),  # lowered: the gentle question
        (Level.CONCERN, ("ketamine_medical",), "ketamine_medical"),
        (Level.CRISIS, ("ketamine_medical", "suicidal_ideation"), "self"),
        (Level.CRISIS, ("cssrs",), "screener"),
        (Level.CRISIS, ("suicidal_ideation",), "self"),
    ],
)
def test_the_topic_of_a_screening(level, reasons, expected):
    from bot.safety.replies import topic

    assert topic(Screening(level, reasons)) == expected


async def test_someone_elses_danger_with_the_patients_own_words_offers_help_for_them_too(harness):
    """A third-party message is answered about the other person, with a button for the patient's own
    need; pressing it gives the patient's crisis reply."""
    reply, buttons = harness.services.crisis.reply(
        Screening(Level.CRISIS, ("third_party", "suicidal_ideation")), "en", "GB"
    )
    assert harness.matches(reply, "crisis.other_crisis_body", number="999")
    assert [b.callback_data for row in buttons.inline_keyboard for b in row][-1] == "sf:me"


def test_every_helpline_described_in_english_has_a_spanish_name():
    """A Spanish reply never names a line in English ("024, suicidal behaviour helpline"): every entry
    whose name is an English description gives ``names.es``; proper names (Samaritans) stay as they are."""
    import re as regex

    from bot.safety.helplines import HelplineBook
    from tests.harness import ROOT

    english = regex.compile(
        r"\b(line|helpline|hotline|national|ministry|suicide|suicidal|crisis|behaviour|violence|abuse|"
        r"support|second|number|ages|in|mental|health|need)\b",
        regex.IGNORECASE,
    )
    book = HelplineBook.load(ROOT / "content" / "helplines.toml")
    missing = [
        f"{code}: {h.name}"
        for code in book.countries()
        for h in book.for_country(code).helplines
        if english.search(h.name) and h.name_in("es") == h.name
    ]
    assert missing == []


async def test_my_safety_plan_while_the_database_is_down_says_so_and_offers_a_way_on(sqlite_harness):
    from tests.escalation.test_crisis_and_flags import database_down

    h = sqlite_harness
    await h.onboard(country="Ireland")
    h.send(CRISIS)
    crisis = await h.answer("crisis.crisis_body")
    h.press(crisis, "I'm not safe")
    unsafe = await h.replies_until("safety.unsafe", number="112")
    await h.settle()
    with database_down(h):
        h.press(unsafe, "My safety plan")
        plan = await h.replies_until("safety.plan_unreadable")  # never "your plan has nothing yet"
        assert data(h, plan) == ["sf:ground", "sf:person"]
    await h.settle(timeout=15)
    assert len([t for t in h.sent_texts() if h.matches(t, "safety.plan_unreadable")]) == 1
