"""Draws Målkoll's two Teams icons (a ring, the goal, with a check mark leaving it).

    .venv/bin/python manifest/make_icons.py      # rewrites manifest/color.png and manifest/outline.png

Run once after changing the drawing; the PNGs are committed. Teams wants a full
192×192 colour icon (the mark on the app's accent colour) and a 32×32 outline
icon that is only the mark, white on transparent. Shapes are drawn at 8× and
scaled down, so edges are smooth; the outline icon keeps every pixel pure white
and puts the smoothing in the alpha channel only.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SUPERSAMPLE = 8


def accent_color() -> tuple[int, int, int]:
    """The manifest's accentColor ("#RRGGBB"): the colour icon's background."""
    value = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))["accentColor"]
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def mark_mask(size: int, *, margin: float) -> Image.Image:
    """The mark as an 'L' mask of size×size: 255 where the mark is.

    margin is the share of the side left empty on each side (Teams asks for
    padding around the symbol in the colour icon, almost none in the outline).
    """
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    inner = big * (1 - 2 * margin)
    left = big * margin
    stroke = inner * 0.12
    # The ring: an outer circle minus an inner one, open at the upper right where the check leaves it.
    ring_box = (left + stroke / 2, left + stroke / 2, left + inner - stroke / 2, left + inner - stroke / 2)
    draw.arc(ring_box, start=-20, end=290, fill=255, width=round(stroke))
    # The check mark: short stroke down to the centre's lower left, long stroke up and out to the upper right.
    points = [
        (left + inner * 0.30, left + inner * 0.52),
        (left + inner * 0.46, left + inner * 0.68),
        (left + inner * 0.98, left + inner * 0.10),
    ]
    draw.line(points, fill=255, width=round(stroke), joint="curve")
    for x, y in (points[0], points[-1]):  # rounded ends
        draw.ellipse((x - stroke / 2, y - stroke / 2, x + stroke / 2, y + stroke / 2), fill=255)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def color_icon() -> Image.Image:
    """192×192, opaque: the white mark on the accent colour."""
    background = Image.new("RGB", (192, 192), accent_color())
    white = Image.new("RGB", (192, 192), (255, 255, 255))
    return Image.composite(white, background, mark_mask(192, margin=0.2))


def outline_icon() -> Image.Image:
    """32×32 RGBA: every pixel white, the mark in the alpha channel, the rest transparent."""
    icon = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    icon.putalpha(mark_mask(32, margin=0.04))
    return icon


def main() -> None:
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
