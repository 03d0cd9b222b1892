"""Set zh translations from the command line: python translations/set_zh.py 'msgid=译文' …"""
import sys

from babel.messages.pofile import read_po, write_po

PATH = "translations/zh/LC_MESSAGES/messages.po"

with open(PATH, "rb") as fh:
    catalog = read_po(fh, locale="zh")
for pair in sys.argv[1:]:
    msgid, _, text = pair.partition("=")
    message = catalog[msgid]
    if message is None:
        sys.exit(f"no msgid {msgid!r} in the catalogue: run translations/update.sh first")
    message.string = text
    message.flags.discard("fuzzy")
with open(PATH, "wb") as fh:
    write_po(fh, catalog, width=100)
