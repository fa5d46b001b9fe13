"""Entity resolution: one golden record per real-world entity, every field explained.

Rules (``EntityRules``) say which source rows match and which value survives; ``resolve``
recomputes only the goldens that changed rows touch; ``explain`` renders a golden's fields
with the rule that chose each value, the competing values, and the source-level provenance.
"""

from canonry.resolve.engine import (
    ResolutionResult,
    active_rules,
    pending_rows,
    resolve,
    set_rules,
)
from canonry.resolve.rules import (
    EntityRules,
    FieldRule,
    MatchRule,
    Normalizer,
    Survivorship,
    load_rules_file,
    parse_rules,
)

__all__ = [
    "EntityRules",
    "FieldRule",
    "MatchRule",
    "Normalizer",
    "ResolutionResult",
    "Survivorship",
    "active_rules",
    "load_rules_file",
    "parse_rules",
    "pending_rows",
    "resolve",
    "set_rules",
]
