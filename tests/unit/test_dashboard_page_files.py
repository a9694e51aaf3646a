"""The dashboard page's files as shipped: safe under a strict CSP, cache-busted by content, and
every text it shows present in both languages' dashboard.po."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bot" / "dashboard" / "static"
LOCALES = ROOT / "bot" / "locales"


def msgids(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "dashboard.po").open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po, locale=language) if m.id}


def test_the_page_names_its_files_for_the_server_to_version() -> None:
    """The server puts each file's content hash for `?v=hash` (and the public path before
    `static/`): a changed file gets a new URL, so a long browser cache never serves old code."""
    index = (STATIC / "index.html").read_text()
    for name in ("app.js", "app.css"):
        assert f'"static/{name}?v=hash"' in index, name


def test_nothing_inline_for_the_csp_to_allow() -> None:
    index = (STATIC / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>", index)
    assert scripts and all(" src=" in tag for tag in scripts), scripts
    sources = re.findall(r'<script src="([^"]+)"', index)
    assert sources[0] == "https://telegram.org/js/telegram-web-app.js"
    assert sources[1:] == ["static/app.js?v=hash"]
    assert "<style" not in index and " style=" not in index
    assert re.search(r"\son[a-z]+=", index) is None  # no inline event handlers


def test_script_never_writes_html() -> None:
    script = (STATIC / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "new Function" not in script
    assert 'setAttribute("style"' not in script


def test_every_text_the_page_uses_is_in_both_languages_and_none_unused() -> None:
    script = (STATIC / "app.js").read_text()
    used = set(re.findall(r'\bt\("(dash\.[a-z_.]+)"\)', script))
    # Built keys: the statuses, "dash.status." + status.
    used |= {f"dash.status.{s}" for s in ("ahead", "on_pace", "behind", "done", "no_target")}
    english, russian = msgids("en"), msgids("ru")
    assert set(english) == set(russian)
    assert used == set(english), (used - set(english), set(english) - used)
    for key in english:
        assert english[key] and russian[key] and russian[key] != english[key], key
        # The API hands the texts over unformatted; the page adds figures after the label.
        assert "{" not in english[key] + russian[key], key
