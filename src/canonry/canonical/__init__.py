"""Canonical entities: the typed contract every source maps into. Depends on nothing else."""

from canonry.canonical.base import CanonicalEntity
from canonry.canonical.hr import (
    Department,
    Employee,
    EmploymentStatus,
    EmploymentType,
    PayPeriod,
)
from canonry.canonical.provenance import FieldProvenance

ENTITY_TYPES: dict[str, type[CanonicalEntity]] = {
    cls.entity_name: cls for cls in (Employee, Department)
}

__all__ = [
    "ENTITY_TYPES",
    "CanonicalEntity",
    "Department",
    "Employee",
    "EmploymentStatus",
    "EmploymentType",
    "FieldProvenance",
    "PayPeriod",
]
