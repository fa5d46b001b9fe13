"""Static vocabularies the fake HRIS draws from.

Kept apart from the generator so the logic stays readable; the values mimic the messy,
multi-country exports real HR systems produce (diacritics, local address and phone styles).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class City(NamedTuple):
    """One place an employee can live: the address and phone styles follow the country."""

    name: str
    region: str
    country: str
    postal: str  # template: # = digit, @ = letter
    area: str  # phone area code, national form without trunk prefix


# Dense vocabularies read better than one item per line.
# fmt: off
FIRST_NAMES: Final = (
    "Ana", "João", "Maria", "Pedro", "Inês", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Sophia",
    "Lucas", "Mia", "Ethan", "Zoë", "Jürgen", "Anna", "Lukas", "Hannah", "Felix", "Yuki", "Haruto",
    "Sakura", "Ren", "Aarav", "Priya", "Rohan", "Ananya", "Gabriel", "Beatriz", "Chloé", "Mateo",
    "Isabella", "Sebastián", "Amélie", "Henrik", "Ingrid", "Kwame", "Amara", "Fatima", "Omar",
    "Leila", "Wei", "Mei", "Jun", "Seo-yeon", "Min-jun", "Niamh", "Seán", "Catherine", "William",
    "Robert", "Elizabeth", "Alexander", "Jennifer", "Michael", "Sarah", "David", "Laura", "Thomas",
)
LAST_NAMES: Final = (
    "Silva", "Santos", "Ferreira", "Costa", "Oliveira", "Smith", "Johnson", "Williams", "Brown",
    "Jones", "Garcia", "Miller", "Davis", "Müller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Sato", "Patel", "Sharma", "Gupta", "Singh",
    "Kumar", "Pereira", "Almeida", "Dubois", "Martin", "Bernard", "Rossi", "Russo", "O'Brien",
    "Murphy", "Kelly", "Nguyen", "Tran", "Kim", "Lee", "Park", "Chen", "Wang", "Li", "Zhang",
    "Mensah", "Okafor", "Haddad", "Khan", "Andersson", "Johansson", "Nielsen", "van der Berg",
    "de Souza", "López", "Hernández", "González", "Wójcik",
)
NICKNAMES: Final = ("Bill", "Bob", "Liz", "Kate", "Alex", "Jen", "Mike", "Dave", "Tom", "Sam")

CITIES: Final = (
    City("San Francisco", "CA", "US", "941##", "415"),
    City("New York", "NY", "US", "100##", "212"),
    City("Austin", "TX", "US", "787##", "512"),
    City("Chicago", "IL", "US", "606##", "312"),
    City("Lisbon", "Lisboa", "PT", "11##-###", "21"),
    City("Porto", "Porto", "PT", "40##-###", "22"),
    City("London", "England", "GB", "EC#A #@@", "20"),
    City("Manchester", "England", "GB", "M# #@@", "161"),
    City("Berlin", "Berlin", "DE", "10###", "30"),
    City("Munich", "Bayern", "DE", "80###", "89"),
    City("Tokyo", "Tokyo", "JP", "1##-####", "3"),
    City("Osaka", "Osaka", "JP", "5##-####", "6"),
    City("Bengaluru", "Karnataka", "IN", "560###", "80"),
    City("São Paulo", "SP", "BR", "0####-###", "11"),
    City("Toronto", "ON", "CA", "M#@ #@#", "416"),
)
# Weighted towards US/PT/GB so most records are "ordinary" and the rest add variety.
CITY_WEIGHTS: Final = (14, 8, 6, 6, 9, 5, 9, 4, 7, 4, 6, 3, 8, 6, 5)

STREETS: Final[dict[str, tuple[str, ...]]] = {
    "US": ("Market St", "Main Street", "Broadway", "Oak Ave.", "5th Avenue", "Lake Shore Dr"),
    "PT": ("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Rua do Ouro"),
    "GB": ("High Street", "Baker Street", "Deansgate", "King's Road"),
    "DE": ("Hauptstraße", "Friedrichstraße", "Leopoldstr.", "Torstraße"),
    "JP": ("Marunouchi", "Shibuya", "Umeda", "Namba"),
    "IN": ("MG Road", "Brigade Road", "100 Feet Rd, Indiranagar"),
    "BR": ("Av. Paulista", "Rua Augusta", "Rua Oscar Freire"),
    "CA": ("King St W", "Queen Street East", "Yonge St"),
}
# Countries whose addresses put the house number after the street name.
NUMBER_AFTER: Final = frozenset({"PT", "DE", "BR"})

CURRENCY: Final = {
    "US": "USD", "PT": "EUR", "GB": "GBP", "DE": "EUR", "JP": "JPY", "IN": "INR", "BR": "BRL",
    "CA": "CAD",
}
# Units of local currency per USD; rough, fixed so generation is deterministic.
FX: Final = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "INR": 83.0, "BRL": 5.0, "CAD": 1.36,
}
COUNTRY_CODE: Final = {
    "US": "1", "CA": "1", "PT": "351", "GB": "44", "DE": "49", "JP": "81", "IN": "91", "BR": "55",
}

ROLES: Final = (
    "Accountant", "Software Engineer", "Data Analyst", "Product Manager", "Recruiter",
    "Sales Representative", "Account Executive", "Support Specialist", "Designer",
    "Financial Analyst", "HR Business Partner", "Marketing Specialist", "Legal Counsel",
    "Operations Coordinator", "Site Reliability Engineer", "QA Engineer", "Payroll Specialist",
    "Customer Success Manager", "Security Engineer", "Office Manager",
)
LEVELS: Final = ("L1", "L2", "L3", "L4", "L5", "L6")
LEVEL_PREFIX: Final = ("Junior ", "", "Senior ", "Lead ", "Principal ", "Head ")
LEVEL_BASE_USD: Final = (48_000, 68_000, 92_000, 120_000, 155_000, 190_000)
EMPLOYMENT_TYPES: Final = ("full_time", "part_time", "contractor", "intern")
EMPLOYMENT_WEIGHTS: Final = (80, 8, 8, 4)

DEPARTMENT_NAMES: Final = (
    "Executive", "Engineering", "Finance", "Human Resources", "Sales", "Marketing", "Legal",
    "Operations", "Customer Support", "Product", "Design", "Data", "Security", "IT", "Procurement",
    "Facilities", "Research", "Quality Assurance", "Partnerships", "Payroll",
)
# Offsets (minutes) used to spell timestamps: None = "Z", 0 = "+00:00", others are local time.
TS_OFFSETS: Final = (None, None, 0, 0, 60, -300, 330, 540, -480, -180)
# Offsets for hire_date datetimes: all keep 09:00 local on the same UTC calendar day.
HIRE_OFFSETS: Final = (-300, -180, 0, 60, 120, 330, 540)
# fmt: on
