"""The codebook: how much each evidence link counts, and the version of those rules.

Every figure that weighs evidence (net scores, charts, the matrix, exports) reads
its weights from here, and the methodology page prints them from here, so what the
page says is what the code does. A link's points:

    sign (advances +1, hinders -1) × strength (1-3) × nature (material 2, verbal 1)
        × status × confidence × reliability

- **Status**: an occurred development counts in full, an announcement as a
  commitment at half, a press report of plans at a quarter. A cancelled development
  advances nothing; its hindering links count in full, because the cancellation is
  itself a setback an editor chose to code.
- **Chains**: a development that a later published stage follows (fulfils, brings
  into force, supersedes, cancels) stops counting once that stage is dated: the
  chain counts once, at its latest stage, with that stage's status and links.
- **Confidence** of the coding: low halves a link; medium and high count alike.
- **Reliability** of the development's best source: a development known only from
  single unconfirmed reports (or from no source at all) counts half.

Changing any weight changes `VERSION`: `WEIGHTS_DIGEST` records the weights each
version was published with, and a test fails when they part.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from tracker.models import (
    DevelopmentNature,
    DevelopmentStatus,
    EvidenceConfidence,
    EvidenceStance,
    SourceReliability,
)

VERSION = "2.0"

NATURE_WEIGHTS = {DevelopmentNature.MATERIAL: 2, DevelopmentNature.VERBAL: 1}
STATUS_WEIGHTS = {
    DevelopmentStatus.OCCURRED: Decimal("1"),
    DevelopmentStatus.ANNOUNCED: Decimal("0.5"),
    DevelopmentStatus.REPORTED: Decimal("0.25"),
    DevelopmentStatus.CANCELLED: Decimal("0"),
}
# A cancelled development's hindering links: the cancellation as a setback.
CANCELLED_HINDERING_WEIGHT = Decimal("1")
CONFIDENCE_WEIGHTS = {
    EvidenceConfidence.HIGH: Decimal("1"),
    EvidenceConfidence.MEDIUM: Decimal("1"),
    EvidenceConfidence.LOW: Decimal("0.5"),
}
RELIABILITY_WEIGHTS = {
    SourceReliability.PRIMARY: Decimal("1"),
    SourceReliability.SECONDARY: Decimal("1"),
    SourceReliability.UNCONFIRMED: Decimal("0.5"),
}
# A development with no source is weighed as one with only unconfirmed ones.
UNSOURCED = SourceReliability.UNCONFIRMED
STANCE_SIGNS = {EvidenceStance.ADVANCES: 1, EvidenceStance.HINDERS: -1}


def weights() -> dict[str, dict[str, str]]:
    """Every weight, by table: what the version stands for."""
    return {
        "nature": {k: str(v) for k, v in NATURE_WEIGHTS.items()},
        "status": {k: str(v) for k, v in STATUS_WEIGHTS.items()},
        "cancelled_hindering": {"cancelled": str(CANCELLED_HINDERING_WEIGHT)},
        "confidence": {k: str(v) for k, v in CONFIDENCE_WEIGHTS.items()},
        "reliability": {k: str(v) for k, v in RELIABILITY_WEIGHTS.items()},
        "unsourced": {"as": str(UNSOURCED)},
    }


def digest() -> str:
    """A short fingerprint of the weights now in the code."""
    text = json.dumps(weights(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# The weights each version was published with (its digest). Changing a weight makes
# `digest()` differ: add a new version here and set VERSION to it.
WEIGHTS_DIGEST = {"2.0": "1c33c0bbfebd"}


def points(
    stance: str,
    strength: int,
    nature: str,
    status: str,
    confidence: str = EvidenceConfidence.MEDIUM,
    reliability: str = SourceReliability.SECONDARY,
) -> Decimal:
    """One link's points, computed in Python: the rule the SQL in progress.py follows,
    and what the methodology page's worked example shows."""
    if status == DevelopmentStatus.CANCELLED and stance == EvidenceStance.HINDERS:
        status_weight = CANCELLED_HINDERING_WEIGHT
    else:
        status_weight = STATUS_WEIGHTS[DevelopmentStatus(status)]
    return (
        STANCE_SIGNS[EvidenceStance(stance)]
        * strength
        * NATURE_WEIGHTS[DevelopmentNature(nature)]
        * status_weight
        * CONFIDENCE_WEIGHTS[EvidenceConfidence(confidence)]
        * RELIABILITY_WEIGHTS[SourceReliability(reliability)]
    )


def as_number(value: Decimal | float | int | None) -> int | float:
    """A score for an export: a whole number as one (7, not 7.0), else to 0.01."""
    number = round(float(value or 0), 2)
    return int(number) if number.is_integer() else number


def format_points(value: Decimal | float | int | None, signed: bool = False) -> str:
    """A score as analysts cite it: '7.5', '-2', '0' ('+7.5' when signed)."""
    number = as_number(value)
    return f"{number:+}" if signed and number else str(number)
