#!/usr/bin/python3
"""Renders a terminal capture with ANSI colours (tmux capture-pane -e) to a PNG.

Usage: ansi-to-png.py CAPTURE.txt OUT.png [COLUMNS ROWS]
Handles SGR colours (16, 256 and true colour), bold and reverse: what ratatui draws.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 24, 28)
FG = (220, 220, 220)
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
    (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
    (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def parse(text):
    """Lines of (char, fg, bg, bold) cells."""
    fg, bg, bold, reverse = FG, BG, False, False
    lines = []
    for raw in text.split("\n"):
        cells = []
        for token in re.split(r"(\x1b\[[0-9;]*m)", raw):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse = FG, BG, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif c == 39:
                        fg = FG
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 49:
                        bg = BG
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            rgb = color256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            rgb = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            rgb = FG if c == 38 else BG
                        if c == 38:
                            fg = rgb
                        else:
                            bg = rgb
                    i += 1
            else:
                for ch in token:
                    f, b = (bg, fg) if reverse else (fg, bg)
                    cells.append((ch, f, b, bold))
        lines.append(cells)
    return lines


def main():
    capture, out = sys.argv[1], sys.argv[2]
    lines = parse(open(capture, encoding="utf-8").read().rstrip("\n"))
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else max(len(l) for l in lines)
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else len(lines)
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    left, top, right, bottom = font.getbbox("M")
    cw = round(font.getlength("M"))
    ch = SIZE + 4
    pad = 10
    img = Image.new("RGB", (cols * cw + 2 * pad, rows * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y, cells in enumerate(lines[:rows]):
        for x, (c, f, b, is_bold) in enumerate(cells[:cols]):
            px, py = pad + x * cw, pad + y * ch
            if b != BG:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=b)
            if c in "▁▂▃▄▅▆▇█":
                # Block elements drawn as boxes, so bars touch like in a terminal.
                h = ch * ("▁▂▃▄▅▆▇█".index(c) + 1) // 8
                draw.rectangle([px, py + ch - h, px + cw - 1, py + ch - 1], fill=f)
            elif c != " ":
                draw.text((px, py + 1), c, font=bold if is_bold else font, fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
