"""The mood and craving chart: a portrait PNG with gaps, slip marks, a legend and local dates, drawn off
the event loop. Prints the time to draw one chart."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
import time

import numpy
from PIL import Image

from bot.progress import chart
from bot.progress.stats import daily_scores

TODAY = dt.date(2026, 11, 21)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TEXT = chart.ChartText(
    title="Mood and craving",
    subtitle="Last 30 days, 0 = lowest, 10 = highest",
    mood="Mood",
    craving="Craving",
    slip="Slip",
    no_data="No check-ins in these 30 days",
    today="Today",
    months=MONTHS,
    day_format="{day} {month}",
)


def ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def sample_days(slips: tuple[dt.date, ...] | None = None):
    slips = (ago(4),) if slips is None else slips
    checkins = [(ago(n), 3 + n % 6, 8 - n % 7) for n in range(30) if n not in (6, 7, 8, 15)]
    return daily_scores(TODAY, sorted(checkins), list(slips))


def pixels_of(png: bytes, colour: str) -> int:
    """How many pixels are (nearly) the given colour."""
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    image = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((abs(image - numpy.array(target)) <= 6).all(axis=2).sum())


def test_png_is_portrait_and_large_enough_for_a_phone():
    png = chart.render_png(sample_days(), TEXT)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.size == (
        1080,
        1350,
    )  # 4:5 portrait; Telegram keeps it sharp (longest side <= 1280 after scaling)
    assert len(png) < 1_000_000


def test_lines_have_gaps_on_days_without_a_checkin_and_slips_are_marked():
    fig = chart.figure(sample_days(slips=(ago(4), ago(20))), TEXT)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    mood, craving = lines["Mood"].get_ydata(), lines["Craving"].get_ydata()
    assert len(mood) == 30 and len(craving) == 30
    for n in (6, 7, 8, 15):  # no check-in those days: a gap in both lines
        assert math.isnan(mood[29 - n]) and math.isnan(craving[29 - n])
    assert mood[29] == 3 and craving[29] == 8  # today is the last point
    assert lines["Mood"].get_marker() == "o" and lines["Craving"].get_marker() == "s"
    assert lines["Mood"].get_linestyle() != lines["Craving"].get_linestyle()
    slip_marks = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert sorted(line.get_xdata()[0] for line in slip_marks) == [29 - 20, 29 - 4]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Mood", "Craving", "Slip"]


def test_x_axis_shows_local_dates_ending_with_today():
    fig = chart.figure(sample_days(), TEXT)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["24 Oct", "31 Oct", "7 Nov", "14 Nov", "Today"]


def test_no_slip_no_slip_legend_and_empty_chart_says_so():
    fig = chart.figure(daily_scores(TODAY, [], []), TEXT)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Mood", "Craving"]
    assert TEXT.no_data in [t.get_text() for t in fig.axes[0].texts]
    png = chart.render_png(daily_scores(TODAY, [], []), TEXT)
    assert pixels_of(png, chart.SLIP_COLOUR) == 0


def test_colours_are_drawn():
    png = chart.render_png(sample_days(), TEXT)
    assert pixels_of(png, chart.MOOD_COLOUR) > 2000
    assert pixels_of(png, chart.CRAVING_COLOUR) > 2000
    assert pixels_of(png, chart.SLIP_COLOUR) > 100  # the slip triangle (the band is translucent)


def test_long_labels_in_another_language_still_draw():
    spanish = chart.ChartText(
        title="Estado de ánimo y ganas de consumir durante el último mes",
        subtitle="Últimos 30 días, 0 = lo más bajo, 10 = lo más alto, sin registro = hueco",
        mood="Estado de ánimo",
        craving="Ganas de consumir",
        slip="Consumo",
        no_data="Sin registros",
        today="Hoy",
        months=("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
        day_format="{day} {month}",
    )
    fig = chart.figure(sample_days(), spanish)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for text in fig.texts:  # title and subtitle fit the width
        box = text.get_window_extent(renderer)
        assert box.x1 <= fig.bbox.width, text.get_text()
    assert fig.legends[0].get_window_extent(renderer).x1 <= fig.bbox.width


async def test_drawing_runs_off_the_event_loop_and_time_is_reported():
    days = sample_days()
    chart.render_png(days, TEXT)  # the first chart pays matplotlib's import and font cache
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    start = time.perf_counter()
    pngs = await asyncio.gather(*(chart.render(days, TEXT) for _ in range(4)))
    elapsed = time.perf_counter() - start
    task.cancel()
    assert all(p[:4] == b"\x89PNG" for p in pngs)
    assert ticks >= 5, "the event loop must keep running while charts are drawn"
    print(f"\nchart: {elapsed / 4 * 1000:.0f} ms per chart (4 drawn one at a time in a worker thread)")
