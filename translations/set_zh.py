"""Set translations from the command line:
python translations/set_zh.py [--locale en] 'msgid=译文' …  (then run translations/update.sh)"""
import sys

from babel.messages.pofile import read_po, write_po

args = sys.argv[1:]
locale = "zh"
if args[:1] == ["--locale"]:
    locale, args = args[1], args[2:]
PATH = f"translations/{locale}/LC_MESSAGES/messages.po"

with open(PATH, "rb") as fh:
    catalog = read_po(fh, locale=locale)
for pair in args:
    msgid, _, text = pair.partition("=")
    message = catalog[msgid]
    if message is None:
        sys.exit(f"no msgid {msgid!r} in the catalogue: run translations/update.sh first")
    message.string = text
    message.flags.discard("fuzzy")
with open(PATH, "wb") as fh:
    write_po(fh, catalog, width=100)
