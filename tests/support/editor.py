"""A non-interactive $EDITOR for tests: applies $EDIT_SCRIPT to the file it is given.

``old -> new`` replaces text; ``json:EXPR`` sets the file to ``EXPR`` evaluated with ``doc``
(the parsed JSON); ``write:TEXT`` writes TEXT; ``fail`` exits 3 without touching the file.
"""

import json
import os
import sys
from pathlib import Path

path = Path(sys.argv[1])
script = os.environ.get("EDIT_SCRIPT", "")
if script == "fail":
    sys.exit(3)
text = path.read_text()
if script.startswith("json:"):
    doc = json.loads(text)
    text = json.dumps(eval(script[5:], {"doc": doc}))
elif script.startswith("write:"):
    text = script[6:]
elif " -> " in script:
    old, new = script.split(" -> ", 1)
    assert old in text, f"{old!r} not in {text!r}"
    text = text.replace(old, new)
path.write_text(text)
