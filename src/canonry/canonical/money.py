"""Money and the small value types entities share: an amount with its currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CurrencyCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, upper case (EUR, JPY).")
]
CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, upper case (PT).")
]


class Money(BaseModel):
    """An amount in major units with its ISO 4217 currency (quantized by the normalizer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Decimal = Field(description="In major units (euros, not cents).")
    currency: CurrencyCode

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
