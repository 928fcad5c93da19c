#!/usr/bin/env python3
"""Builds fonts/ReelsetCJKSC-Regular.otf: Noto Sans CJK SC Regular cut down to the characters of GB2312.

Usage (Debian: apt-get install python3-fonttools fonts-noto-cjk):
    python3 fonts/build-subset.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts/ReelsetCJKSC-Regular.otf

Keeps: ASCII, Latin-1, general punctuation, arrows, geometric shapes, CJK symbols and punctuation, fullwidth
forms, and every character of GB2312 (its 6,763 hanzi, kana, Greek, Cyrillic, box drawing): 8,083 code
points, 7,871 glyphs, 1.9 MB. Only the features of horizontal text are kept (no vertical, locale or
alternate forms, which would double the glyphs). The family is renamed "Reelset CJK SC" (a Modified Version
under the SIL OFL 1.1, clear of its Reserved Font Name 'Source'), so it never stands in for a full Noto Sans
CJK installed on the system.
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = 'Reelset CJK SC'
POSTSCRIPT = 'ReelsetCJKSC-Regular'
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x206F), (0x2190, 0x21FF), (0x25A0, 0x25FF),
          (0x3000, 0x303F), (0xFF00, 0xFFEF)]


def gb2312() -> set:
    chars = set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([b1, b2]).decode('gb2312')))
            except UnicodeDecodeError:
                pass
    return chars


def main(source: str, out: str) -> None:
    unicodes = gb2312()
    for lo, hi in RANGES:
        unicodes.update(range(lo, hi + 1))
    options = subset.Options()
    options.font_number = 2  # NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
    options.name_IDs = ['*']
    options.name_languages = ['*']
    options.notdef_outline = True
    options.layout_features = ['ccmp', 'kern', 'liga', 'calt', 'mark', 'mkmk']
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    names = font['name']
    version = (names.getDebugName(5) or '').split(';')[0]
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 17, 21, 22):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName('Regular', 2, 3, 1, 0x409)
    names.setName(f'{FAMILY}; subset of Noto Sans CJK SC {version}', 3, 3, 1, 0x409)
    names.setName(FAMILY, 4, 3, 1, 0x409)
    names.setName(POSTSCRIPT, 6, 3, 1, 0x409)
    names.setName('Subset of Noto Sans CJK SC Regular (GB2312 and Latin) made for reelset charts and '
                  'contact sheets.', 10, 3, 1, 0x409)
    cff = font['CFF '].cff
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY
    if hasattr(top, 'FDArray'):
        for fd in top.FDArray:
            if hasattr(fd, 'FontName'):
                fd.FontName = fd.FontName.replace('NotoSansCJKsc', 'ReelsetCJKSC')
    font.recalcTimestamp = False  # the source's date: the same input gives the same bytes
    font.save(out)
    print(f'{out}: {len(font.getGlyphOrder())} glyphs, {len(unicodes)} code points')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
