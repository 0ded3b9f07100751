"""The request transaction (ATOMIC_REQUESTS), left out for plain reads.

Every request runs in one transaction so that a write spanning rows lands whole or not at all. A
read writes nothing: its transaction costs a BEGIN and a COMMIT (two round trips) and buys nothing
under READ COMMITTED, where each statement sees its own snapshot anyway. A view lists the actions
whose GET and HEAD run without it in `reads_outside_transaction` (viewset actions such as "list"
and "retrieve", or "get" on a plain APIView), and in `posts_that_only_read` the POST actions that
only read (a search whose question is too large for a query string: "post" on a plain APIView);
every other method and action, and every view that does not list them, runs in the transaction
opened here (Django's own ATOMIC_REQUESTS is not applied again). A read that arrives while a
transaction is already open (a test's, a caller's) runs in a savepoint as before, so an error
inside it is rolled back to there (DRF's exception handler marks the atomic block for rollback).

The audit row is written by the audit middleware after the view in either case, outside any
transaction, so a read's row is committed before its response leaves (kat_clinic/audit/middleware.py).

A write that PostgreSQL rolled back for another's sake (a deadlock between two bookings' exclusion
checks, a serialization failure) saved nothing, so the request is run again from the start of its
transaction, up to `API_TRANSACTION_ATTEMPTS` times in all; the next attempt sees the other's rows
and answers as if it had come second (a clash, or room after all). The last attempt's refusal is a
409 `concurrent_write` with Retry-After. Only a transaction opened here is run again, and only a
request whose body can be read twice (multipart uploads are not).
"""

from __future__ import annotations

import functools
import logging
import random
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http.request import UnreadablePostError
from django.urls import URLPattern, URLResolver

from kat_clinic.api.exceptions import RETRY_ON_CONCURRENT_WRITE
from kat_clinic.errors import is_concurrent_write

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})


def _view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _action_of(callback, method: str) -> str:
    actions = getattr(callback, "actions", None)  # a viewset's {method: action}
    if actions:
        return actions.get(method, "")
    return "get" if method == "head" else method  # an APIView answers HEAD with its get()


def post_only_reads(view_class, action: str) -> bool:
    """Whether this POST action of the view writes nothing (`posts_that_only_read`): it runs outside
    the request transaction, and has no row history to attribute (kat_clinic/access/viewsets.py)."""
    return action in getattr(view_class, "posts_that_only_read", ())


def atomic_except_reads(callback):
    """`callback` in the request transaction, except for the reads its view class names."""
    cls = _view_class(callback)
    reads = getattr(cls, "reads_outside_transaction", frozenset())
    if DEFAULT_DB_ALIAS in getattr(callback, "_non_atomic_requests", set()):
        return callback
    atomic = transaction.atomic(using=DEFAULT_DB_ALIAS)(callback)

    def only_reads(request) -> bool:
        method = request.method
        if method in READ_METHODS:
            return _action_of(callback, method.lower()) in reads
        return method == "POST" and post_only_reads(cls, _action_of(callback, "post"))

    @functools.wraps(callback)
    def view(request, *args, **kwargs):
        if only_reads(request) and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return callback(request, *args, **kwargs)
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return atomic(request, *args, **kwargs)  # a caller's transaction: not ours to run again
        return _run_until_not_preempted(atomic, request, *args, **kwargs)

    # The handler must not wrap it again: the transaction, when there is one, is opened above.
    view._non_atomic_requests = {DEFAULT_DB_ALIAS}
    return view


def _body_can_be_read_again(request) -> bool:
    if request.content_type == "multipart/form-data":
        return False
    try:
        request.body  # noqa: B018 - kept, so that each attempt parses the same bytes
    except (RequestDataTooBig, UnreadablePostError):
        return False  # the view's parser reports it, as for any request
    return True


def _run_until_not_preempted(atomic, request, *args, **kwargs):
    attempts = settings.API_TRANSACTION_ATTEMPTS if _body_can_be_read_again(request) else 1
    for attempt in range(1, attempts + 1):
        setattr(request, RETRY_ON_CONCURRENT_WRITE, attempt < attempts)
        try:
            return atomic(request, *args, **kwargs)
        except OperationalError as exc:
            if attempt == attempts or not is_concurrent_write(exc):
                raise
            logger.info("%s %s: rolled back for a concurrent write, attempt %d", request.method, request.path, attempt)
            pause_before_next_attempt(attempt)
    raise AssertionError("unreachable")


def pause_before_next_attempt(attempt: int) -> None:
    """A random pause, longer after each attempt, so that two transactions PostgreSQL rolled back
    for each other's sake do not meet again at once."""
    time.sleep(random.uniform(0.005, 0.05) * attempt)


def apply(patterns: list) -> list:
    """Wrap the views of these URL patterns (recursively) with `atomic_except_reads`."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            apply(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = atomic_except_reads(entry.callback)
    return patterns
