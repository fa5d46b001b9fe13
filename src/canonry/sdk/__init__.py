"""The connector SDK: everything a connector author imports, and nothing else.

A connector declares its config, auth and streams, and maps records to canonical
entities. HTTP, retries, pagination, archiving, storage and watermarks are the framework's.
"""

from canonry.canonical import (
    CanonicalEntity,
    Compensation,
    Customer,
    Department,
    Employee,
    EmploymentStatus,
    EmploymentType,
    GLAccount,
    Invoice,
    InvoiceDirection,
    InvoiceLine,
    Job,
    Location,
    MenuItem,
    MerchantLocation,
    Order,
    OrderLine,
    OrderLineModifier,
    OrderState,
    PartyStatus,
    Payment,
    PaymentMethod,
    PayPeriod,
    Vendor,
)
from canonry.errors import MappingError, ParseError
from canonry.sdk import normalize
from canonry.sdk.auth import (
    ApiKey,
    AuthSpec,
    BasicAuth,
    BearerToken,
    NoAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)
from canonry.sdk.breaker import BreakerPolicy
from canonry.sdk.connector import ConnectionConfig, Connector, Stream
from canonry.sdk.fields import Read, declare, read
from canonry.sdk.mapping import Mapping, MappingContext, Record, maps
from canonry.sdk.pagination import (
    CursorPagination,
    KeysetPagination,
    LinkHeaderPagination,
    NextUrlPagination,
    OffsetPagination,
    PageNumberPagination,
    Paginator,
    Refetch,
    TimeWindowPagination,
)
from canonry.sdk.paths import get_path
from canonry.sdk.placement import InBody, InHeader, InQuery
from canonry.sdk.single_page import SinglePage

__all__ = [
    "ApiKey",
    "AuthSpec",
    "BasicAuth",
    "BearerToken",
    "BreakerPolicy",
    "CanonicalEntity",
    "Compensation",
    "ConnectionConfig",
    "Connector",
    "CursorPagination",
    "Customer",
    "Department",
    "Employee",
    "EmploymentStatus",
    "EmploymentType",
    "GLAccount",
    "InBody",
    "InHeader",
    "InQuery",
    "Invoice",
    "InvoiceDirection",
    "InvoiceLine",
    "Job",
    "KeysetPagination",
    "LinkHeaderPagination",
    "Location",
    "Mapping",
    "MappingContext",
    "MappingError",
    "MenuItem",
    "MerchantLocation",
    "NextUrlPagination",
    "NoAuth",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OffsetPagination",
    "Order",
    "OrderLine",
    "OrderLineModifier",
    "OrderState",
    "PageNumberPagination",
    "Paginator",
    "ParseError",
    "PartyStatus",
    "PayPeriod",
    "Payment",
    "PaymentMethod",
    "Read",
    "Record",
    "Refetch",
    "SinglePage",
    "Stream",
    "TimeWindowPagination",
    "Vendor",
    "declare",
    "get_path",
    "maps",
    "normalize",
    "read",
]
