"""``kill -9`` of the real bot process: no update is lost, none is answered twice, flows resume.

The fake Bot API runs in the test's event loop, so the test can stop the bot at exact points: while
replies wait to be sent (their update committed as handled, the reply in the outbox; or the update
still stored, maybe confirmed, not handled yet), or right after a getUpdates response has been handed
out (the bot may not have stored it). At every getUpdates call the test checks, in the bot's database,
that each update the offset confirms is stored, or answered, or its reply is waiting in the outbox.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.conftest import BotProcess, HookedApi, Patient

pytestmark = pytest.mark.e2e


class Ledger:
    """Every update pushed, and the check that an offset only ever confirms stored updates."""

    def __init__(self, api: HookedApi, bot: BotProcess, content) -> None:
        self.api, self.bot, self.content = api, bot, content
        self.pushed: list[tuple[int, int]] = []  # (update_id, chat_id), in push order
        self.violations: list[str] = []
        self.checked = 0
        api.before.append(self._check_offset)

    def push(self, chat_id: int, text: str = "hello") -> int:
        update_id = self.api.push_message(chat_id, text)
        self.pushed.append((update_id, chat_id))
        return update_id

    def expected(self) -> Counter[int]:
        return Counter(chat for _, chat in self.pushed)

    def replies(self) -> Counter[int]:
        return Counter(r.chat_id for r in self.api.sent if r.method == "sendMessage")

    def _check_offset(self, method: str, params: dict) -> None:
        """Runs as a getUpdates call arrives: updates below the offset must be stored or answered."""
        offset = int(params.get("offset") or 0) if method == "getUpdates" else 0
        if offset <= 0 or not self.bot.db_path.exists():
            return
        self.checked += 1
        stored = set(self.bot.inbound_statuses())  # read first: a row deleted now was answered before
        queued = self.bot.queued_replies()  # then the outbox: a reply leaves it only once it was sent
        last = self.bot.last_stored_update_id()
        replies = self.replies() + queued
        seen: Counter[int] = Counter()
        for update_id, chat in self.pushed:
            seen[chat] += 1
            if update_id >= offset:
                continue
            answered = replies[chat] >= seen[chat]  # replies come in order within a chat
            if update_id not in stored and not answered:
                self.violations.append(
                    f"offset {offset} confirmed update {update_id}, neither stored nor answered"
                )
        if last is None or last < offset - 1:
            self.violations.append(f"offset {offset} confirmed past the stored last_update_id {last}")

    async def wait_all_answered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(self.replies()[c] < n for c, n in self.expected().items()):
            if loop.time() > deadline:
                raise TimeoutError(f"replies {dict(self.replies())}, expected {dict(self.expected())}")
            await asyncio.sleep(0.02)


async def _wait(predicate, timeout: float = 5.0, what: str = "condition") -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.01)


async def test_updates_survive_sigkill_and_are_answered_exactly_once(api, bot, content):
    ledger = Ledger(api, bot, content)
    await bot.start()

    # A: handled and committed before any kill; must never be answered again.
    for chat in (101, 102, 103):
        ledger.push(chat)
    await ledger.wait_all_answered()
    await bot.wait_store_empty()

    # B: stored and confirmed, the bot mid-handling (its replies held in sendMessage): kill -9.
    # Each update of round B is then either still stored, or handled with its reply in the outbox.
    api.hold("sendMessage")
    round_b = [ledger.push(chat) for chat in (111, 111, 112, 112, 113)]
    await _wait(lambda: api.held >= 1, what="a reply being sent")
    await _wait(lambda: max(api.offsets) > max(round_b), what="the offset confirming round B")
    await bot.kill()
    pending, queued = set(bot.pending_update_ids()), bot.queued_replies()
    for chat in (111, 112, 113):
        of_chat = [u for u, c in ledger.pushed if c == chat and u in round_b]
        assert len([u for u in of_chat if u in pending]) + queued[chat] == len(of_chat)
    assert queued, "a reply was committed and waits in the outbox"
    assert not any(ledger.replies()[c] for c in (111, 112, 113))

    # C: pushed while the bot is down; each restart is killed right after a getUpdates response
    # carrying updates has been handed out (before, during or after the bot stores them).
    def kill_on_handout(delay: float):
        def hook(method: str, params: dict, envelope: dict) -> None:
            if method == "getUpdates" and envelope.get("result"):
                asyncio.get_running_loop().call_later(delay, bot.sigkill)

        return hook

    for round_no, delay in enumerate((0.0, 0.005, 0.03)):
        for chat in (111, 121 + round_no, 131):
            ledger.push(chat)
        hook = kill_on_handout(delay)
        api.after.append(hook)
        await bot.start(wait_polling=False)
        await bot.wait_exit()
        api.after.remove(hook)

    # D: one more message while down, then a clean restart with sends flowing again.
    ledger.push(141)
    api.release()
    await bot.start()
    await ledger.wait_all_answered()
    await asyncio.sleep(0.5)  # time for any duplicate to show up
    await bot.wait_store_empty()

    assert ledger.replies() == ledger.expected(), "each update answered exactly once"
    need_start = Patient(api, content, 0)
    for record in api.sent:
        if record.method == "sendMessage":
            assert need_start.matches(record.text or "", "common.need_start"), record.text
    assert bot.pending_update_ids() == []
    assert bot.query("SELECT count(*) FROM inbound_updates") == [(0,)]
    assert ledger.checked >= 5 and ledger.violations == []
    confirmed = [o for o in api.offsets if o > 0]
    assert confirmed == sorted(confirmed), "the offset never moves back"
    await _wait(lambda: api.updates == [], what="every update confirmed to the Bot API")
    assert bot.last_stored_update_id() == max(u for u, _ in ledger.pushed)


async def test_flow_resumes_at_the_step_where_the_bot_was_killed(api, bot, content):
    await bot.start()
    me = Patient(api, content, chat_id=7101)
    me.send("/start")
    await me.answer("onboarding.welcome")
    consent = await me.answer("onboarding.privacy_notice")
    me.press(consent, "I agree")
    assert me.matches((await me.past_language_step()).text or "", "onboarding.step_country")
    me.send("Ireland")
    await me.answer("onboarding.step_timezone")
    await bot.wait_store_empty()

    # Killed at rest on the timezone step: the next answer is taken as the timezone.
    await bot.kill()
    await bot.start()
    api.hold("sendMessage")
    me.send("Europe/Dublin")
    await _wait(lambda: api.held >= 1, what="the timezone answer being handled")

    # Killed again while the reply to that answer was being sent (the answer committed, its reply in
    # the outbox): after the restart the answer is not handled again, and the substance question,
    # sent from the outbox, is asked once.
    await bot.kill()
    api.release()
    await bot.start()
    step = await me.answer("onboarding.step_substance")
    me.press(step, "Ketamine")
    await me.answer("onboarding.step_quit")
    await bot.wait_store_empty()

    texts = [r.text or "" for r in me.sent()]
    assert sum(me.matches(t, "onboarding.step_substance") for t in texts) == 1
    assert sum(me.matches(t, "onboarding.step_timezone") for t in texts) == 1
    assert bot.query("SELECT country, timezone, substance FROM patients WHERE chat_id = ?", me.chat_id) == [
        ("IE", "Europe/Dublin", "ketamine")
    ]
    assert bot.query("SELECT step FROM flow_states") == [("quit",)]
    assert bot.pending_update_ids() == []
    assert bot.query("SELECT count(*) FROM inbound_updates") == [(0,)]
