"""Progress figures from plain dates: days since the quit date, streaks that survive a slip, check-ins.

The counting rule, said plainly to the patient: days are whole local days. "Days since the quit date"
is today minus the quit date: 0 on the quit date itself, 1 the day after. The quit date is "day 1"
(:attr:`Progress.day_number`, as in the check-in reply), so day N has N - 1 days behind it. A slip on
day S ends the streak running then; the next streak starts on S + 1. A slip never erases history:
earlier streaks keep their length and every day without a slip still counts. Slips before the quit
date (use before quitting) or after today (a wrong clock) do not change the figures.

Nothing here touches the database or Telegram: the queries are in ``bot.repos.progress``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Progress:
    today: dt.date
    quit_date: dt.date | None
    # The four day counts are None unless the quit date is set and not in the future.
    days_since_quit: int | None
    current_streak: int | None
    longest_streak: int | None
    days_without_use: int | None
    streak_start: dt.date | None  # the day the current streak started (tomorrow after a slip today)
    slip_days: int  # distinct days with a slip, from the quit date to today
    checkins: int  # completed check-ins
    checkin_streak: int  # local days in a row with a completed check-in, up to today or yesterday

    @property
    def status(self) -> str:
        """``not_set`` (no quit date), ``upcoming`` (a quit date still ahead) or ``started``."""
        if self.quit_date is None:
            return "not_set"
        return "upcoming" if self.quit_date > self.today else "started"

    @property
    def day_number(self) -> int | None:
        """Today's day of recovery: 1 on the quit date (None without a started quit date)."""
        return None if self.days_since_quit is None else self.days_since_quit + 1

    @property
    def days_until_quit(self) -> int | None:
        if self.quit_date is None or self.quit_date <= self.today:
            return None
        return (self.quit_date - self.today).days


def slips_counted(quit_date: dt.date, slip_days: Iterable[dt.date], today: dt.date) -> list[dt.date]:
    """The distinct slip days that count: from the quit date to today, in order."""
    return sorted({d for d in slip_days if quit_date <= d <= today})


def streaks(quit_date: dt.date, slip_days: Iterable[dt.date], today: dt.date) -> list[int]:
    """Every streak's length in whole days, oldest first; the last one is the current streak.

    A streak that a slip ended counts the days from its start to the day before the slip; the current
    one counts the days from its start to yesterday (today counts once it is over).
    """
    start, lengths = quit_date, []
    for slip in slips_counted(quit_date, slip_days, today):
        lengths.append(max(0, (slip - start).days))
        start = slip + ONE_DAY
    lengths.append(max(0, (today - start).days))
    return lengths


def current_streak_start(quit_date: dt.date, slip_days: Iterable[dt.date], today: dt.date) -> dt.date:
    counted = slips_counted(quit_date, slip_days, today)
    return counted[-1] + ONE_DAY if counted else quit_date


def checkin_streak(days: Iterable[dt.date], today: dt.date) -> int:
    """Consecutive local days with a completed check-in, ending today, or yesterday if today has none."""
    done = {d for d in days if d <= today}
    end = today if today in done else today - ONE_DAY
    count = 0
    while end - dt.timedelta(days=count) in done:
        count += 1
    return count


def compute(
    today: dt.date,
    quit_date: dt.date | None,
    slip_days: Iterable[dt.date],
    checkin_days: Iterable[dt.date],
) -> Progress:
    """All the figures /progress shows. ``checkin_days`` has one entry per completed check-in."""
    slips = list(slip_days)
    checkins = [d for d in checkin_days if d <= today]
    check_streak = checkin_streak(checkins, today)
    if quit_date is None or quit_date > today:
        return Progress(today, quit_date, None, None, None, None, None, 0, len(checkins), check_streak)
    lengths = streaks(quit_date, slips, today)
    counted = slips_counted(quit_date, slips, today)
    days_since = (today - quit_date).days
    before_today = sum(1 for d in counted if d < today)
    return Progress(
        today=today,
        quit_date=quit_date,
        days_since_quit=days_since,
        current_streak=lengths[-1],
        longest_streak=max(lengths),
        days_without_use=days_since - before_today,
        streak_start=current_streak_start(quit_date, slips, today),
        slip_days=len(counted),
        checkins=len(checkins),
        checkin_streak=check_streak,
    )


@dataclass(frozen=True)
class DayScores:
    """One local day of the chart: the day's check-in answers (None = no check-in) and a slip mark."""

    day: dt.date
    mood: float | None
    craving: float | None
    slip: bool


def daily_scores(
    today: dt.date,
    checkins: Iterable[tuple[dt.date, int | None, int | None]],
    slip_days: Iterable[dt.date],
    days: int = 30,
) -> list[DayScores]:
    """The last ``days`` local days up to today, oldest first.

    ``checkins`` are (local date, mood, craving) of completed check-ins in the order they were completed;
    when a day has several, the last one's answers are the day's. Scores are clamped to 0-10.
    """
    first = today - dt.timedelta(days=days - 1)
    by_day: dict[dt.date, tuple[float | None, float | None]] = {}
    for day, mood, craving in checkins:
        if first <= day <= today:
            by_day[day] = (_score(mood), _score(craving))
    slips = {d for d in slip_days if first <= d <= today}
    out = []
    for n in range(days):
        day = first + dt.timedelta(days=n)
        scores = by_day.get(day, (None, None))
        out.append(DayScores(day, scores[0], scores[1], day in slips))
    return out


def _score(value: int | None) -> float | None:
    return None if value is None else float(min(10, max(0, value)))


def averages(scores: Iterable[DayScores]) -> tuple[float | None, float | None]:
    """Mean mood and mean craving over the days that have them (None when none has)."""
    rows = list(scores)
    moods = [s.mood for s in rows if s.mood is not None]
    cravings = [s.craving for s in rows if s.craving is not None]
    return (
        sum(moods) / len(moods) if moods else None,
        sum(cravings) / len(cravings) if cravings else None,
    )
