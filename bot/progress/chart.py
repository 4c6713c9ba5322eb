"""The mood and craving chart: a PNG that reads well on a phone held upright.

Two lines (mood: solid, circles; craving: dashed, squares) on a 0-10 scale over the last 30 local days,
a gap where a day has no check-in, a shaded band and a triangle on each day with a slip, large text and
a legend. Colours are from the Okabe-Ito palette (distinguishable with colour blindness) and the lines
also differ in dash and marker, so the chart still reads in grey.

Rendering uses matplotlib's object API with the Agg canvas (no pyplot, no global figure state), one
chart at a time (matplotlib is not thread-safe), in a worker thread so the event loop keeps running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from bot.progress.stats import DayScores

MOOD_COLOUR = "#0072B2"  # blue
CRAVING_COLOUR = "#D55E00"  # vermillion
SLIP_COLOUR = "#CC79A7"  # reddish purple
WIDTH_IN, HEIGHT_IN, DPI = 7.2, 9.0, 150  # 1080 x 1350 pixels, a 4:5 portrait image
_lock = threading.Lock()
_warm = False


@dataclass(frozen=True)
class ChartText:
    """Every word on the chart, in the patient's language (from content/)."""

    title: str
    subtitle: str
    mood: str
    craving: str
    slip: str
    no_data: str
    today: str
    months: tuple[str, ...]  # 12 short month names
    day_format: str  # e.g. "{day} {month}"

    def day_label(self, day: dt.date) -> str:
        return self.day_format.format(day=day.day, month=self.months[day.month - 1])


def render_png(days: Sequence[DayScores], text: ChartText) -> bytes:
    """Draws the chart and returns PNG bytes (blocking: call :func:`render` from async code)."""
    with _lock:
        fig = figure(days, text)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
        return buffer.getvalue()


def figure(days: Sequence[DayScores], text: ChartText):
    """The chart as a matplotlib Figure on an Agg canvas (tests inspect it; :func:`render_png` saves it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.12, 0.08, 0.80, 0.66))
    _draw(fig, ax, days, text)
    return fig


def warm_up() -> None:
    """Imports matplotlib and loads its fonts once per process, so the first patient does not wait."""
    global _warm
    if _warm:
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _lock:
        fig = Figure(figsize=(1, 1), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.text(0.1, 0.5, "0", fontsize=18)
        fig.text(0.1, 0.2, "0", fontsize=18, fontweight="bold")
        fig.canvas.draw()
        _warm = True


async def render(days: Sequence[DayScores], text: ChartText) -> bytes:
    """Renders in a worker thread so the bot keeps answering while the chart is drawn."""
    return await asyncio.to_thread(render_png, list(days), text)


def _draw(fig, ax, days: Sequence[DayScores], text: ChartText) -> None:
    xs = list(range(len(days)))
    mood = [math.nan if d.mood is None else d.mood for d in days]
    craving = [math.nan if d.craving is None else d.craving for d in days]
    for x, day in zip(xs, days, strict=True):
        if day.slip:
            ax.axvspan(x - 0.5, x + 0.5, color=SLIP_COLOUR, alpha=0.38, linewidth=0, zorder=1)
            ax.plot(
                [x],
                [1.035],
                marker="v",
                markersize=16,
                color=SLIP_COLOUR,
                transform=ax.get_xaxis_transform(),  # y in axes height: just above the plot
                clip_on=False,
                zorder=4,
            )
    ax.plot(xs, mood, color=MOOD_COLOUR, linewidth=4, marker="o", markersize=11, label=text.mood, zorder=3)
    ax.plot(
        xs,
        craving,
        color=CRAVING_COLOUR,
        linewidth=4,
        linestyle=(0, (4, 1.5)),
        marker="s",
        markersize=10,
        label=text.craving,
        zorder=3,
    )
    _axes(ax, days, text)
    _legend(fig, ax, text, any(d.slip for d in days))
    fig.text(0.04, 0.955, text.title, fontsize=_fit(text.title, 25, 30), fontweight="bold", va="top")
    fig.text(0.04, 0.905, text.subtitle, fontsize=_fit(text.subtitle, 17, 52), color="#444444", va="top")
    if all(math.isnan(v) for v in mood + craving):
        ax.text(len(days) / 2, 5, text.no_data, fontsize=20, ha="center", va="center", color="#444444")


def _axes(ax, days: Sequence[DayScores], text: ChartText) -> None:
    ax.set_ylim(-0.6, 10.6)  # room for whole markers at 0 and 10
    ax.spines["left"].set_bounds(0, 10)
    ax.set_yticks(range(0, 11, 2))
    ax.set_xlim(-0.7, len(days) - 0.3)
    last = len(days) - 1
    ticks = list(range(last, -1, -7))[::-1]  # today and every 7 days back
    ax.set_xticks(ticks)
    labels = [text.day_label(days[i].day) for i in ticks]
    ax.set_xticklabels([*labels[:-1], text.today])
    ax.tick_params(axis="both", labelsize=18, length=6, width=1.5)
    ax.grid(axis="y", color="#dddddd", linewidth=1.2)
    ax.grid(axis="x", color="#eeeeee", linewidth=1)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(1.5)


def _legend(fig, ax, text: ChartText, any_slip: bool) -> None:
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = [
        Line2D([], [], color=MOOD_COLOUR, linewidth=4, marker="o", markersize=11, label=text.mood),
        Line2D(
            [],
            [],
            color=CRAVING_COLOUR,
            linewidth=4,
            linestyle=(0, (4, 1.5)),
            marker="s",
            markersize=10,
            label=text.craving,
        ),
    ]
    if any_slip:
        handles.append(Patch(facecolor=SLIP_COLOUR, alpha=0.5, label=text.slip))
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.02, 0.875),
        ncol=len(handles) if len(text.mood + text.craving + text.slip) <= 24 else 2,  # long words: 2 rows
        fontsize=19,
        frameon=False,
        handlelength=2.4,
        columnspacing=1.4,
    )


def _fit(line: str, size: float, chars: int) -> float:
    """A font size at which ``line`` fits the width (``chars`` characters fit at ``size``)."""
    return size if len(line) <= chars else max(12.0, size * chars / len(line))
