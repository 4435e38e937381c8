"""The Chinese catalogue: complete, well-formed, in step with the source, and used by the pages.

How to update the catalogue when strings change: sibao/locale/README.md.
"""

import ast
import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "sibao" / "locale"
PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# The options of the documented makemessages command (sibao/locale/README.md), run from the project root.
MAKEMESSAGES_OPTIONS = {
    "locale": ["zh_Hans"],
    "no_location": True,
    "extensions": ["html", "txt", "py"],
    "ignore_patterns": [
        ".venv/*",
        "var/*",
        "node_modules/*",
        "bench/*",
        "build/*",
        "docs/*",
        "sibao/*/tests/*",
        "sibao/tests/*",
    ],
}

PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|\{\{\s*[\w.]+\s*\}\}")


def parse_po(text: str) -> list[dict]:
    """The entries of a .po file: msgctxt/msgid/msgid_plural/msgstr[...] plus `flags`; obsolete entries left out."""
    entries: list[dict] = []
    entry: dict = {"flags": set()}
    key = None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, key = {"flags": set()}, None
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):  # translator, extracted, reference, previous (#|) and obsolete (#~) lines
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
        if match:
            key = match.group(1)
            entry[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
        else:
            raise AssertionError(f"cannot read this line of {PO.name}: {line!r}")
    return entries


def catalogue() -> list[dict]:
    return parse_po(PO.read_text(encoding="utf-8"))


def translations(entry: dict) -> list[str]:
    return [value for key, value in sorted(entry.items()) if key.startswith("msgstr")]


def label(entry: dict) -> str:
    return entry["msgid"] if len(entry["msgid"]) < 80 else entry["msgid"][:77] + "..."


# --- (a) the catalogue is complete and well-formed -------------------------------------------------------


def test_catalogue_header_is_final_and_chinese():
    header = next(e for e in catalogue() if e["msgid"] == "")
    assert "fuzzy" not in header["flags"], "the header is fuzzy: msgfmt would drop the charset and plural forms"
    assert "Language: zh_Hans\\n" in header["msgstr"].replace("\n", "\\n")
    assert "charset=UTF-8" in header["msgstr"]
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"]


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = [e for e in catalogue() if e["msgid"]]
    assert len(entries) > 400
    fuzzy = [label(e) for e in entries if "fuzzy" in e["flags"]]
    empty = [label(e) for e in entries if not all(translations(e))]
    assert not fuzzy, f"fuzzy entries in {PO}: {fuzzy}"
    assert not empty, f"untranslated entries in {PO}: {empty}"


def test_plural_entries_have_the_single_chinese_form():
    for entry in catalogue():
        if "msgid_plural" in entry:
            assert [k for k in entry if k.startswith("msgstr")] == ["msgstr[0]"], label(entry)


def test_translations_keep_the_placeholders():
    for entry in catalogue():
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        for text in translations(entry):
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{label(entry)!r} → {text!r}"


def test_translations_are_chinese():
    for entry in catalogue():
        for text in translations(entry) if entry["msgid"] else []:
            assert re.search(r"[\u4e00-\u9fff]", text), f"{label(entry)!r} → {text!r}"


def test_compiled_catalogue_matches_the_source_catalogue():
    """The .mo (git-ignored, built by `make messages`) holds exactly what django.po says."""
    assert MO.exists(), f"{MO} is missing: run `make messages`"
    with MO.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    for entry in catalogue():
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry and context:
            got = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], 1)
        elif "msgid_plural" in entry:
            got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
        elif context:
            got = compiled.pgettext(context, entry["msgid"])
        else:
            got = compiled.gettext(entry["msgid"])
        assert got == translations(entry)[0], f"{MO.name} is stale ({label(entry)!r}): run `make messages`"


# --- (b) every string the source marks is in the catalogue ------------------------------------------------


def _copy_sources(root: Path) -> None:
    """The translatable files of the project, so makemessages can write its scratch files outside the tree."""

    def ignore(directory, names):
        return [
            n
            for n in names
            if n in {"locale", "__pycache__", "node_modules"}
            or (Path(directory, n).is_file() and Path(n).suffix not in {".py", ".html", ".txt"})
        ]

    base = Path(settings.BASE_DIR)
    for top in ("sibao", "templates"):
        shutil.copytree(base / top, root / top, ignore=ignore)
    (root / "sibao" / "locale").mkdir()


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed (make system-packages)")
def test_every_marked_string_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    _copy_sources(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "sibao" / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", verbosity=0, **MAKEMESSAGES_OPTIONS)
    fresh = parse_po((tmp_path / "sibao" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text("utf-8"))

    def keys(entries):
        return {(e.get("msgctxt"), e["msgid"], e.get("msgid_plural")) for e in entries if e["msgid"]}

    missing = keys(fresh) - keys(catalogue())
    assert not missing, (
        f"{len(missing)} string(s) marked for translation are not in {PO.relative_to(settings.BASE_DIR)}; "
        f"update and translate it (sibao/locale/README.md): {sorted(m[1] for m in missing)}"
    )


# --- (c) the pages speak Chinese by default and English on request ------------------------------------------


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default_and_in_english_after_the_switch(cast, login):
    client = login(cast.dispatcher_gc)

    page = client.get(reverse("enterprises:list")).content.decode()
    assert '<html lang="zh-hans">' in page
    for chinese in ("企业（项目）", "统一社会信用代码", "行业领域", "工业生产", "首页"):
        assert chinese in page
    for english in ("Enterprises and projects", "Sector", "Headcount", "Sign out"):
        assert english not in page

    detail = client.get(reverse("enterprises:detail", args=[cast.ent_a.pk])).content.decode()
    assert "统一社会信用代码" in detail and "年产值" in detail and "Unified social credit code" not in detail
    assert "C 制造业" in detail  # choice labels follow the page's language, not the one active at import time

    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("enterprises:list")}, follow=True
    )
    page = switched.content.decode()
    assert '<html lang="en">' in page
    for english in ("Enterprises and projects", "Sector", "Industrial production", "Sign out"):
        assert english in page
    for chinese in ("企业（项目）", "行业领域", "退出登录"):
        assert chinese not in page
    detail = client.get(reverse("enterprises:detail", args=[cast.ent_a.pk])).content.decode()
    assert "C Manufacturing" in detail and "C 制造业" not in detail

    back = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True)
    assert "退出登录" in back.content.decode()


@pytest.mark.django_db
def test_home_shows_chinese_role_names(cast, login):
    page = login(cast.dispatcher_gc).get("/").content.decode()
    assert "调度机制指挥部办公室" in page
    assert "企业库" in page


def test_import_template_headers_are_the_chinese_words_of_the_work_plans():
    """Liaisons fill in the template in Chinese: its headers are the words of the two work plans."""
    from sibao.enterprises.exports import template_rows

    with translation.override("zh-hans"):
        header, _example = template_rows()
    for word in (
        "统一社会信用代码",
        "名称",
        "行业领域",
        "区划代码",
        "年产值/投资额（万元）",
        "员工人数",
        "城市运行保障",
        "重点项目",
    ):
        assert word in header
