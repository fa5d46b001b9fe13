"""ISO 4217: every currency code a source may send, with its minor units.

The table is the ISO 4217 list (amendment 179, 2025) of codes that have minor units,
plus fund codes (BOV, CLF, ...) and a few recently withdrawn codes still found in
historical records (ANG, BGN, HRK, SLL, ZWL, CUC). Codes with no minor units in the
standard ("N.A.": XAU, XDR, XTS, XXX, ...) are not money and are refused.
"""

from __future__ import annotations

from types import MappingProxyType

# Codes whose minor units differ from 2 (ISO 4217 "Minor unit" column).
_NOT_TWO = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0,
    "JOD": 3, "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0,
    "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
}  # fmt: skip

_ACTIVE = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD "
    "EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR "
    "IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD "
    "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD "
    "OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI "
    "UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG"
).split()
_WITHDRAWN_STILL_SEEN = ("ANG", "BGN", "CUC", "HRK", "SLL", "ZWL")

MINOR_UNITS: MappingProxyType[str, int] = MappingProxyType(
    {code: _NOT_TWO.get(code, 2) for code in (*_ACTIVE, *_WITHDRAWN_STILL_SEEN)}
)
"""ISO 4217 code -> digits after the decimal point (JPY 0, EUR 2, KWD 3, CLF 4)."""

CURRENCIES: frozenset[str] = frozenset(MINOR_UNITS)
"""Every accepted ISO 4217 code."""
