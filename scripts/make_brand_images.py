"""Draw the Newsdesk brand images into newsdesk/static/newsdesk/.

    python scripts/make_brand_images.py

logo.png (600x60) is the publisher logo named in the articles' JSON-LD; favicon.png (64x64)
is the browser tab icon. Both are drawn from a system font (DejaVu or Liberation, found under
/usr/share/fonts) so the output is the same on every run with the same font and Pillow
versions. Colours match site.css (light scheme).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "newsdesk" / "static" / "newsdesk"

INK = (27, 27, 27)  # --text
ACCENT = (163, 22, 27)  # --accent
PAPER = (255, 255, 255)

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/liberation/LiberationSerif-Bold.ttf",
]


def find_font() -> Path:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    for pattern in ("DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf"):
        for found in sorted(Path("/usr/share/fonts").rglob(pattern)):
            return found
    sys.exit("No DejaVu or Liberation serif font found under /usr/share/fonts.")


def fit_font(path: Path, text: str, max_width: int, max_height: int) -> ImageFont.FreeTypeFont:
    """The largest size at which text fits in the box (by its ink bounding box)."""
    size = max_height
    while size > 8:
        font = ImageFont.truetype(str(path), size)
        left, top, right, bottom = font.getbbox(text)
        if right - left <= max_width and bottom - top <= max_height:
            return font
        size -= 1
    return ImageFont.truetype(str(path), size)


def save(image: Image.Image, name: str) -> None:
    target = OUT / name
    # No text chunks or timestamps: the file only changes when the drawing does.
    image.save(target, format="PNG", optimize=True)
    size = target.stat().st_size
    print(f"{target.relative_to(ROOT)}: {image.width}x{image.height}, {size} bytes")


def make_logo(font_path: Path) -> None:
    width, height = 600, 60
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    # A red block on the left, like a masthead flag, then the wordmark.
    draw.rectangle((0, 8, 8, height - 9), fill=ACCENT)
    text = "Newsdesk"
    font = fit_font(font_path, text, width - 40, 40)
    left, top, right, bottom = font.getbbox(text)
    y = (height - (bottom - top)) // 2 - top
    draw.text((22 - left, y), text, font=font, fill=INK)
    save(image, "logo.png")


def make_favicon(font_path: Path) -> None:
    size = 64
    scale = 4  # draw large, then shrink, for smooth edges
    big = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    edge = size * scale - 1
    draw.rounded_rectangle((0, 0, edge, edge), radius=12 * scale, fill=ACCENT)
    font = fit_font(font_path, "N", 40 * scale, 40 * scale)
    left, top, right, bottom = font.getbbox("N")
    x = (size * scale - (right - left)) // 2 - left
    y = (size * scale - (bottom - top)) // 2 - top
    draw.text((x, y), "N", font=font, fill=PAPER)
    save(big.resize((size, size), Image.Resampling.LANCZOS), "favicon.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    font_path = find_font()
    make_logo(font_path)
    make_favicon(font_path)


if __name__ == "__main__":
    main()
