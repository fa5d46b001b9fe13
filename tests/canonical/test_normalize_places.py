"""Countries to ISO 3166-1 alpha-2 and phones to E.164: round trips and refusals."""

from __future__ import annotations

import phonenumbers
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canonry.errors import MappingError
from canonry.sdk import normalize as n

COUNTRIES = list(pycountry.countries)
E164_EXAMPLES = sorted(
    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for region in phonenumbers.SUPPORTED_REGIONS
    if (number := phonenumbers.example_number(region)) is not None
)


@settings(deadline=None)  # the first example loads pint / pycountry tables
@given(st.sampled_from(COUNTRIES))
def test_alpha3_to_alpha2_and_back(entry: object) -> None:
    """Every alpha-3 and numeric code maps to its alpha-2, which maps back to the alpha-3."""
    alpha2 = n.country(entry.alpha_3.lower(), field="c")  # type: ignore[attr-defined]
    assert alpha2 == entry.alpha_2  # type: ignore[attr-defined]
    assert n.country(entry.numeric, field="c") == alpha2  # type: ignore[attr-defined]
    assert pycountry.countries.get(alpha_2=alpha2).alpha_3 == entry.alpha_3  # type: ignore[attr-defined, union-attr]


@pytest.mark.parametrize(
    ("raw", "want"),
    [("pt", "PT"), ("Portugal", "PT"), ("United States", "US"), ("UK", "GB"), (" usa ", "US"),
     ("Côte d'Ivoire", "CI"), ("Ivory Coast", "CI"), (620, "PT"), ("Czech Republic", "CZ"),
     ("Germany", "DE"), (None, None), ("", None)],
)  # fmt: skip
def test_country_names_codes_and_aliases(raw: object, want: str | None) -> None:
    """Names, codes and a small alias table resolve; absent stays None."""
    assert n.country(raw, field="c") == want


@pytest.mark.parametrize("bad", ["XX", "Atlantis", "Portugall", 999, 1.5])
def test_unknown_countries_are_refused(bad: object) -> None:
    """No fuzzy matching: an unknown country is a MappingError naming it."""
    with pytest.raises(MappingError, match="not an ISO 3166-1 country"):
        n.country(bad, field="address.country")


@settings(deadline=None)  # the first example loads pint / pycountry tables
@given(st.sampled_from(E164_EXAMPLES))
def test_e164_is_idempotent(number: str) -> None:
    """Normalizing an E.164 number returns it unchanged, with or without a default region."""
    assert n.phone_e164(number, field="p") == number
    assert n.phone_e164(number, field="p", default_region="PT") == number
    assert n.phone(number, field="p", default_region="US") == number


@pytest.mark.parametrize(
    ("raw", "region", "want"),
    [("(415) 555-0134", "US", "+14155550134"), ("213 456 789", "PT", "+351213456789"),
     ("00351 213 456 789", None, "+351213456789"), ("020 7946 0958", "GB", "+442079460958")],
)  # fmt: skip
def test_national_numbers_need_a_region(raw: str, region: str | None, want: str) -> None:
    """National numbers are read in the declared region; 00 is the international prefix."""
    assert n.phone_e164(raw, field="p", default_region=region) == want


@pytest.mark.parametrize(
    ("raw", "region"), [("415 555 0134", None), ("+1 000", None), ("12", "US")]
)
def test_invalid_phones_are_refused(raw: str, region: str | None) -> None:
    """Without a + and a region, or when phonenumbers says invalid, it is a MappingError."""
    with pytest.raises(MappingError, match="not a valid phone number"):
        n.phone_e164(raw, field="phone", default_region=region)


def test_phone_without_region_keeps_its_lenient_behaviour() -> None:
    """Existing mappings (no region) keep their output: national digits are passed through."""
    assert n.phone("415-555-0134", field="p") == "4155550134"
