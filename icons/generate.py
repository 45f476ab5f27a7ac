#!/usr/bin/env python3
"""Generate the Backup Desk application icons.

Design: a rounded square with a deep teal -> blue diagonal gradient and a
white stylised archive box (lid + body) with a downward "download" arrow cut
out of the body.

The artwork is described in a 1024x1024 coordinate space, rendered with 4x
supersampling, reduced to a 1024x1024 master and then downscaled with LANCZOS
to every size Tauri's bundler needs.

Usage (from the repository root or anywhere):  python3 icons/generate.py
Requires Pillow (pip install pillow).
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT_DIR = Path(__file__).resolve().parent

BASE = 1024          # design coordinate space
SS = 4               # supersampling factor for the master render

# Colours
TOP_LEFT = (20, 150, 160)     # teal
BOTTOM_RIGHT = (18, 60, 140)  # deep blue
WHITE = (255, 255, 255, 255)


def s(v):
    """Scale a design-space coordinate to the supersampled canvas."""
    return int(round(v * SS))


def gradient(size):
    """Diagonal gradient (top-left teal -> bottom-right blue), RGBA."""
    n = 256
    small = Image.new("L", (n, n))
    small.putdata([int((x + y) * 255 / (2 * (n - 1))) for y in range(n) for x in range(n)])
    mask = small.resize((size, size), Image.BILINEAR)
    a = Image.new("RGBA", (size, size), TOP_LEFT + (255,))
    b = Image.new("RGBA", (size, size), BOTTOM_RIGHT + (255,))
    return Image.composite(b, a, mask)


def render_master():
    size = BASE * SS
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))

    # --- background rounded square -----------------------------------
    margin, radius = 48, 210
    bg_mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(bg_mask).rounded_rectangle(
        (s(margin), s(margin), s(BASE - margin) - 1, s(BASE - margin) - 1),
        radius=s(radius), fill=255)
    img.paste(gradient(size), (0, 0), bg_mask)

    # --- white archive box (mask), arrow cut out ----------------------
    fg = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(fg)
    dy = -24  # nudge the glyph up so it sits at the optical centre


    # lid
    d.rounded_rectangle((s(216), s(270 + dy), s(808), s(400 + dy)), radius=s(40), fill=255)
    # body
    d.rounded_rectangle((s(260), s(440 + dy), s(764), s(800 + dy)), radius=s(52), fill=255)

    # download arrow (cut out so the gradient shows through)
    shaft_w = 112
    cx = BASE / 2
    d.rounded_rectangle((s(cx - shaft_w / 2), s(482 + dy), s(cx + shaft_w / 2), s(640 + dy)),
                        radius=s(20), fill=0)
    d.polygon([(s(cx - 150), s(600 + dy)), (s(cx + 150), s(600 + dy)), (s(cx), s(752 + dy))], fill=0)

    white = Image.new("RGBA", (size, size), WHITE)
    img.paste(white, (0, 0), fg)

    return img.resize((BASE, BASE), Image.LANCZOS)


def main():
    master = render_master()

    def save_png(name, px):
        im = master if px == BASE else master.resize((px, px), Image.LANCZOS)
        im = im.convert("RGBA")
        im.save(OUT_DIR / name, format="PNG")  # RGBA -> 8-bit colour type 6

    pngs = {
        "32x32.png": 32,
        "64x64.png": 64,
        "128x128.png": 128,
        "128x128@2x.png": 256,
        "icon.png": 512,
        "Square30x30Logo.png": 30,
        "Square44x44Logo.png": 44,
        "Square71x71Logo.png": 71,
        "Square89x89Logo.png": 89,
        "Square107x107Logo.png": 107,
        "Square142x142Logo.png": 142,
        "Square150x150Logo.png": 150,
        "Square284x284Logo.png": 284,
        "Square310x310Logo.png": 310,
        "StoreLogo.png": 50,
    }
    for name, px in pngs.items():
        save_png(name, px)

    # Windows .ico (each size downscaled from the master by Pillow)
    master.save(OUT_DIR / "icon.ico", format="ICO",
                sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (256, 256)])

    # macOS .icns (Pillow writes all standard sizes up to 1024 from the master)
    master.save(OUT_DIR / "icon.icns", format="ICNS")

    print("Wrote icons to", OUT_DIR)


if __name__ == "__main__":
    main()
