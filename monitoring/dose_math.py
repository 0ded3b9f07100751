"""Dose arithmetic (DOMAIN.md), in Decimal with explicit rounding. Pure: no database.

dose_mg = dose_mg_per_kg x weight_kg; volume_ml = dose_mg / concentration_mg_per_ml;
IV rate_mg_per_h = dose_mg / infusion_minutes x 60. Each result is rounded half-up to 0.01.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from programs.choices import Route

CENTI = Decimal("0.01")
MAX_DOSE_MG = Decimal("10000")
MAX_VOLUME_ML = Decimal("10000")
MAX_RATE = Decimal("100000")


class DoseInputError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class DoseFigures:
    dose_mg: Decimal
    volume_ml: Decimal | None
    rate_mg_per_h: Decimal | None


def q(value: Decimal) -> Decimal:
    return value.quantize(CENTI, rounding=ROUND_HALF_UP)


def dose_figures(
    *,
    route: str,
    weight_kg: Decimal | None = None,
    dose_mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    infusion_minutes: int | None = None,
) -> DoseFigures:
    """Compute the dose, volume and IV rate from either a weight-based or a fixed dose."""
    errors: dict[str, list[str]] = {}
    if (dose_mg_per_kg is None) == (dose_mg is None):
        errors["dose_mg_per_kg"] = ["Give either dose_mg_per_kg (weight-based) or dose_mg (fixed), not both."]
    if dose_mg_per_kg is not None and not weight_kg:
        errors["weight_kg"] = ["A weight-based dose needs a recent weight."]
    if infusion_minutes is not None and route != Route.IV:
        errors["infusion_minutes"] = ["Only IV doses are infused over minutes."]
    if infusion_minutes is not None and infusion_minutes <= 0:
        errors["infusion_minutes"] = ["Must be at least one minute."]
    if concentration_mg_per_ml is not None and concentration_mg_per_ml <= 0:
        errors["concentration_mg_per_ml"] = ["Must be above zero."]
    if errors:
        raise DoseInputError(errors)
    mg = q(dose_mg_per_kg * weight_kg) if dose_mg_per_kg is not None else q(dose_mg)
    if mg <= 0:
        raise DoseInputError({"dose_mg": ["The dose must be above zero."]})
    volume = q(mg / concentration_mg_per_ml) if concentration_mg_per_ml is not None else None
    # The rate comes from the rounded dose: the pump is programmed with what the chart shows.
    rate = q(mg / Decimal(infusion_minutes) * 60) if infusion_minutes else None
    # Results beyond what the chart columns hold are typing errors, not doses.
    limits = {"dose_mg": (mg, MAX_DOSE_MG), "volume_ml": (volume, MAX_VOLUME_ML), "rate_mg_per_h": (rate, MAX_RATE)}
    too_big = {name: ["Implausibly large; check the inputs."] for name, (v, cap) in limits.items() if v and v > cap}
    if too_big:
        raise DoseInputError(too_big)
    return DoseFigures(dose_mg=mg, volume_ml=volume, rate_mg_per_h=rate)


def session_cap_mg(
    *, max_session_mg: Decimal | None, max_session_mg_per_kg: Decimal | None, weight_kg: Decimal | None
) -> Decimal | None:
    """The cap in mg: the lower of the fixed and the weight-based limit (None when no limit applies)."""
    limits = []
    if max_session_mg is not None:
        limits.append(max_session_mg)
    if max_session_mg_per_kg is not None and weight_kg:
        limits.append(q(max_session_mg_per_kg * weight_kg))
    return min(limits) if limits else None
