"""The connector SDK: everything a connector author imports, and nothing else.

A connector declares its config, auth and streams, and maps records to canonical
entities. HTTP, retries, pagination, archiving, storage and watermarks are the framework's.
"""

from canonry.canonical import (
    CanonicalEntity,
    Department,
    Employee,
    EmploymentStatus,
    EmploymentType,
    PayPeriod,
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
from canonry.sdk.connector import ConnectionConfig, Connector, Stream
from canonry.sdk.mapping import Mapping, MappingContext, Record, maps
from canonry.sdk.pagination import (
    CursorPagination,
    LinkHeaderPagination,
    NextUrlPagination,
    OffsetPagination,
    PageNumberPagination,
    Paginator,
    Refetch,
    TimeWindowPagination,
)
from canonry.sdk.paths import get_path

__all__ = [
    "ApiKey",
    "AuthSpec",
    "BasicAuth",
    "BearerToken",
    "CanonicalEntity",
    "ConnectionConfig",
    "Connector",
    "CursorPagination",
    "Department",
    "Employee",
    "EmploymentStatus",
    "EmploymentType",
    "LinkHeaderPagination",
    "Mapping",
    "MappingContext",
    "MappingError",
    "NextUrlPagination",
    "NoAuth",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OffsetPagination",
    "PageNumberPagination",
    "Paginator",
    "ParseError",
    "PayPeriod",
    "Record",
    "Refetch",
    "Stream",
    "TimeWindowPagination",
    "get_path",
    "maps",
    "normalize",
]
