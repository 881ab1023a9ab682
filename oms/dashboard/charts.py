"""The home page's bar chart, drawn on the server as SVG geometry (no chart library in the browser)."""

from dataclasses import dataclass, field
from datetime import date

from oms.dashboard.selectors import DayCounts

# One colour per shop, in the order the shops are listed; the CSS legend uses the same classes.
SERIES_CLASSES = ["series-0", "series-1", "series-2", "series-3", "series-4", "series-5"]
WIDTH, HEIGHT = 1100, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 12, 28


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    css: str
    title: str


@dataclass
class Bar:
    x: float
    width: float
    day: date
    total: int
    segments: list[Segment] = field(default_factory=list)
    is_weekend: bool = False

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def top(self) -> float:
        return min((segment.y for segment in self.segments), default=HEIGHT - BOTTOM)


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    plot_left: int
    plot_right: int
    baseline: float
    series: list[tuple[str, str]]  # (css class, shop name) for the legend


def _nice_max(value: int) -> int:
    """A round axis maximum at or above value: 5, 10, 20, 50, 100, 200, …"""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            candidate = factor * magnitude
            if candidate >= max(value, 5):
                return candidate
        magnitude *= 10


def stacked_bar_chart(days: list[DayCounts], channels: list) -> BarChart:
    """Bars per day, stacked by shop (in the order of `channels`), scaled to the busiest day."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((day.total for day in days), default=0))
    scale = plot_height / top_value
    slot = plot_width / max(len(days), 1)
    classes = {channel.pk: SERIES_CLASSES[i % len(SERIES_CLASSES)] for i, channel in enumerate(channels)}
    names = {channel.pk: str(channel) for channel in channels}
    baseline = TOP + plot_height
    bars = []
    for index, day in enumerate(days):
        bar = Bar(
            x=round(LEFT + index * slot + slot * 0.15, 1),
            width=round(slot * 0.7, 1),
            day=day.day,
            total=day.total,
            is_weekend=day.day.weekday() >= 5,
        )
        y = baseline
        for channel in channels:
            count = day.per_channel.get(channel.pk, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            bar.segments.append(
                Segment(round(y, 1), round(height, 1), classes[channel.pk], f"{names[channel.pk]}: {count}")
            )
        bars.append(bar)
    ticks = [Tick(round(baseline - value * scale, 1), value) for value in (0, top_value // 2, top_value)]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        series=[(classes[c.pk], names[c.pk]) for c in channels],
    )
