"""Render app/static/favicon.png and favicon.ico from the drawing of favicon.svg (run once
after changing the icon: `.venv/bin/python scripts/favicon.py`)."""
from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "app" / "static"
SCALE = 4  # draw on a 256 px canvas, scale down for smooth edges


def draw() -> Image.Image:
    s = SCALE
    img = Image.new("RGBA", (64 * s, 64 * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, 64 * s - 1, 64 * s - 1), radius=12 * s, fill="#1565c0")
    d.polygon([(32 * s, 9 * s), (55 * s, 22 * s), (9 * s, 22 * s)], fill="#ffffff")
    d.ellipse((29 * s, 14 * s, 35 * s, 20 * s), fill="#c62828")
    d.rectangle((11 * s, 24 * s, 53 * s, 28 * s), fill="#ffffff")
    for x in (14, 24, 34, 44):
        d.rectangle((x * s, 30 * s, (x + 6) * s, 48 * s), fill="#ffffff")
    d.rectangle((9 * s, 50 * s, 55 * s, 55 * s), fill="#ffffff")
    return img


if __name__ == "__main__":
    icon = draw()
    icon.resize((64, 64), Image.LANCZOS).save(STATIC / "favicon.png")
    icon.resize((48, 48), Image.LANCZOS).save(STATIC / "favicon.ico",
                                              sizes=[(16, 16), (32, 32), (48, 48)])
