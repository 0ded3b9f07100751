from __future__ import annotations

import pytest

from followups.messages import UnsafePatientMessage, assert_patient_safe


@pytest.mark.parametrize(
    "text",
    [
        "Your ketamine visit is tomorrow.",
        "Spravato session reminder",
        "How is your depression this week?",
        "Your dose was changed.",
    ],
)
def test_a_patient_message_naming_a_drug_or_diagnosis_is_refused(text):
    with pytest.raises(UnsafePatientMessage):
        assert_patient_safe(text)


def test_the_random_characters_of_a_link_never_trip_the_check():
    # given: a signed token can spell anything
    text = "Please share a short check-in: http://localhost:8000/api/v1/checkins/7/eyJwIjo3fQ:1vDOse:ketAMINE/"

    # when / then: no exception
    assert_patient_safe(text)


def test_words_that_merely_contain_a_fragment_pass():
    assert_patient_safe("Your visit is closed on Monday; we moved it to Tuesday at noon.")
