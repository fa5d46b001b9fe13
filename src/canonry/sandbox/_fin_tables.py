"""Static vocabularies of the fake ERP: countries, currencies, tax rates, names, GL accounts.

Values mimic a European-headquartered company trading worldwide, so amounts come in currencies
with 0, 2 and 3 minor digits and tax ids in several national styles.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Country(NamedTuple):
    """Where a counterparty sits: drives currency, tax-id style and invoice tax rates."""

    code: str
    currency: str
    suffix: str  # legal-form suffix of company names
    tax_rates: tuple[str, ...]  # percent, as text so "5.5" stays exact


# fmt: off
MINOR_DIGITS: Final = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "KWD": 3}
# Units of currency per USD: rough and fixed so generation is deterministic.
FX: Final = {"EUR": 0.92, "USD": 1.0, "GBP": 0.79, "CHF": 0.88, "JPY": 150.0, "KWD": 0.31}

COUNTRIES: Final = (
    Country("PT", "EUR", "Lda", ("23", "13", "6")),
    Country("DE", "EUR", "GmbH", ("19", "7")),
    Country("ES", "EUR", "S.L.", ("21", "10")),
    Country("FR", "EUR", "SARL", ("20", "10", "5.5")),
    Country("GB", "GBP", "Ltd", ("20", "5", "0")),
    Country("US", "USD", "Inc.", ("0", "8.25")),
    Country("JP", "JPY", "K.K.", ("10", "8")),
    Country("KW", "KWD", "W.L.L.", ("0",)),
    Country("CH", "CHF", "AG", ("8.1", "2.6")),
)
COUNTRY_WEIGHTS: Final = (30, 14, 8, 8, 12, 12, 6, 4, 6)

NAME_PARTS: Final = (
    "Atlas", "Nova", "Iberia", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware",
    "Proseware", "Adatum", "Wingtip", "Blue Yonder", "Alpine", "Coho", "Lucerne", "Trey",
    "Woodgrove", "Humongous", "Fourth Coffee", "Margie's", "Lusitânia", "Müller & Söhne",
)
SECTORS: Final = (
    "Supplies", "Logistics", "Consulting", "Software", "Foods", "Energy", "Print", "Facilities",
    "Telecom", "Travel", "Industrial", "Media",
)
PEOPLE: Final = (
    "Ana Silva", "João Costa", "Emma Brown", "Liam Smith", "Jürgen Weber", "Chloé Martin",
    "Yuki Tanaka", "Omar Haddad", "Sofía López", "Niamh Kelly", "Lukas Fischer", "Mia Rossi",
)
METHODS: Final = ("bank_transfer", "sepa_credit", "card", "cheque", "direct_debit")
LINE_ITEMS: Final = (
    "Consulting hours", "Software licence", "Office supplies", "Freight", "Maintenance",
    "Hosting (monthly)", "Travel expenses", "Training", "Catering", "Hardware", "Support plan",
)

# (code, name, type): the chart of accounts; extra accounts become numbered sub-accounts.
ACCOUNTS: Final = (
    ("1000", "Cash", "asset"), ("1100", "Bank - Operating", "asset"),
    ("1200", "Accounts Receivable", "asset"), ("1300", "Inventory", "asset"),
    ("1500", "Fixed Assets", "asset"), ("2000", "Accounts Payable", "liability"),
    ("2100", "VAT Payable", "liability"), ("2200", "Accrued Liabilities", "liability"),
    ("2500", "Long-term Debt", "liability"), ("3000", "Share Capital", "equity"),
    ("3100", "Retained Earnings", "equity"), ("4000", "Sales - Products", "revenue"),
    ("4100", "Sales - Services", "revenue"), ("4200", "Other Income", "revenue"),
    ("5000", "Cost of Goods Sold", "expense"), ("6000", "Salaries", "expense"),
    ("6100", "Rent", "expense"), ("6200", "Utilities", "expense"),
    ("6300", "Travel", "expense"), ("6400", "Software Subscriptions", "expense"),
)
REVENUE_CODES: Final = ("4000", "4100", "4200")
EXPENSE_CODES: Final = ("5000", "6100", "6200", "6300", "6400")
# fmt: on
