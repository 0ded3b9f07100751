"""The controlled-substance ledger in a real browser (issue 15's "Done means"): receive a vial
checked by a second nurse, chart a dose drawn from it, waste the rest with a witness, count the
cabinet blind, and download a dispensing log that balances to zero discrepancy; a witness who
confirms from their own session; the desk kept out; axe-core on every ledger screen."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from controlled.models import (
    Container,
    ContainerBalance,
    Count,
    Discrepancy,
    LedgerEntry,
    Witnessing,
)
from controlled.services.draws import waste_record
from kat_clinic.roles import Role
from monitoring.models import DoseAdministration
from tests.controlled.factories import EsketamineDeviceFactory, KetamineVialFactory, RegistrationFactory, receive
from tests.factories import PatientFactory, WeightFactory
from tests.monitoring.factories import AttestationFactory, ConsentFactory, ScreenFactory, SessionFactory, VitalFactory
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_totp(settings):
    # Second persons re-authenticate with their password (and a code when they hold a device: the
    # API tests cover the code); sign-in itself is not what these tests are about.
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = False


@pytest.fixture
def prescriber_staff(clinic, make_staff):
    return make_staff(clinic, Role.PRESCRIBER)


@pytest.fixture
def nurse_staff(clinic, make_staff):
    return make_staff(clinic, Role.NURSE)


@pytest.fixture
def cabinet(clinic, prescriber_staff, nurse_staff, make_staff):
    """The prescriber's DEA registration; in the cabinet, a pack of three esketamine devices."""
    registration = RegistrationFactory(clinic=clinic, registrant=prescriber_staff)
    KetamineVialFactory()
    pack = receive(
        registration=registration,
        by=nurse_staff,
        checker=make_staff(clinic, Role.NURSE),
        product=EsketamineDeviceFactory(),
        devices=3,
        lot_number="ESK-88",
    )
    return registration, pack


@pytest.fixture
def dosing_session(clinic, nurse_staff, prescriber_staff):
    """A dosing session in progress now, every pre-dose item met, 80 kg on file."""
    session = SessionFactory(patient=PatientFactory(home_clinic=clinic, first_name="Robin", last_name="Hale"))
    ConsentFactory(patient=session.patient, witness=nurse_staff, recorded_by=nurse_staff)
    ScreenFactory(patient=session.patient, reviewed_by=prescriber_staff)
    AttestationFactory(session=session, recorded_by=nurse_staff)
    WeightFactory(patient=session.patient, weight_kg=D("80.0"), measured_at=timezone.now() - dt.timedelta(days=2))
    VitalFactory(session=session, entered_by=nurse_staff, measured_at=timezone.now() - dt.timedelta(minutes=10))
    return session


def test_receive_a_vial_chart_a_dose_from_it_waste_the_rest_count_and_download_a_balanced_log(
    app_login, clinic, cabinet, dosing_session, prescriber_staff, nurse_staff
):
    registration, pack = cabinet
    page = app_login(prescriber_staff, "/ledger/receive")

    # 1. receive a 500 mg vial, checked in by the nurse, who types her own credentials
    form = page.get_by_role("form", name="Receive a lot")
    form.get_by_label("Product").select_option(label="Ketamine HCl 50 mg/mL (NDC 0143-9508-10)")
    form.get_by_label("Lot number").fill("KX-501")
    form.get_by_label("Quantity (mg)").fill("500")
    form.get_by_label("Supplier").fill("Henry Schein")
    form.get_by_label("Invoice or DEA Form 222 number").fill("INV-2291")
    form.get_by_label("Checked in by: username").fill(nurse_staff.user.username)
    form.get_by_label("Checked in by: password").fill(PASSWORD)
    form.get_by_role("button", name="Receive").click()
    page.get_by_role("status").filter(has_text="Received").wait_for()
    vial = Container.objects.get(lot_number="KX-501")
    receipt = LedgerEntry.objects.get(container=vial)
    assert (receipt.kind, receipt.change_mg, receipt.by, receipt.checked_by) == (
        "receipt",
        D("500.00"),
        prescriber_staff,
        nurse_staff,
    )

    # 2. chart a dose: the clinic's policy asks for the container, so none chosen records nothing
    page.goto(f"/chart/sessions/{dosing_session.pk}")
    dose = page.get_by_role("form", name="Initial dose")
    dose.get_by_label("Route").select_option("im")
    dose.get_by_label("Dose (mg/kg)").fill("0.5")
    picker = dose.get_by_label("Drawn from container")
    assert picker.evaluate("el => el.required") is True
    dose.get_by_role("button", name="Record dose").click()
    assert picker.evaluate("el => el.validity.valueMissing") is True
    assert DoseAdministration.objects.count() == 0
    # the vial is picked: the container gives lot, expiry and concentration
    expected = f"Ketamine HCl 50 mg/mL, lot KX-501 (#{vial.pk}): 500.00 mg left, expires {vial.expires_on}"
    # (the containers arrive after the form: wait for them rather than read the list as it stands)
    expect(picker.locator("option")).to_have_text(["Choose the container…", expected])
    picker.select_option(str(vial.pk))
    expect(page.get_by_test_id("dose-preview")).to_have_text(re.compile(r"^Preview: 40\.00 mg · 0\.80 ml"))
    dose.get_by_role("button", name="Record dose").click()
    page.get_by_role("cell", name=f"#{vial.pk}, lot KX-501").wait_for()
    given = DoseAdministration.objects.get(session=dosing_session)
    draw = LedgerEntry.objects.get(kind="draw")
    assert (given.dose_mg, given.lot_number, draw.dose, draw.container, draw.change_mg) == (
        D("40.00"),
        "KX-501",
        given,
        vial,
        D("-40.00"),
    )

    # 3. waste the rest with a witness: a wrong password is refused and nothing is written
    page.goto("/ledger")
    expect(page.get_by_test_id(f"on-hand-{vial.pk}")).to_have_text("460.00 mg")
    page.get_by_role("button", name=f"Waste from lot KX-501 (#{vial.pk})").click()
    waste = page.get_by_role("form", name="Waste")
    assert waste.get_by_label("Quantity wasted (mg)").input_value() == "460.00"
    waste.get_by_label("Reason").fill("Rest of the opened vial, discarded")
    waste.get_by_label("Witness: username").fill(nurse_staff.user.username)
    waste.get_by_label("Witness: password").fill("not her password")
    waste.get_by_role("button", name="Record waste").click()
    waste.get_by_text("The second person's credentials did not match.").first.wait_for()
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    waste.get_by_label("Witness: password").fill(PASSWORD)
    waste.get_by_role("button", name="Record waste").click()
    page.get_by_role("status").filter(has_text="witnessed").wait_for()
    wasted = LedgerEntry.objects.get(kind="waste")
    assert (wasted.change_mg, wasted.balance_after_mg) == (D("-460.00"), D("0.00"))
    assert (wasted.witnessing.witness, wasted.witnessing.method) == (nurse_staff, "reauthenticated")

    # 4. count the cabinet blind: the sheet lists the pack without the ledger's figure
    page.goto("/ledger/count")
    sheet = page.get_by_role("form", name="Blind count")
    sheet.get_by_label(f"Counted devices in lot ESK-88 (#{pack.pk})").wait_for()
    assert "84" not in sheet.inner_text()
    assert sheet.get_by_label(re.compile("lot KX-501")).count() == 0  # empty: nothing to count
    sheet.get_by_label(f"Counted devices in lot ESK-88 (#{pack.pk})").fill("3")
    sheet.get_by_role("button", name="Record count").click()
    page.get_by_role("status").filter(has_text="Count recorded").wait_for()
    line = Count.objects.get().lines.get()
    assert (line.container, line.counted_mg, line.expected_mg) == (pack, D("84.00"), D("84.00"))
    assert not Discrepancy.objects.exists()

    # 5. the reports: zero discrepancy, and the dispensing log downloaded
    page.goto("/ledger/reports")
    today = clinic.local_date()
    page.get_by_label("From").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_test_id("reconciliation-summary").filter(has_text="Zero discrepancy").wait_for()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the dispensing log (CSV)").click()
    download = downloading.value
    assert download.suggested_filename.startswith(f"dispensing-log-{registration.number}-")
    with open(download.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert [(r["container_id"], r["kind"], r["quantity_mg"], r["balance_after_mg"]) for r in rows] == [
        (str(pack.pk), "receipt", "84.00", "84.00"),
        (str(vial.pk), "receipt", "500.00", "500.00"),
        (str(vial.pk), "draw", "-40.00", "460.00"),
        (str(vial.pk), "waste", "-460.00", "0.00"),
    ]
    # every container's running balance ends at its on-hand, which its entries add up to
    for container in (pack, vial):
        on_hand = ContainerBalance.objects.get(container=container).on_hand_mg
        mine = [r for r in rows if r["container_id"] == str(container.pk)]
        assert D(mine[-1]["balance_after_mg"]) == sum(D(r["quantity_mg"]) for r in mine) == on_hand
    drawn = rows[2]
    assert (drawn["patient_name"], drawn["drug_name"], drawn["strength"], drawn["administered_by"]) == (
        "Robin Hale",
        "Ketamine HCl",
        "50 mg/mL",
        str(prescriber_staff),
    )
    assert rows[3]["witnessed_by"] == str(nurse_staff)


def test_a_witness_confirms_a_waste_from_their_own_signed_in_session(
    app_login, clinic, cabinet, nurse_staff, make_staff
):
    # given: a waste the nurse recorded for a witness to confirm later
    _, pack = cabinet
    entry = waste_record(
        container=pack, by=nurse_staff, devices=1, reason="Device misfired", occurred_at=timezone.now()
    )
    witness = make_staff(clinic, Role.NURSE)

    # when: the waster sees no button for her own waste; the second nurse confirms it
    page = app_login(nurse_staff, "/ledger")
    pending = page.get_by_role("region", name="Wastes waiting for a witness")
    pending.get_by_text("Device misfired").wait_for()
    assert pending.get_by_role("button", name="I witnessed this waste").count() == 0
    page.get_by_role("button", name="Sign out").click()
    page = app_login(witness, "/ledger")
    page.get_by_role("button", name="I witnessed this waste").click()

    # then: witnessed from her own session, and the list is empty
    page.get_by_role("region", name="Wastes waiting for a witness").wait_for(state="detached")
    witnessing = Witnessing.objects.get(entry=entry)
    assert (witnessing.witness, witnessing.method) == (witness, "own_session")


@pytest.mark.parametrize("path", ["/ledger", "/ledger/receive", "/ledger/count", "/ledger/reports"])
def test_the_front_desk_sees_none_of_the_ledger(app_login, clinic, cabinet, make_staff, path):
    page = app_login(make_staff(clinic, Role.SCHEDULER), path)

    page.get_by_role("heading", name=re.compile("ledger is for nurses, prescribers and admins")).wait_for()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Controlled").count() == 0
    assert page.get_by_text("ESK-88").count() == 0


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/ledger", "Wastes waiting for a witness"),
        ("/ledger/receive", "Receive a lot"),
        ("/ledger/count", "Count sheet"),
        ("/ledger/discrepancies", "Discrepancies"),
        ("/ledger/reports", "Reconciliation"),
        ("chart", "Dosing"),
    ],
)
def test_each_ledger_screen_has_no_serious_violation(
    app_login, clinic, cabinet, dosing_session, prescriber_staff, nurse_staff, axe_violations, path, ready
):
    # given: a waste waiting for a witness, so the stock screen shows every part
    _, pack = cabinet
    waste_record(container=pack, by=nurse_staff, devices=1, reason="Device misfired", occurred_at=timezone.now())
    target = f"/chart/sessions/{dosing_session.pk}" if path == "chart" else path

    page = app_login(prescriber_staff, target)
    page.get_by_text(ready).first.wait_for()
    page.wait_for_load_state("networkidle")

    assert axe_violations(page) == []
