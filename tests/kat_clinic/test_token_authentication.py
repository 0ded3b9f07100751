"""Token authentication reads the token, its user and the user's roles per clinic in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from knox import auth as knox_auth
from knox.models import AuthToken
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from kat_clinic.access.authentication import TokenAuthentication
from kat_clinic.access.scoping import roles_by_clinic
from kat_clinic.models import ClinicMembership
from kat_clinic.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _request(token: str):
    return APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")


def _expire(instance: AuthToken) -> None:
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))


def test_a_token_its_user_and_the_roles_the_matrix_needs_cost_one_query(
    clinic, other_clinic, make_staff, django_assert_num_queries
):
    # given a nurse at one clinic who is also the scheduler at another, with a token
    staff = make_staff(clinic, Role.NURSE)
    ClinicMembership.objects.create(staff=staff, clinic=other_clinic, role=Role.SCHEDULER)
    _, token = AuthToken.objects.create(user=staff.user)

    # when the token is checked, the matrix reads the roles and a view reads the acting staff member
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate(_request(token))
        roles = roles_by_clinic(user)
        acting = user.staff

    # then the user and the roles per clinic are those of the memberships, the staff record the user's
    assert user.pk == staff.user.pk
    assert acting.pk == staff.pk and acting.user is user
    assert auth.user_id == staff.user.pk
    assert roles == {clinic.pk: frozenset({Role.NURSE}), other_clinic.pk: frozenset({Role.SCHEDULER})}


def test_inactive_memberships_and_clinics_give_no_roles(clinic, other_clinic, make_staff):
    # given a revoked membership and one at a closed clinic
    staff = make_staff(clinic, Role.NURSE)
    ClinicMembership.objects.filter(staff=staff).update(active=False)
    ClinicMembership.objects.create(staff=staff, clinic=other_clinic, role=Role.SCHEDULER)
    other_clinic.active = False
    other_clinic.save(update_fields=["active"])
    _, token = AuthToken.objects.create(user=staff.user)

    # when the token is checked
    user, _ = TokenAuthentication().authenticate(_request(token))

    # then the user holds no role anywhere, and the API refuses the reads of a role
    assert roles_by_clinic(user) == {}
    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/patients/")
    assert response.status_code == 403


def test_a_membership_revoked_counts_from_the_next_request(clinic, scheduler, patient):
    # given a scheduler whose token reads patients
    _, token = AuthToken.objects.create(user=scheduler.user)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/patients/").status_code == 200

    # when the membership is revoked
    ClinicMembership.objects.filter(staff=scheduler).update(active=False)

    # then the next request with the same token is refused
    assert client.get("/api/v1/patients/").status_code == 403


def test_an_expired_token_is_refused_and_deleted_as_knox_did_and_other_tokens_stay(scheduler):
    # given an expired token and a valid one of the same user
    expired, expired_token = AuthToken.objects.create(user=scheduler.user)
    _expire(expired)
    valid, _ = AuthToken.objects.create(user=scheduler.user)
    valid_expiry = AuthToken.objects.get(pk=valid.pk).expiry

    # when the expired token is used
    with pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate(_request(expired_token))

    # then it is refused as an invalid token and gone; the other token is untouched
    assert str(refused.value.detail) == "Invalid token."
    assert list(AuthToken.objects.values_list("pk", "expiry")) == [(valid.pk, valid_expiry)]


def test_an_expired_token_is_401_through_the_api(scheduler):
    # given an expired token
    instance, token = AuthToken.objects.create(user=scheduler.user)
    _expire(instance)

    # when it is used
    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")

    # then 401, and the request was answered for nobody
    assert response.status_code == 401
    assert response.json()["type"] == "urn:kat-clinic:problem:authentication_failed"


def test_a_wrong_secret_with_a_known_prefix_is_refused_and_changes_nothing(scheduler):
    # given a token, and another string with the same key prefix
    instance, token = AuthToken.objects.create(user=scheduler.user)
    before = list(AuthToken.objects.values_list("pk", "expiry", "digest"))
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]

    # when the forged token is used
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate(_request(forged))

    # then nothing changed
    assert list(AuthToken.objects.values_list("pk", "expiry", "digest")) == before


def test_an_inactive_user_is_refused(scheduler):
    # given a token of a user since deactivated
    _, token = AuthToken.objects.create(user=scheduler.user)
    scheduler.user.is_active = False
    scheduler.user.save(update_fields=["is_active"])

    # when the token is used
    with pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate(_request(token))

    # then
    assert str(refused.value.detail) == "User inactive or deleted."


def test_use_pushes_the_expiry_forward_bounded_by_the_absolute_lifetime(scheduler, settings):
    # given a token whose expiry is near and that was created 11h55 ago (the maximum is 12 hours)
    instance, token = AuthToken.objects.create(user=scheduler.user)
    created = timezone.now() - dt.timedelta(hours=11, minutes=55)
    AuthToken.objects.filter(pk=instance.pk).update(created=created, expiry=timezone.now() + dt.timedelta(minutes=1))

    # when it is used
    TokenAuthentication().authenticate(_request(token))

    # then its expiry is the end of its absolute lifetime, not 30 minutes from now
    assert AuthToken.objects.get(pk=instance.pk).expiry == created + dt.timedelta(hours=12)


def test_login_deletes_the_users_expired_tokens_and_keeps_the_others(scheduler, nurse):
    # given an expired and a valid token of the scheduler, and an expired one of a nurse
    expired, _ = AuthToken.objects.create(user=scheduler.user)
    _expire(expired)
    valid, _ = AuthToken.objects.create(user=scheduler.user)
    others, _ = AuthToken.objects.create(user=nurse.user)
    _expire(others)

    # when the scheduler logs in
    response = APIClient().post("/api/v1/auth/login/", {"username": scheduler.user.username, "password": PASSWORD})

    # then the expired token is gone, the valid one stays with the new one; the nurse's is not touched
    assert response.status_code == 200
    kept = set(AuthToken.objects.filter(user=scheduler.user).values_list("pk", flat=True))
    assert expired.pk not in kept
    assert valid.pk in kept
    assert len(kept) == 2
    assert AuthToken.objects.filter(pk=others.pk).exists()


def test_the_schema_names_the_token_scheme_as_knox_did(db):
    from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
    from drf_spectacular.generators import SchemaGenerator
    from knox.auth import TokenAuthentication as KnoxTokenAuthentication

    # when the schema is generated
    schema = SchemaGenerator().get_schema(request=None, public=True)

    # then the scheme is knox's, under knox's name, and the me operation requires it
    knox_scheme = KnoxTokenScheme(KnoxTokenAuthentication()).get_security_definition(None)
    assert schema["components"]["securitySchemes"]["knoxApiToken"] == knox_scheme
    assert {"knoxApiToken": []} in schema["paths"]["/api/v1/me/"]["get"]["security"]


def test_the_token_and_user_read_are_the_rows_the_orm_reads(scheduler, django_assert_num_queries):
    # given a token
    _, token = AuthToken.objects.create(user=scheduler.user)

    # when it is checked
    user, auth = TokenAuthentication().authenticate(_request(token))

    # then every field of both is what the ORM gives for the same rows (the expiry, pushed forward
    # in memory by the use, is written only once a minute: knox's MIN_REFRESH_INTERVAL)
    orm = AuthToken.objects.select_related("user").get(pk=auth.pk)
    for field in AuthToken._meta.concrete_fields:
        if field.name != "expiry":
            assert getattr(auth, field.attname) == getattr(orm, field.attname), field.name
    assert orm.expiry <= auth.expiry < orm.expiry + dt.timedelta(seconds=60)
    for field in type(user)._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(orm.user, field.attname), field.name
    assert auth.user is user
    assert auth._state.adding is False and user._state.adding is False
    for field in type(scheduler)._meta.concrete_fields:
        assert getattr(user.staff, field.attname) == getattr(scheduler, field.attname), field.name
    assert user.staff._state.adding is False
    # and the token's user and the staff member's user are that user, read with no query
    with django_assert_num_queries(0):
        assert (auth.user, user.staff.user, user.staff.user_id) == (user, user, user.pk)
        assert auth.user is user and user.staff.user is user


def test_a_user_without_a_staff_record_reads_as_none_without_a_query(django_user_model, django_assert_num_queries):
    # given a signed-in account that is not a staff member (a network administrator, say)
    account = django_user_model.objects.create_user(username="network-admin", password=PASSWORD)
    _, token = AuthToken.objects.create(user=account)

    # when its token is checked and a view asks for the acting staff member
    with django_assert_num_queries(1):
        user, _ = TokenAuthentication().authenticate(_request(token))
        acting = getattr(user, "staff", None)

    # then there is none, as a query finding no row would say
    assert user.pk == account.pk
    assert acting is None


@pytest.mark.parametrize(
    "header",
    ["", "Token", "token", "Token a b", "Basic dXNlcjpwYXNz", "Bearer {token}", "Token {token}", "tOkEn {token}"],
)
def test_each_authorization_header_is_answered_as_knox_answers_it(scheduler, header):
    # given a token, and a header of that form (absent, empty, with spaces, another scheme, the token)
    _, token = AuthToken.objects.create(user=scheduler.user)
    extra = {"HTTP_AUTHORIZATION": header.format(token=token)} if header else {}

    def answer(authentication):
        request = Request(APIRequestFactory().get("/api/v1/me/", **extra))
        try:
            found = authentication.authenticate(request)
        except AuthenticationFailed as refusal:
            return "refused", str(refusal.detail)
        return "answered", None if found is None else (found[0].pk, found[1].digest)

    # when ours and knox's read it, then they answer alike
    ours = answer(TokenAuthentication())
    assert ours == answer(knox_auth.TokenAuthentication())
    if header.lower().startswith("token {"):
        assert ours == ("answered", (scheduler.user.pk, AuthToken.objects.get().digest))


def test_the_header_is_read_without_copying_every_header_of_the_request(scheduler):
    # given a request with a token
    _, token = AuthToken.objects.create(user=scheduler.user)
    django_request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    # when it is authenticated
    user, _auth = TokenAuthentication().authenticate(Request(django_request))

    # then the user is found, and `request.headers` (every header copied) was never made
    assert user.pk == scheduler.user.pk
    assert "headers" not in django_request.__dict__
