"""Server-drawn SVG bar charts with a text equivalent, for figures people would rather see.

``bar_chart()`` computes the geometry; templates/includes/bar_chart.html draws it and
adds a data table, so screen readers and printouts get the same numbers.
"""

from dataclasses import dataclass

ROW = 36
CHAR_WIDTH = 15  # a CJK character at the chart's 14px font, with a little room
BAR_AREA = 200
VALUE_GAP = 8


@dataclass
class Bar:
    label: str
    value: int
    y: int
    width: int
    label_width: int

    @property
    def text_y(self):
        return self.y + ROW // 2 + 5

    @property
    def value_x(self):
        return self.label_width + self.width + VALUE_GAP


def bar_chart(title, items, unit="项", chart_id="chart"):
    """A horizontal bar chart of ``items`` [(label, value)]."""
    items = list(items)
    top = max((value for _, value in items), default=0) or 1
    label_width = 16 + CHAR_WIDTH * max((len(label) for label, _ in items), default=4)
    bars = [
        Bar(label, value, index * ROW, round(BAR_AREA * value / top), label_width)
        for index, (label, value) in enumerate(items)
    ]
    summary = "，".join(f"{label}{value}{unit}" for label, value in items)
    return {
        "id": chart_id,
        "title": title,
        "unit": unit,
        "bars": bars,
        "width": label_width + BAR_AREA + 60,
        "height": max(len(bars), 1) * ROW,
        "label_width": label_width,
        "bar_height": ROW - 10,
        "summary": f"{title}：{summary}。" if items else f"{title}：暂无数据。",
        "total": sum(value for _, value in items),
    }
