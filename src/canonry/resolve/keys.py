"""Match keys: the normalized form in which two spellings of one identifier compare equal.

Canonical values are already clean (lower-cased emails, E.164 phones), so these only remove
what legitimately differs between systems naming the same thing: leading zeros of employee
numbers, a VAT number's country prefix, "Ltd." after a company name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from canonry.resolve.rules import MatchRule, Normalizer

_SEP = "\x1f"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_TAX_PREFIX = re.compile(r"^[A-Z]{2}(?=[0-9])")
# Legal forms dropped from organisation names before comparing (lower-case, punctuation-free).
_LEGAL_FORMS = frozenset(
    "inc incorporated corp corporation co company ltd limited llc llp plc gmbh ag kg sa sas "
    "sarl srl spa sl bv nv oy ab as aps sp z o oo sro kft lda kk wll".split()
)


def _text(value: Any) -> str:
    folded = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return " ".join(_NON_ALNUM.sub(" ", folded.casefold()).split())


def _email(value: Any) -> str:
    text = str(value).strip().lower()
    return text if "@" in text else ""


def _digits(value: Any) -> str:
    return "".join(c for c in str(value) if c.isdigit()).lstrip("0")


def _tax_id(value: Any) -> str:
    compact = "".join(c for c in str(value).upper() if c.isalnum())
    return _TAX_PREFIX.sub("", compact)


def _org_name(value: Any) -> str:
    words = _text(str(value).replace(".", "")).split()  # "S.L." -> "sl", "K.K." -> "kk"
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


NORMALIZERS: Mapping[Normalizer, Callable[[Any], str]] = {
    Normalizer.EXACT: lambda v: str(v).strip(),
    Normalizer.TEXT: _text,
    Normalizer.EMAIL: _email,
    Normalizer.DIGITS: _digits,
    Normalizer.TAX_ID: _tax_id,
    Normalizer.ORG_NAME: _org_name,
}


def match_key(rule: MatchRule, values: Mapping[str, Any]) -> str | None:
    """The row's key under ``rule``, or None when a field is missing or normalizes to nothing."""
    parts = []
    for field, normalizer in rule.fields.items():
        value = values.get(field)
        if value is None:
            return None
        part = NORMALIZERS[normalizer](value)
        if not part:
            return None
        parts.append(part)
    return _SEP.join(parts)
