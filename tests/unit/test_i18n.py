import re

from selfservice.i18n import t
from selfservice.i18n.catalog import EN, ZH

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_every_key_exists_in_both_languages():
    assert set(ZH) - set(EN) == set(), "missing in en"
    assert set(EN) - set(ZH) == set(), "missing in zh-CN"


def test_placeholders_match_between_languages():
    for key in ZH:
        assert set(PLACEHOLDER.findall(ZH[key])) == set(PLACEHOLDER.findall(EN[key])), key


def test_no_empty_messages():
    assert all(v.strip() for v in (*ZH.values(), *EN.values()))


def test_every_key_used_in_code_exists():
    """Keys passed to errors, field/row errors, and the UI's T()/t() are all catalogued."""
    import pathlib

    source = "\n".join(p.read_text() for p in pathlib.Path("selfservice").rglob("*.py") if "i18n" not in p.parts)
    key = r'"([a-z_]+\.[a-z_]+)"'
    patterns = [
        r"(?:Error|Failed|Unreadable|Permitted|NotFound|Invalid\w*)\(\s*" + key,
        r"(?:FieldError|RowError)\([^()]*?" + key,
        r"\bT(?:_fmt)?\(\s*" + key,
        r"\bt\(\s*[\w.]+,\s*" + key,
    ]
    used = {k for pattern in patterns for k in re.findall(pattern, source)}
    assert len(used) > 30
    assert used - set(ZH) == set()


def test_translation_formats_params_and_falls_back():
    assert t("en", "import.done", count=3) == "Imported 3 employees."
    assert t("xx", "import.done", count=3) == "已导入 3 名员工。"
