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
from canonry.sdk.auth import AuthSpec, BearerToken, NoAuth, OAuth2ClientCredentials
from canonry.sdk.connector import ConnectionConfig, Connector, Stream
from canonry.sdk.mapping import Mapping, MappingContext, Record, maps
from canonry.sdk.pagination import CursorPagination, Paginator
from canonry.sdk.paths import get_path

__all__ = [
    "AuthSpec",
    "BearerToken",
    "CanonicalEntity",
    "ConnectionConfig",
    "Connector",
    "CursorPagination",
    "Department",
    "Employee",
    "EmploymentStatus",
    "EmploymentType",
    "Mapping",
    "MappingContext",
    "MappingError",
    "NoAuth",
    "OAuth2ClientCredentials",
    "Paginator",
    "ParseError",
    "PayPeriod",
    "Record",
    "Stream",
    "get_path",
    "maps",
    "normalize",
]
