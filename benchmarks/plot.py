"""A small chart drawn with Pillow (matplotlib is not a dependency): latency CDFs on a log axis."""

import math

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1120, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 330, 64, 60
COLORS = ["#1f5fa8", "#d0542b", "#2e8b57", "#8a3ea8", "#b08900", "#555555", "#00838f", "#c2185b"]


def font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        return ImageFont.load_default()


def latency_cdf(path, title, series, markers=()):
    """series: [(label, [latency ms, ...])]; markers: [(ms, label)] drawn as dashed lines."""
    series = [(label, sorted(values)) for label, values in series if values]
    low = 1.0
    high = max([values[-1] for _, values in series] + [ms for ms, _ in markers] + [10.0])
    high = 10 ** math.ceil(math.log10(high))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(ms):
        ms = min(max(ms, low), high)
        return LEFT + plot_w * math.log10(ms / low) / math.log10(high / low)

    def y(fraction):
        return TOP + plot_h * (1 - fraction)

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small, normal = font(12), font(15)
    draw.text((10, 10), title, fill="black", font=normal)
    decade = low
    while decade <= high:
        for step in (1, 2, 5):
            ms = decade * step
            if ms > high:
                break
            draw.line(
                [(x(ms), TOP), (x(ms), TOP + plot_h)], fill="#e4e4e4" if step > 1 else "#c8c8c8"
            )
            if step == 1 or plot_w > 600:
                label = f"{ms:g}"
                draw.text((x(ms) - 8, TOP + plot_h + 6), label, fill="#333333", font=small)
        decade *= 10
    for tenth in range(0, 11):
        fraction = tenth / 10
        draw.line([(LEFT, y(fraction)), (LEFT + plot_w, y(fraction))], fill="#eeeeee")
        draw.text((LEFT - 40, y(fraction) - 7), f"{tenth * 10}%", fill="#333333", font=small)
    draw.rectangle([LEFT, TOP, LEFT + plot_w, TOP + plot_h], outline="#888888")
    draw.text(
        (LEFT + plot_w / 2 - 120, HEIGHT - 28),
        "delivery latency from commit, ms (log)",
        fill="black",
        font=small,
    )
    draw.text((10, TOP - 24), "share of deliveries", fill="black", font=small)
    for ms, label in markers:
        for top in range(TOP, TOP + plot_h, 10):
            draw.line([(x(ms), top), (x(ms), min(top + 5, TOP + plot_h))], fill="#aa0000")
        draw.text((x(ms) + 4, TOP + 4), label, fill="#aa0000", font=small)
    for number, (label, values) in enumerate(series):
        color = COLORS[number % len(COLORS)]
        count = len(values)
        points = []
        for step in range(0, 401):
            fraction = step / 400
            index = min(count - 1, int(fraction * (count - 1)))
            points.append((x(values[index]), y(fraction)))
        draw.line(points, fill=color, width=3)
        legend_y = TOP + 10 + number * 22
        draw.line(
            [(LEFT + plot_w + 15, legend_y + 7), (LEFT + plot_w + 40, legend_y + 7)],
            fill=color,
            width=3,
        )
        draw.text((LEFT + plot_w + 46, legend_y), label, fill="black", font=small)
    image.save(path)


def throughput_curve(
    path,
    title,
    series,
    y_label="requests/s (log)",
    x_label="concurrent connections (log)",
    markers=(),
):
    """series: [(label, [(connections, requests/s), ...])]; both axes logarithmic, because
    nginx and an uncached render differ by a factor of a hundred or more. markers: [(y, label)]
    drawn as dashed horizontal lines (a target)."""
    series = [(label, sorted(points)) for label, points in series if points]
    xs = [c for _, points in series for c, _ in points] or [1]
    ys = [max(v, 1.0) for _, points in series for _, v in points] or [1.0]
    ys += [value for value, _ in markers]
    x_low, x_high = min(xs), max(max(xs), min(xs) * 2)
    y_low = 10 ** math.floor(math.log10(min(ys)))
    y_high = 10 ** math.ceil(math.log10(max(ys) * 1.01))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(connections):
        return LEFT + plot_w * math.log(connections / x_low) / math.log(x_high / x_low)

    def y(rate):
        rate = min(max(rate, y_low), y_high)
        return TOP + plot_h * (1 - math.log10(rate / y_low) / math.log10(y_high / y_low))

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small, normal = font(12), font(15)
    draw.text((10, 10), title, fill="black", font=normal)
    decade = y_low
    while decade <= y_high:
        for step in (1, 2, 5):
            rate = decade * step
            if rate > y_high:
                break
            draw.line([(LEFT, y(rate)), (LEFT + plot_w, y(rate))], fill="#e4e4e4")
            if step == 1:
                draw.text((10, y(rate) - 7), f"{rate:,.0f}", fill="#333333", font=small)
        decade *= 10
    for connections in sorted(set(xs)):
        draw.line([(x(connections), TOP), (x(connections), TOP + plot_h)], fill="#eeeeee")
        draw.text(
            (x(connections) - 6, TOP + plot_h + 6), f"{connections:,}", fill="#333333", font=small
        )
    draw.rectangle([LEFT, TOP, LEFT + plot_w, TOP + plot_h], outline="#888888")
    draw.text((LEFT + plot_w / 2 - 90, HEIGHT - 28), x_label, fill="black", font=small)
    draw.text((10, TOP - 24), y_label, fill="black", font=small)
    for value, label in markers:
        for left in range(LEFT, LEFT + plot_w, 10):
            draw.line([(left, y(value)), (min(left + 5, LEFT + plot_w), y(value))], fill="#aa0000")
        draw.text((LEFT + 6, y(value) - 16), label, fill="#aa0000", font=small)
    for number, (label, points) in enumerate(series):
        color = COLORS[number % len(COLORS)]
        coords = [(x(c), y(v)) for c, v in points]
        if len(coords) > 1:
            draw.line(coords, fill=color, width=3)
        for cx, cy in coords:
            draw.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], fill=color)
        legend_y = TOP + 10 + number * 22
        draw.line(
            [(LEFT + plot_w + 15, legend_y + 7), (LEFT + plot_w + 40, legend_y + 7)],
            fill=color,
            width=3,
        )
        draw.text((LEFT + plot_w + 46, legend_y), label, fill="black", font=small)
    image.save(path)
