#!/usr/bin/env bash
# Re-extract the UI strings, merge them into the zh and en catalogues and compile.
#
#   translations/update.sh          (from anywhere; uses .venv if present)
#
# Steps:
#   1. pybabel extract: gettext/_/lazy_gettext/_l calls in app/**.py and
#      {{ _("...") }} in app/templates/**.html (see babel.cfg) -> messages.pot
#   2. add to messages.pot what extraction cannot see:
#      - the Chinese labels of the enums (LabelledEnum subclasses, app/models/enums.py):
#        the en catalogue translates them, zh keeps them as they are;
#      - Flask-AppBuilder strings its own zh catalogue leaves untranslated (or fuzzy),
#        and the few FAB_ZH_OVERRIDES below whose FAB wording we correct. Our catalogue
#        is merged after FAB's, so our msgstr wins.
#   3. pybabel update (init when a catalogue is missing): existing translations are
#      kept; strings no longer in the code stay as obsolete "#~" entries.
#   4. zh: a Chinese msgid (an enum label) gets itself as msgstr.
#   5. pybabel compile (.mo files are committed) and a list of zh strings still to translate.
#
# After running it, translate the empty msgstr entries of zh (and enum labels in en),
# check for "#, fuzzy" entries (a guess from a similar old string: fix it and remove the
# flag, fuzzy entries are not compiled), then run this script again to compile.
set -euo pipefail

cd "$(dirname "$0")/.."
if [ -x .venv/bin/pybabel ]; then
    PATH="$PWD/.venv/bin:$PATH"
fi

LOCALES="zh en"
POT=translations/messages.pot

pybabel extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
    --add-comments=TRANSLATORS: --project="major-projects" --version="1.0" \
    --copyright-holder="the project authors" -o "$POT" app

python - "$POT" <<'PY'
"""Add enum labels and Flask-AppBuilder supplements to the template."""
import ast
import importlib.util
import pathlib
import sys

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

# FAB strings whose zh translation in FAB's catalogue is wrong or awkward; ours wins.
FAB_ZH_OVERRIDES = {
    "Integrity error, probably unique constraint",  # FAB: "...可能缺少必填字段数据"
    "Start with", "Starts with", "Not Starts with",  # FAB: "以开始"
    "Ends with", "Not Ends with",
    "Back", "Logout", "Profile", "Is Active?", "Detail", "User Registrations",
    "Show record", "Show User", "Show Role",  # FAB: "显示…"; we use 查看 as for "Show"
    "Already exists.",  # FAB: "已经存在"; same wording as our "Already exists"
    "This field is required.",  # same wording as WTForms' zh catalogue
}

pot_path = pathlib.Path(sys.argv[1])
with pot_path.open("rb") as f:
    pot = read_po(f)


def add(msgid, location, comment):
    msg = pot.get(msgid)
    if msg is None:
        pot.add(msgid, locations=[location], auto_comments=[comment])
    elif location not in msg.locations:
        msg.locations.append(location)


# 1. Enum labels: string members of every LabelledEnum subclass under app/.
trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p))
         for p in sorted(pathlib.Path("app").rglob("*.py"))}
enum_bases = {"LabelledEnum"}
changed = True
while changed:  # subclasses of subclasses
    changed = False
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name not in enum_bases:
                names = {getattr(b, "id", getattr(b, "attr", None)) for b in node.bases}
                if names & enum_bases:
                    enum_bases.add(node.name)
                    changed = True
count = 0
for path, tree in trees.items():
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name in enum_bases):
            continue
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                add(stmt.value.value, (str(path), stmt.lineno),
                    f"enum label {node.name}.{stmt.targets[0].id}")
                count += 1
print(f"added {count} enum labels")

# 2. Flask-AppBuilder strings its zh catalogue does not translate, plus our overrides.
spec = importlib.util.find_spec("flask_appbuilder")
fab_dir = pathlib.Path(spec.origin).parent
with (fab_dir / "translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
    fab_zh = read_po(f)
keywords = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None)
method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
count = 0
for filename, lineno, msgid, _comments, _context in extract_from_dir(
        str(fab_dir), method_map, keywords=keywords):
    if not isinstance(msgid, str) or not msgid:
        continue
    known = fab_zh.get(msgid)
    if msgid in FAB_ZH_OVERRIDES:
        comment = "Flask-AppBuilder string: overrides its zh translation"
    elif known is None or not known.string or known.fuzzy:
        comment = "Flask-AppBuilder string: missing from its zh catalogue"
    else:
        continue
    if pot.get(msgid) is None:
        count += 1
    add(msgid, ("flask_appbuilder/" + filename, lineno), comment)
print(f"added {count} Flask-AppBuilder strings")

with pot_path.open("wb") as f:
    write_po(f, pot, width=76)
PY

for loc in $LOCALES; do
    if [ -f "translations/$loc/LC_MESSAGES/messages.po" ]; then
        pybabel update -i "$POT" -d translations -l "$loc"
    else
        pybabel init -i "$POT" -d translations -l "$loc"
    fi
done

python - <<'PY'
"""zh: Chinese msgids (enum labels) are already the zh text."""
import re

from babel.messages.pofile import read_po, write_po

path = "translations/zh/LC_MESSAGES/messages.po"
with open(path, "rb") as f:
    cat = read_po(f)
cjk = re.compile(r"[\u3400-\u9fff]")
filled = 0
for msg in cat:
    # Empty, or a fuzzy guess copied from a similar label ("省" -> "省级"): use the label.
    if (msg.id and isinstance(msg.id, str) and cjk.search(msg.id)
            and (not msg.string or msg.fuzzy)):
        msg.string = msg.id
        msg.flags.discard("fuzzy")
        filled += 1
if filled:
    with open(path, "wb") as f:
        write_po(f, cat, width=76)
print(f"zh: {filled} Chinese msgids kept as they are")
PY

pybabel compile -d translations --statistics

python - <<'PY'
"""List what still needs a translator: zh (everything), en (the Chinese enum labels)."""
import re

from babel.messages.pofile import read_po

cjk = re.compile(r"[\u3400-\u9fff]")
for loc, wanted in (("zh", lambda m: True), ("en", lambda m: isinstance(m.id, str) and cjk.search(m.id))):
    with open(f"translations/{loc}/LC_MESSAGES/messages.po", "rb") as f:
        cat = read_po(f)
    todo = [m for m in cat if m.id and wanted(m) and (not m.string or m.fuzzy)]
    if todo:
        print(f"\n{loc}: {len(todo)} string(s) to translate (or fuzzy to check):")
        for m in todo:
            print(f"  {'[fuzzy] ' if m.fuzzy else ''}{m.id!r}")
    else:
        print(f"{loc}: nothing left to translate")
PY
