"""Drawing the mood timeline: a chart for the terminal (plotext) and a PNG (matplotlib).

Both draw the same two lines over the same days: mood (valence, unpleasant … pleasant) and
energy (arousal, calm … activated), one point per day the person wrote. A day without
messages is a gap in the line, never a zero. Under the lines, in words, what each day (or
week, over a longer span) seemed to carry. Both libraries are imported only when a chart is
drawn, so that 'os1 --help' stays fast.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from os1.emotion.mood import DayMood, Trend

PANEL_ROWS = 11  # terminal rows per panel (frame, ticks and title included)
PER_DAY_UP_TO = 10  # days: over a longer span, the feelings are told week by week,
PER_WEEK_UP_TO = 84  # and beyond twelve weeks, month by month
WORDS_ON_PNG_UP_TO = 62  # days: over more, the image has no room for a word by each point
_RANK_WEIGHT = (1.0, 0.6, 0.35)  # a day's first, second and third emotion
MOOD_COLOUR, ENERGY_COLOUR = "magenta", "cyan"
MOOD_TICKS = ("unpleasant", "neutral", "pleasant")
ENERGY_TICKS = ("calm", "neutral", "activated")


@dataclass(frozen=True)
class MoodChart:
    """What both charts draw: the days with messages between ``first`` and ``last``."""

    days: list[DayMood]  # oldest first, only days with messages
    first: date  # the axis starts here (the first day with messages in the span)
    last: date  # and ends here (today)
    span: int  # the days asked for ('--days'), for the sentence about them
    summary: str

    @property
    def messages(self) -> int:
        return sum(d.messages for d in self.days)

    def based_on(self) -> str:
        n, k = self.messages, len(self.days)
        return (f"Based on {_plural(n, 'message')} of yours, on {k} of the last "
                f"{self.span} days." if self.span > 1 else
                f"Based on {_plural(n, 'message')} of yours today.")


def _plural(n: int, one: str) -> str:
    return f"{n} {one if n == 1 else one + 's'}"


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


# -- words ---------------------------------------------------------------------------------
def summary(days: list[DayMood], found: Trend | None) -> str:
    """One plain sentence: the change since last week if there is one, else the overall
    feel of the span."""
    if found is not None:
        return f"This week has been {found.direction} than last."
    total = sum(d.messages for d in days)
    if total == 0:
        return ""
    valence = sum(d.valence * d.messages for d in days) / total
    arousal = sum(d.arousal * d.messages for d in days) / total
    if valence >= 0.15:
        if arousal < 0.1:
            return "Mostly calm and content."
        return "Mostly bright and lively." if arousal >= 0.35 else "Mostly in good spirits."
    if valence <= -0.15:
        if arousal < 0.1:
            return "Mostly low and quiet."
        return "Mostly tense and on edge." if arousal >= 0.35 else "Mostly on the heavy side."
    if arousal >= 0.35:
        return "Mostly even, if a little restless."
    return "Mostly quiet and even." if arousal <= -0.2 else "Mostly even: neither up nor down."


def _strongest(group: list[DayMood]) -> list[str]:
    """The three emotions that stood out over several days (a day's first counts most)."""
    score: dict[str, float] = defaultdict(float)
    for d in group:
        for rank, label in enumerate(d.dominant[:3]):
            score[label] += d.messages * _RANK_WEIGHT[rank]
    return [k for k, _ in sorted(score.items(), key=lambda kv: -kv[1])[:3]]


def feelings(chart: MoodChart) -> list[tuple[str, list[str], int]]:
    """(when, the strongest emotions in words, messages), oldest first. Day by day over a
    short span; then in weeks ending today (as 'this week' means in the summary); over
    months, month by month."""
    length = (chart.last - chart.first).days + 1
    if length <= PER_DAY_UP_TO:
        return [(f"{d.day:%a} {_short(d.day)}", d.dominant, d.messages) for d in chart.days]
    groups: dict[int, list[DayMood]] = defaultdict(list)
    whens: dict[int, str] = {}
    for d in chart.days:
        if length <= PER_WEEK_UP_TO:
            key = -((chart.last - d.day).days // 7)
            end = chart.last + timedelta(days=7 * key)
            start = max(end - timedelta(days=6), chart.first)
            whens[key] = _short(start) if start == end else f"{_short(start)} – {_short(end)}"
        else:
            key = d.day.year * 12 + d.day.month
            whens[key] = f"{d.day:%B %Y}"
        groups[key].append(d)
    return [(whens[key], _strongest(groups[key]), sum(d.messages for d in groups[key]))
            for key in sorted(groups)]


def feelings_text(chart: MoodChart) -> str:
    rows = feelings(chart)
    wide = max(len(when) for when, _, _ in rows)
    lines = ["What you seemed to feel:"]
    for when, words, n in rows:
        said = ", ".join(words) if words else "nothing strong (neutral)"
        lines.append(f"  {when:<{wide}}  {said}  ({_plural(n, 'message')})")
    return "\n".join(lines)


# -- the terminal --------------------------------------------------------------------------
def _runs(chart: MoodChart) -> list[list[DayMood]]:
    """Consecutive days, each run drawn as its own line (a missing day is a gap)."""
    runs: list[list[DayMood]] = []
    for d in chart.days:
        if runs and (d.day - runs[-1][-1].day).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def _ticks(chart: MoodChart, room: int) -> tuple[list[int], list[str]]:
    """Day positions and their labels, as many as fit in ``room`` columns."""
    n = (chart.last - chart.first).days
    step = max(1, math.ceil((n + 1) / max(1, room // 9)))
    xs = list(range(n, -1, -step))[::-1]  # counted back from today, so today is labelled
    return xs, [_short(chart.first + timedelta(days=x)) for x in xs]


def terminal(chart: MoodChart, *, width: int, colour: bool) -> str:
    """The two panels as text, ``width`` columns wide. Without ``colour``, plain text (no
    escape codes at all)."""
    import plotext as plt

    label_width = max(len(t) for t in (*MOOD_TICKS, *ENERGY_TICKS))
    n = (chart.last - chart.first).days
    xs, labels = _ticks(chart, width - label_width - 4)
    plt.clear_figure()
    plt.subplots(2, 1)
    plt.plotsize(width, 2 * PANEL_ROWS)
    plt.theme("clear")
    panels = ((1, "mood: unpleasant … pleasant", "valence", MOOD_TICKS, MOOD_COLOUR),
              (2, "energy: calm … activated", "arousal", ENERGY_TICKS, ENERGY_COLOUR))
    for row, title, field, ticks, line_colour in panels:
        plt.subplot(row, 1)
        plt.title(title)
        for run in _runs(chart):
            x = [(d.day - chart.first).days for d in run]
            y = [float(getattr(d, field)) for d in run]
            if len(run) == 1:  # a day on its own: a dot, so it doesn't vanish
                plt.scatter(x, y, marker="●", color=line_colour)
            else:
                plt.plot(x, y, marker="hd", color=line_colour)
        plt.ylim(-1, 1)
        plt.yticks([-1, 0, 1], [t.rjust(label_width) for t in ticks])
        plt.xlim(-0.5 if n else -1, n + 0.5 if n else 1)
        plt.xticks(xs, labels)
    drawn = plt.build()
    plt.clear_figure()
    if not colour:
        drawn = plt.uncolorize(drawn)
    return "\n".join(line.rstrip() for line in drawn.splitlines())


# -- the image -----------------------------------------------------------------------------
def png(chart: MoodChart) -> bytes:
    """The same chart as a PNG image (matplotlib, Agg: no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = (chart.last - chart.first).days
    axis = [datetime.combine(chart.first + timedelta(days=i), time()) for i in range(n + 1)]
    by_day = {d.day: d for d in chart.days}
    figure = Figure(figsize=(10, 6.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    mood, energy = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    end = f"{_short(chart.last)} {chart.last.year}"
    figure.suptitle(f"Your mood, {_short(chart.first)} – {end}" if n else f"Your mood, {end}")
    panels = ((mood, "valence", MOOD_TICKS, "#b0407a", "mood"),
              (energy, "arousal", ENERGY_TICKS, "#2f7f9a", "energy"))
    for ax, field, ticks, line_colour, name in panels:
        values = [float(getattr(by_day[x.date()], field)) if x.date() in by_day else math.nan
                  for x in axis]  # NaN: matplotlib leaves a gap
        ax.plot(axis, values, "-o", color=line_colour, markersize=4 if n < 90 else 1.5,
                linewidth=1.8 if n < 90 else 1.0)
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.set_ylim(-1.08, 1.08)
        ax.set_yticks([-1, 0, 1], list(ticks))
        ax.set_ylabel(name)
        ax.grid(axis="x", color="#eeeeee")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for d in chart.days:  # the day's strongest feeling, in words, by its point
        if d.dominant and n < WORDS_ON_PNG_UP_TO:
            high = d.valence > 0.45
            mood.annotate(d.dominant[0], (datetime.combine(d.day, time()), d.valence),
                          xytext=(0, -7 if high else 7), textcoords="offset points",
                          rotation=90, ha="center", va="top" if high else "bottom",
                          fontsize=7, color="#444444",
                          bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                "alpha": 0.8})
    xs, labels = _ticks(chart, 110)  # about ten dates along the bottom
    energy.set_xticks([axis[0] + timedelta(days=x) for x in xs], labels)
    half = timedelta(hours=12) if n else timedelta(days=1)
    energy.set_xlim(axis[0] - half, axis[-1] + half)
    energy.set_xlabel(f"{chart.summary}  {chart.based_on()}".strip())
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
