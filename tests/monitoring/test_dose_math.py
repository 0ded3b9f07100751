from __future__ import annotations

from decimal import Decimal as D

import pytest

from monitoring.dose_math import DoseInputError, dose_figures, session_cap_mg


@pytest.mark.parametrize(
    ("route", "inputs", "expected"),
    [
        # IV, NIMH protocol: 0.5 mg/kg x 83.7 kg = 41.85 mg; / 10 mg/ml = 4.185 -> 4.19 ml;
        # 41.85 / 40 min x 60 = 62.775 -> 62.78 mg/h.
        (
            "iv",
            {
                "weight_kg": D("83.7"),
                "dose_mg_per_kg": D("0.5"),
                "concentration_mg_per_ml": D("10"),
                "infusion_minutes": 40,
            },
            (D("41.85"), D("4.19"), D("62.78")),
        ),
        # IV over 45 min: 0.5 x 72.0 = 36.00 mg; / 45 x 60 = 48.00 mg/h; / 1 mg/ml diluted bag = 36.00 ml.
        (
            "iv",
            {
                "weight_kg": D("72.0"),
                "dose_mg_per_kg": D("0.5"),
                "concentration_mg_per_ml": D("1"),
                "infusion_minutes": 45,
            },
            (D("36.00"), D("36.00"), D("48.00")),
        ),
        # IM: 0.75 mg/kg x 70.0 kg = 52.50 mg; / 50 mg/ml = 1.05 ml.
        (
            "im",
            {"weight_kg": D("70.0"), "dose_mg_per_kg": D("0.75"), "concentration_mg_per_ml": D("50")},
            (D("52.50"), D("1.05"), None),
        ),
        # Intranasal esketamine: a fixed 56 mg, no volume drawn up.
        ("intranasal", {"dose_mg": D("56")}, (D("56.00"), None, None)),
        # Sublingual lozenge: a fixed 200 mg.
        ("sublingual", {"dose_mg": D("200")}, (D("200.00"), None, None)),
        # Oral solution: 1.5 mg/kg x 66.6 kg = 99.90 mg; / 50 mg/ml = 1.998 -> 2.00 ml.
        (
            "oral",
            {"weight_kg": D("66.6"), "dose_mg_per_kg": D("1.5"), "concentration_mg_per_ml": D("50")},
            (D("99.90"), D("2.00"), None),
        ),
    ],
)
def test_dose_maths_per_route_matches_hand_worked_values(route, inputs, expected):
    figures = dose_figures(route=route, **inputs)
    assert (figures.dose_mg, figures.volume_ml, figures.rate_mg_per_h) == expected


def test_results_are_decimals_quantized_to_hundredths():
    figures = dose_figures(route="iv", weight_kg=D("81.3"), dose_mg_per_kg=D("0.5"), infusion_minutes=40)
    assert figures.dose_mg == D("40.65") and figures.dose_mg.as_tuple().exponent == -2
    assert figures.rate_mg_per_h == D("60.98")  # 40.65 / 40 x 60 = 60.975, rounded half-up


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"route": "iv", "dose_mg_per_kg": D("0.5")}, "weight_kg"),
        ({"route": "iv", "weight_kg": D("70"), "dose_mg_per_kg": D("0.5"), "dose_mg": D("35")}, "dose_mg_per_kg"),
        ({"route": "im", "dose_mg": D("50"), "infusion_minutes": 40}, "infusion_minutes"),
        ({"route": "iv", "dose_mg": D("50"), "concentration_mg_per_ml": D("0")}, "concentration_mg_per_ml"),
    ],
)
def test_inconsistent_dose_inputs_are_refused(inputs, field):
    with pytest.raises(DoseInputError) as refused:
        dose_figures(**inputs)
    assert field in refused.value.errors


def test_the_cap_is_the_lower_of_the_fixed_and_the_weight_based_limit():
    assert session_cap_mg(max_session_mg=D("84"), max_session_mg_per_kg=None, weight_kg=None) == D("84")
    assert session_cap_mg(max_session_mg=None, max_session_mg_per_kg=D("1.0"), weight_kg=D("80.0")) == D("80.00")
    assert session_cap_mg(max_session_mg=D("70"), max_session_mg_per_kg=D("1.0"), weight_kg=D("80.0")) == D("70")


def test_implausibly_large_results_are_refused_not_stored():
    with pytest.raises(DoseInputError) as refused:
        dose_figures(route="iv", dose_mg=D("5000"), concentration_mg_per_ml=D("0.01"), infusion_minutes=1)
    assert set(refused.value.errors) == {"volume_ml", "rate_mg_per_h"}
