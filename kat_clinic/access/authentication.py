"""Token authentication in one query: the token, its user, the user's staff record and roles per clinic.

knox's TokenAuthentication reads the token with its user, then every other token of the user (to
delete the expired ones), and the permission matrix then reads the user's memberships: three
queries before a view does anything, and every charting view reads the acting staff member
(`request.user.staff`) with one more. Here one query carries the token, the user, the user's staff
record (or none) and the roles the matrix needs (the same active memberships
`kat_clinic.access.scoping.roles_by_clinic` reads, as of this request: a membership changed or
revoked counts from the next request on, as before).

What knox decided stays as it was: an unknown or wrong token is "Invalid token."; an expired one
is deleted and refused the same way (knox's `token_expired` signal is sent); an inactive user is
refused; AUTO_REFRESH pushes the expiry forward (written at most once a MIN_REFRESH_INTERVAL),
bounded by AUTO_REFRESH_MAX_TTL. The user's other expired tokens are deleted at login instead of
on every request (`delete_expired_tokens`).
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import HTTP_HEADER_ENCODING, exceptions

from kat_clinic.access.scoping import set_roles_by_clinic


class _TokenQuery:
    """The token, its user and the user's roles in one statement, written once from the models.

    The same rows the ORM would read with `AuthToken.objects.filter(token_key=...)
    .select_related("user")` and roles_by_clinic's membership filter as an array subquery; compiled
    by hand because compiling that queryset cost more CPU than everything else the check does.
    """

    def __init__(self) -> None:
        from kat_clinic.models import Clinic, ClinicMembership, StaffMember, User

        qn = connection.ops.quote_name
        self.token_fields = list(AuthToken._meta.concrete_fields)
        self.user_fields = list(User._meta.concrete_fields)
        self.staff_fields = list(StaffMember._meta.concrete_fields)
        token, user = AuthToken._meta.db_table, User._meta.db_table
        membership, staff, clinic = (m._meta.db_table for m in (ClinicMembership, StaffMember, Clinic))
        columns = (
            [f"t.{qn(f.column)}" for f in self.token_fields]
            + [f"u.{qn(f.column)}" for f in self.user_fields]
            + [f"sm.{qn(f.column)}" for f in self.staff_fields]
        )
        roles = (
            f"ARRAY(SELECT m.clinic_id::text || ':' || m.role FROM {qn(membership)} m"
            f" JOIN {qn(staff)} s ON s.id = m.staff_id JOIN {qn(clinic)} c ON c.id = m.clinic_id"
            f" WHERE s.user_id = t.user_id AND m.active AND s.active AND c.active)"
        )
        self.sql = (
            f"SELECT {', '.join(columns)}, {roles} FROM {qn(token)} t"
            f" JOIN {qn(user)} u ON u.{qn(User._meta.pk.column)} = t.{qn(AuthToken._meta.get_field('user').column)}"
            f" LEFT JOIN {qn(staff)} sm ON sm.{qn(StaffMember._meta.get_field('user').column)}"
            f" = u.{qn(User._meta.pk.column)}"
            f" WHERE t.{qn(AuthToken._meta.get_field('token_key').column)} = %s"
        )
        self.token_converters = self._converters(self.token_fields, token)
        self.user_converters = self._converters(self.user_fields, user)
        self.staff_converters = self._converters(self.staff_fields, staff)
        self.token_names, self.user_names, self.staff_names = (
            [f.attname for f in fields] for fields in (self.token_fields, self.user_fields, self.staff_fields)
        )
        self.staff_cache_name = User._meta.get_field("staff").cache_name
        # Where `token.user` and `staff.user` are kept once read (what assigning them would set:
        # their user_id is already the row's).
        self.token_user_cache_name = AuthToken._meta.get_field("user").cache_name
        self.staff_user_cache_name = StaffMember._meta.get_field("user").cache_name

    @staticmethod
    def _converters(fields, table) -> list[tuple[int, object, list]]:
        """(position, field, converters) of each field the driver's value is converted for; the
        others' values are the driver's as they are."""
        found = []
        for i, field in enumerate(fields):
            converters = connection.ops.get_db_converters(field.get_col(table)) + field.get_db_converters(connection)
            if converters:
                found.append((i, field, converters))
        return found

    @staticmethod
    def _instance(model, db, names, converters, values):
        if converters:
            values = list(values)
            for i, field, field_converters in converters:
                value = values[i]
                for convert in field_converters:
                    value = convert(value, field, db)
                values[i] = value
        return model.from_db(db.alias, names, values)

    def run(self, token_key: str):
        """[(AuthToken with .user and .user.staff, roles as "clinic_id:role")] for this key."""
        from kat_clinic.models import StaffMember, User

        db = connections[DEFAULT_DB_ALIAS]  # once: each use of `connection` looks it up again
        with db.cursor() as cursor:
            cursor.execute(self.sql, [token_key])
            rows = cursor.fetchall()
        n, m = len(self.token_fields), len(self.token_fields) + len(self.user_fields)
        found = []
        for values in rows:
            auth_token = self._instance(AuthToken, db, self.token_names, self.token_converters, values[:n])
            user = self._instance(User, db, self.user_names, self.user_converters, values[n:m])
            staff_values = values[m:-1]
            staff = None
            if staff_values[0] is not None:  # the LEFT JOIN's id: a user without a staff record has none
                staff = self._instance(StaffMember, db, self.staff_names, self.staff_converters, staff_values)
                staff._state.fields_cache[self.staff_user_cache_name] = user
            # What `user.staff` reads: the reverse one-to-one's cache (None raises DoesNotExist, as a
            # query finding no row would).
            user._state.fields_cache[self.staff_cache_name] = staff
            auth_token._state.fields_cache[self.token_user_cache_name] = user
            found.append((auth_token, values[-1]))
        return found


_token_query: _TokenQuery | None = None


def _read_tokens(token_key: str):
    global _token_query
    if _token_query is None:
        _token_query = _TokenQuery()
    return _token_query.run(token_key)


def _roles_map(pairs: list[str]) -> dict[int, frozenset[str]]:
    result: dict[int, set[str]] = {}
    for pair in pairs:
        clinic_id, role = pair.split(":", 1)
        result.setdefault(int(clinic_id), set()).add(role)
    return {clinic_id: frozenset(roles) for clinic_id, roles in result.items()}


def delete_expired_tokens(user) -> int:
    """Delete the user's expired tokens (knox did this on every request); the number deleted."""
    expired = list(AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).values_list("digest", flat=True))
    if not expired:
        return 0
    AuthToken.objects.filter(digest__in=expired).delete()
    username = user.get_username()
    for _digest in expired:
        token_expired.send(sender=TokenAuthentication, username=username, source="other_token")
    return len(expired)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token check, with the user and the user's roles per clinic read in the same query."""

    def authenticate(self, request):
        """knox's, with the header read from the WSGI environ itself: DRF's `get_authorization_header`
        reads `request.headers`, which first copies every header of the request."""
        header = request.META.get("HTTP_AUTHORIZATION", b"")
        auth = (header.encode(HTTP_HEADER_ENCODING) if isinstance(header, str) else header).split()
        if not auth or auth[0].lower() != self.authenticate_header(request).encode().lower():
            return None  # no header, or one for another scheme
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        return self.authenticate_credentials(auth[1])

    def authenticate_credentials(self, token):
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        for auth_token, roles in _read_tokens(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._expired(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                user, auth_token = self.validate_user(auth_token)
                set_roles_by_clinic(user, _roles_map(roles or []))
                return user, auth_token
        raise exceptions.AuthenticationFailed(msg)

    def _expired(self, auth_token) -> bool:
        """knox's check of this token: an expired one is deleted and skipped."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema names this class exactly as it named knox's (drf-spectacular's contrib extension)."""

    target_class = "kat_clinic.access.authentication.TokenAuthentication"
    name = "knoxApiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header("")
        )
