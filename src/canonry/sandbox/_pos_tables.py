"""Static vocabularies of the fake restaurant POS: locations, menu, modifiers.

A US restaurant group across time zones (including Phoenix and Honolulu, which skip DST), so
local-offset timestamps change offset through the year and differ between locations.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Site(NamedTuple):
    """One restaurant: where it is, its IANA time zone and its sales-tax rate (percent text)."""

    name: str
    timezone: str
    line1: str
    city: str
    state: str
    postal: str
    tax: str


# fmt: off
SITES: Final = (
    Site("Downtown", "America/New_York", "120 Broadway", "New York", "NY", "10271", "8.875"),
    Site("Lakeview", "America/Chicago", "3201 N Clark St", "Chicago", "IL", "60657", "10.25"),
    Site("Mission", "America/Los_Angeles", "2400 Mission St", "San Francisco", "CA", "94110",
         "8.625"),
    Site("Waikiki", "Pacific/Honolulu", "2255 Kalakaua Ave", "Honolulu", "HI", "96815", "4.712"),
    Site("LoDo", "America/Denver", "1601 Wazee St", "Denver", "CO", "80202", "8.81"),
    Site("Roosevelt Row", "America/Phoenix", "702 N 5th St", "Phoenix", "AZ", "85004", "8.6"),
)
SITE_WEIGHTS: Final = (30, 22, 20, 8, 12, 8)

# (name, category, base price in cents, variation names)
MENU: Final = (
    ("Classic Burger", "Mains", 1450, ("Single", "Double")),
    ("Margherita Pizza", "Mains", 1600, ("10\"", "14\"")),
    ("Caesar Salad", "Salads", 1200, ("Side", "Entrée")),
    ("Fish Tacos", "Mains", 1350, ("Two", "Three")),
    ("Ramen Tonkotsu", "Mains", 1700, ("Regular",)),
    ("Truffle Fries", "Sides", 750, ("Regular", "Large")),
    ("Onion Rings", "Sides", 650, ("Regular",)),
    ("Crème Brûlée", "Desserts", 900, ("Regular",)),
    ("Espresso", "Drinks", 350, ("Single", "Doppio")),
    ("Flat White", "Drinks", 475, ("Small", "Large")),
    ("Iced Tea", "Drinks", 325, ("Regular", "Large")),
    ("Craft IPA", "Drinks", 800, ("Pint",)),
    ("Açaí Bowl", "Breakfast", 1150, ("Regular",)),
    ("Eggs Benedict", "Breakfast", 1500, ("Regular",)),
    ("Kids Mac & Cheese", "Kids", 800, ("Regular",)),
)
VARIATION_STEP: Final = (0, 350, 600)  # cents added per larger variation
MODIFIERS: Final = (
    ("Extra cheese", 150), ("Bacon", 250), ("No onions", 0), ("Oat milk", 75),
    ("Extra shot", 100), ("Gluten-free bun", 200), ("Avocado", 225), ("Spicy", 0),
)
QUANTITIES: Final = ("1", "1", "1", "1", "2", "2", "3", "1.5", "0.5")
# fmt: on
