"""Demo pictures, drawn with Pillow at load time so that no image file lives in the repository.

Each scene is an abstract landscape (river, skyline, fields, train, bridge, night, chart) in a
named palette; the palette is chosen in content.py so that the alt text there describes what is
really drawn. The same scene, palette and seed always give the same picture.
"""

import io
import math
import random

from django.core.files.images import ImageFile
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.utils.file import hash_filelike

WIDTH, HEIGHT = 1600, 1000
SCALE = 2  # drawn at twice the size, then shrunk: Pillow's shapes have no anti-aliasing
PORTRAIT_SIZE = 400

PALETTES = {
    "morning": {
        "sky": ((150, 190, 220), (248, 226, 196)),
        "sun": (255, 240, 205),
        "far": (150, 180, 165),
        "near": (78, 128, 98),
        "water": (86, 136, 172),
        "window": (250, 235, 190),
    },
    "overcast": {
        "sky": ((138, 148, 158), (204, 208, 210)),
        "sun": None,
        "far": (112, 130, 124),
        "near": (46, 78, 60),
        "water": (96, 116, 126),
        "window": (220, 220, 210),
    },
    "clear": {
        "sky": ((64, 136, 206), (200, 228, 242)),
        "sun": (255, 246, 210),
        "far": (150, 182, 140),
        "near": (96, 150, 84),
        "water": (70, 130, 190),
        "window": (240, 240, 230),
    },
    "bright": {
        "sky": ((70, 140, 215), (252, 228, 140)),
        "sun": (255, 250, 215),
        "far": (200, 206, 216),
        "near": (236, 230, 214),
        "water": (80, 130, 180),
        "window": (120, 140, 170),
    },
    "evening": {
        "sky": ((110, 140, 190), (250, 200, 150)),
        "sun": (255, 226, 180),
        "far": (128, 150, 140),
        "near": (70, 110, 80),
        "water": (96, 128, 170),
        "window": (255, 220, 160),
    },
    "dusk": {
        "sky": ((84, 66, 128), (246, 168, 150)),
        "sun": (255, 214, 170),
        "far": (140, 96, 120),
        "near": (176, 104, 88),
        "water": (110, 88, 130),
        "window": (255, 214, 140),
    },
    "night": {
        "sky": ((10, 18, 48), (40, 62, 112)),
        "sun": (236, 232, 210),
        "far": (30, 38, 68),
        "near": (14, 18, 36),
        "water": (24, 34, 70),
        "window": (255, 210, 120),
    },
    "warm": {
        "sky": ((252, 246, 232), (244, 232, 206)),
        "sun": None,
        "far": (226, 214, 190),
        "near": (120, 90, 70),
        "water": (214, 96, 72),
        "window": (242, 190, 90),
    },
}

PORTRAIT_COLORS = [(46, 94, 120), (120, 70, 96), (64, 110, 80), (150, 90, 50), (80, 80, 130)]


def gradient(size, top, bottom):
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def ridge(draw, rng, w, h, base, amplitude, color):
    """A hill line: a few sine waves with random phases, filled down to the bottom edge."""
    waves = [(rng.uniform(1, 4), rng.uniform(0, math.tau)) for _ in range(3)]
    points = [(0, h)]
    for x in range(0, w + 1, w // 80):
        y = base + sum(math.sin(x / w * math.tau * f + p) for f, p in waves) * amplitude / 3
        points.append((x, y))
    points.append((w, h))
    draw.polygon(points, fill=color)


def sun(draw, palette, x, y, radius):
    if palette["sun"]:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=palette["sun"])


def buildings(draw, rng, w, base, color, window, lit=1.0):
    x = rng.randint(-60, 0)
    while x < w:
        width, height = rng.randint(120, 260), rng.randint(160, 620)
        draw.rectangle((x, base - height, x + width - 12, base), fill=color)
        for wy in range(base - height + 30, base - 40, 52):
            for wx in range(x + 24, x + width - 40, 44):
                if rng.random() < lit:
                    draw.rectangle((wx, wy, wx + 18, wy + 26), fill=window)
        x += width


def water(draw, rng, w, h, top, palette):
    draw.rectangle((0, top, w, h), fill=palette["water"])
    light = tuple(min(255, c + 40) for c in palette["water"])
    for _ in range(60):
        x, y = rng.randint(0, w), rng.randint(top + 20, h)
        draw.rounded_rectangle((x, y, x + rng.randint(60, 260), y + 6), radius=3, fill=light)


def scene_river(draw, rng, w, h, palette):
    sun(draw, palette, w * rng.uniform(0.6, 0.8), h * 0.5, 110)
    ridge(draw, rng, w, h, h * 0.5, 120, palette["far"])
    ridge(draw, rng, w, h, h * 0.6, 80, palette["near"])
    water(draw, rng, w, h, int(h * 0.7), palette)


def scene_bridge(draw, rng, w, h, palette):
    scene_river(draw, rng, w, h, palette)
    deck, span = int(h * 0.56), w // 5
    dark = tuple(c // 2 for c in palette["near"])
    draw.rectangle((0, deck, w, deck + 36), fill=dark)
    for left in range(0, w, span):
        draw.arc((left, deck + 20, left + span, deck + 20 + span), 180, 360, fill=dark, width=26)
        draw.rectangle((left - 18, deck, left + 18, h * 0.74), fill=dark)


def scene_skyline(draw, rng, w, h, palette, lit=0.9):
    sun(draw, palette, w * rng.uniform(0.15, 0.4), h * 0.35, 130)
    far = tuple((a + b) // 2 for a, b in zip(palette["far"], palette["sky"][1], strict=True))
    buildings(draw, rng, w, int(h * 0.72), far, far)
    buildings(draw, rng, w, int(h * 0.8), palette["near"], palette["window"], lit)
    water(draw, rng, w, h, int(h * 0.8), palette)


def scene_night(draw, rng, w, h, palette):
    for _ in range(220):
        x, y, r = rng.randint(0, w), rng.randint(0, int(h * 0.6)), rng.choice((2, 3, 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(230, 230, 245))
    sun(draw, palette, w * 0.8, h * 0.2, 70)
    buildings(draw, rng, w, int(h * 0.75), palette["far"], palette["far"])
    buildings(draw, rng, w, h, palette["near"], palette["window"], lit=0.06)


def scene_fields(draw, rng, w, h, palette):
    sun(draw, palette, w * rng.uniform(0.2, 0.8), h * 0.25, 100)
    horizon = int(h * 0.48)
    ridge(draw, rng, w, h, horizon, 40, palette["far"])
    colors = [(120, 170, 80), (226, 190, 90), (90, 140, 70), (238, 210, 120)]
    edges = sorted(rng.uniform(-w, 2 * w) for _ in range(9))
    for i, (a, b) in enumerate(zip([-3 * w, *edges], [*edges, 4 * w], strict=True)):
        draw.polygon([(w / 2, horizon), (a, h), (b, h)], fill=colors[i % len(colors)])
    draw.rectangle((0, horizon - 4, w, horizon + 12), fill=palette["far"])
    for x in range(rng.randint(0, 80), w, rng.randint(90, 140)):
        r = rng.randint(28, 46)
        draw.ellipse((x - r, horizon - 2 * r, x + r, horizon + 8), fill=(60, 104, 64))


def scene_train(draw, rng, w, h, palette):
    sun(draw, palette, w * 0.82, h * 0.2, 90)
    ridge(draw, rng, w, h, h * 0.5, 50, palette["far"])
    draw.rectangle((0, int(h * 0.62), w, h), fill=palette["near"])
    rail = int(h * 0.8)
    draw.rectangle((0, rail, w, rail + 40), fill=(110, 100, 90))
    draw.line((0, h * 0.32, w, h * 0.3), fill=(60, 60, 60), width=6)
    for x in range(80, w, 420):
        draw.rectangle((x, h * 0.3, x + 14, rail), fill=(90, 90, 90))
    left = rng.randint(60, 400)
    for car in range(4):
        x = left + car * 520
        draw.rounded_rectangle((x, rail - 300, x + 500, rail - 10), radius=40, fill=(46, 120, 80))
        draw.rectangle((x, rail - 90, x + 500, rail - 60), fill=(246, 200, 70))
        for wx in range(x + 40, x + 460, 90):
            draw.rounded_rectangle((wx, rail - 250, wx + 60, rail - 170), radius=10, fill="white")


def scene_chart(draw, rng, w, h, palette):
    bars = [palette["water"], palette["window"], (236, 150, 80), (200, 120, 90)]
    for y in range(int(h * 0.2), int(h * 0.85), 120):
        draw.line((120, y, w - 120, y), fill=palette["far"], width=4)
    count, step = 9, (w - 300) // 9
    for i in range(count):
        top = h * 0.8 - (i + 1) * h * 0.06 - rng.uniform(0, h * 0.1)
        x = 160 + i * step
        draw.rounded_rectangle((x, top, x + step - 50, h * 0.85), radius=24, fill=bars[i % 4])
    draw.rectangle((120, h * 0.85, w - 120, h * 0.85 + 10), fill=palette["near"])


SCENES = {
    "river": scene_river,
    "bridge": scene_bridge,
    "skyline": scene_skyline,
    "night": scene_night,
    "fields": scene_fields,
    "train": scene_train,
    "chart": scene_chart,
}


def to_jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def draw_scene(scene, palette_name, seed):
    """JPEG bytes of a WIDTH x HEIGHT picture."""
    palette = PALETTES[palette_name]
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    image = gradient(size, *palette["sky"])
    SCENES[scene](ImageDraw.Draw(image), random.Random(seed), *size, palette)  # noqa: S311 - drawing demo scenery, not a secret
    return to_jpeg(image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS))


def initials(name):
    return "".join(word[0] for word in name.split()[:2]).upper()


def draw_portrait(name, seed):
    """JPEG bytes of a square avatar: the person's initials on a calm color."""
    color = PORTRAIT_COLORS[seed % len(PORTRAIT_COLORS)]
    lighter = tuple(min(255, c + 60) for c in color)
    image = gradient((PORTRAIT_SIZE, PORTRAIT_SIZE), lighter, color)
    # Pillow's built-in font, so that the output does not depend on the system's fonts.
    font = ImageFont.load_default(size=PORTRAIT_SIZE * 2 // 5)
    center = (PORTRAIT_SIZE // 2, PORTRAIT_SIZE // 2)
    ImageDraw.Draw(image).text(center, initials(name), font=font, fill="white", anchor="mm")
    return to_jpeg(image)


def ensure_image(title, draw, alt, credit):
    """The image with this title, drawn and stored if missing; returns (image, created).

    `draw` is called only when the image is missing, so a second load draws nothing.
    """
    model = get_image_model()
    image = model.objects.filter(title=title).first()
    if image is not None:
        return image, False
    data = io.BytesIO(draw())
    image = model(title=title, description=alt, credit=credit, file_size=len(data.getvalue()))
    image.file_hash = hash_filelike(data)
    image.file = ImageFile(data, name=f"demo-{slugify(title)}.jpg")
    image.save()
    return image, True
