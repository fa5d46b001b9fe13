"""Resolution logic without a database: keys, constrained clustering, survivorship, rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonry.errors import ConfigError
from canonry.resolve import (
    EntityRules,
    MatchRule,
    Normalizer,
    Survivorship,
    load_rules_file,
    parse_rules,
)
from canonry.resolve.cluster import Candidate, cluster
from canonry.resolve.keys import match_key
from canonry.resolve.survive import Member, choose, survive

TAX = MatchRule(name="tax", fields={"tax_id": Normalizer.TAX_ID})
NUMBER = MatchRule(name="number", fields={"employee_number": Normalizer.DIGITS})
NAME = MatchRule(name="name", fields={"name": Normalizer.ORG_NAME, "country": Normalizer.EXACT})


@given(st.from_regex(r"[0-9]{9}", fullmatch=True), st.sampled_from(["PT", "pt", "DE"]))
def test_tax_ids_match_with_or_without_prefix_and_punctuation(digits: str, prefix: str) -> None:
    spaced = f"{prefix} {digits[:3]} {digits[3:6]}-{digits[6:]}"
    keys = {match_key(TAX, {"tax_id": v}) for v in (digits, f"{prefix}{digits}", spaced)}
    assert keys == {digits}


@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=0, max_value=4))
def test_employee_numbers_ignore_leading_zeros(n: int, zeros: int) -> None:
    assert match_key(NUMBER, {"employee_number": "0" * zeros + str(n)}) == str(n)


def test_org_names_drop_legal_forms_and_case() -> None:
    a = match_key(NAME, {"name": "Alpha Logistics, Lda.", "country": "PT"})
    b = match_key(NAME, {"name": "ALPHA LOGISTICS", "country": "PT"})
    c = match_key(NAME, {"name": "Alpha Logistics", "country": "ES"})
    assert a == b
    assert a != c
    assert match_key(NAME, {"name": "Alpha", "country": None}) is None  # every field needed
    assert match_key(NUMBER, {"employee_number": "000"}) is None  # nothing left: no key


def cand(
    conn: str, sid: str, pin: str | None = None, exclusive: bool = False, **keys: str
) -> Candidate:
    return Candidate((conn, sid), keys, pin, exclusive)


def test_rules_link_across_sources_but_not_within_one() -> None:
    rows = [
        cand("hr", "1", email="a@x"),
        cand("hr", "2", email="a@x"),  # HR's own duplicate: kept apart by default
        cand("payroll", "9", email="a@x"),
    ]
    found = cluster(rows, ["email"], allow_same_source=False)
    assert found.groups == [[("hr", "1"), ("payroll", "9")], [("hr", "2")]]
    assert found.refused == 1
    assert found.matched_by[("payroll", "9")] == "rule:email"
    assert found.matched_by[("hr", "2")] == "unmatched"
    merged = cluster(rows, ["email"], allow_same_source=True)
    assert len(merged.groups) == 1


def test_pins_link_split_and_never_merge_two_labels() -> None:
    rows = [
        cand("hr", "1", email="a@x", number="7"),
        cand("dir", "c", pin="split:dir:c", exclusive=True, number="7"),  # a reused number
        cand("pay", "p", pin="L1"),  # nothing in common with hr:1 but a steward's link
        cand("hr", "1b", pin="L1"),
        cand("dir", "z", pin="L2", email="a@x"),  # matches hr:1, whose entity holds L1
    ]
    rows[0] = cand("hr", "1", pin="L1", email="a@x", number="7")
    found = cluster(rows, ["email", "number"], allow_same_source=False)
    groups = {frozenset(g) for g in found.groups}
    assert frozenset({("hr", "1"), ("hr", "1b"), ("pay", "p")}) in groups  # forced, same source
    assert frozenset({("dir", "c")}) in groups
    assert frozenset({("dir", "z")}) in groups
    assert found.matched_by[("pay", "p")] == "crosswalk"


@given(st.permutations(range(6)))
def test_clustering_does_not_depend_on_input_order(order: list[int]) -> None:
    rows = [
        cand("a", "1", email="x"),
        cand("b", "1", email="x", number="5"),
        cand("c", "1", number="5"),
        cand("a", "2", number="5"),
        cand("b", "2", email="y"),
        cand("c", "2", email="y"),
    ]
    expected = cluster(rows, ["email", "number"], allow_same_source=False).groups
    shuffled = [rows[i] for i in order]
    assert cluster(shuffled, ["email", "number"], allow_same_source=False).groups == expected


T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def test_survivorship_rules() -> None:
    members = [
        Member(("hr", "1"), {"title": "Engineer", "phone": None}, T0),
        Member(
            ("dir", "u"),
            {"title": "Lead Engineer", "phone": "+351211234567"},
            T0 + dt.timedelta(days=3),
        ),
        Member(("pay", "p"), {"title": None, "phone": "+351219999999"}, T0 + dt.timedelta(days=9)),
    ]
    prio = ("hr", "pay", "dir")
    assert choose(Survivorship.SOURCE_PRIORITY, "phone", members, prio).row == ("hr", "1")  # type: ignore[union-attr]
    assert choose(Survivorship.NON_NULL_FIRST, "phone", members, prio).row == ("pay", "p")  # type: ignore[union-attr]
    assert choose(Survivorship.MOST_RECENT, "title", members, prio).row == ("dir", "u")  # type: ignore[union-attr]
    assert choose(Survivorship.NON_NULL_FIRST, "x", members, prio) is None


def test_together_fields_come_from_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        """
[employee]
sources = ["hr", "payroll"]
match = [{ name = "email", fields = { email = "email" } }]
[employee.fields.salary_amount]
rule = "non_null_first"
sources = ["payroll", "hr"]
together = ["salary_currency", "salary_period"]
"""
    )
    (rules,) = load_rules_file(path)
    members = [
        Member(
            ("hr", "1"),
            {"salary_amount": 50, "salary_currency": "EUR", "salary_period": "hourly"},
            T0,
        ),
        Member(
            ("payroll", "9"),
            {"salary_amount": 98000, "salary_currency": None, "salary_period": "annual"},
            T0,
        ),
    ]
    data, lineage = survive(rules, members)
    # currency follows the amount's winner even though payroll has none: no EUR-annual hybrid
    assert (data["salary_amount"], data["salary_currency"], data["salary_period"]) == (
        98000,
        None,
        "annual",
    )
    assert lineage["salary_period"]["rule"] == "together:salary_amount"
    assert lineage["salary_amount"]["winner"] == ["payroll", "9"]


def test_bad_rules_say_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[employee]\nmatch = [{ name = "e", fields = { e_mail = "email" } }]\n')
    with pytest.raises(ConfigError, match=r"no field.*e_mail.*its fields are"):
        load_rules_file(path)
    path.write_text("[employee\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules_file(path)
    with pytest.raises(ConfigError, match="unknown entity type 'staff'"):
        parse_rules({"staff": {"match": [{"name": "e", "fields": {"email": "email"}}]}})
    rules = EntityRules(entity="vendor", match=(TAX,))
    assert rules.version == EntityRules(entity="vendor", match=(TAX,)).version
    assert (
        rules.version != EntityRules(entity="vendor", match=(TAX,), allow_same_source=True).version
    )


def test_a_claimed_duplicate_does_not_stop_the_next_row_from_matching() -> None:
    """erp:A already has its portal row, so portal:q (same name, no tax id) joins erp:B."""
    rows = [
        cand("erp", "A", name="acme|FR", tax="1"),
        cand("erp", "B", name="acme|FR"),
        cand("portal", "p", tax="1"),
        cand("portal", "q", name="acme|FR"),
    ]
    found = cluster(rows, ["tax", "name"], allow_same_source=False)
    assert found.groups == [
        [("erp", "A"), ("portal", "p")],
        [("erp", "B"), ("portal", "q")],
    ]
