"""Token authentication in one query: the token, its user and the user's roles per clinic.

knox's TokenAuthentication reads the token with its user, then every other token of the user (to
delete the expired ones), and the permission matrix then reads the user's memberships: three
queries before a view does anything. Here one query carries the token, the user and the roles the
matrix needs (the same active memberships `kat_clinic.access.scoping.roles_by_clinic` reads, as of
this request: a membership changed or revoked counts from the next request on, as before).

What knox decided stays as it was: an unknown or wrong token is "Invalid token."; an expired one
is deleted and refused the same way (knox's `token_expired` signal is sent); an inactive user is
refused; AUTO_REFRESH pushes the expiry forward (written at most once a MIN_REFRESH_INTERVAL),
bounded by AUTO_REFRESH_MAX_TTL. The user's other expired tokens are deleted at login instead of
on every request (`delete_expired_tokens`).
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from kat_clinic.access.scoping import set_roles_by_clinic

ROLES_ANNOTATION = "_kat_roles"


def _roles_subquery() -> ArraySubquery:
    """The token's user's active memberships as "clinic_id:role" strings (roles_by_clinic's filter)."""
    from kat_clinic.models import ClinicMembership

    rows = ClinicMembership.objects.filter(
        staff__user_id=OuterRef("user_id"), active=True, staff__active=True, clinic__active=True
    ).values(pair=Concat(Cast("clinic_id", CharField()), Value(":"), "role", output_field=CharField()))
    return ArraySubquery(rows)


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

    def authenticate_credentials(self, token):
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        candidates = (
            AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(**{ROLES_ANNOTATION: _roles_subquery()})
        )
        for auth_token in candidates:
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
                set_roles_by_clinic(user, _roles_map(getattr(auth_token, ROLES_ANNOTATION) or []))
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
