"""The request transaction (ATOMIC_REQUESTS), left out for plain reads.

Every request runs in one transaction so that a write spanning rows lands whole or not at all. A
read writes nothing: its transaction costs a BEGIN and a COMMIT (two round trips) and buys nothing
under READ COMMITTED, where each statement sees its own snapshot anyway. A view lists the actions
whose GET and HEAD run without it in `reads_outside_transaction` (viewset actions such as "list"
and "retrieve", or "get" on a plain APIView); every other method and action, and every view that
does not list them, keeps the transaction exactly as before. A read that arrives while a
transaction is already open (a test's, a caller's) runs in a savepoint as before, so an error
inside it is rolled back to there (DRF's exception handler marks the atomic block for rollback).

The audit row is written by the audit middleware after the view in either case, outside any
transaction, so a read's row is committed before its response leaves (kat_clinic/audit/middleware.py).
"""

from __future__ import annotations

import functools

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import URLPattern, URLResolver

READ_METHODS = frozenset({"GET", "HEAD"})


def _view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _action_of(callback, method: str) -> str:
    actions = getattr(callback, "actions", None)  # a viewset's {method: action}
    if actions:
        return actions.get(method, "")
    return "get" if method == "head" else method  # an APIView answers HEAD with its get()


def atomic_except_reads(callback):
    """`callback` in the request transaction, except for the reads its view class names."""
    cls = _view_class(callback)
    reads = getattr(cls, "reads_outside_transaction", frozenset())
    if not reads or DEFAULT_DB_ALIAS in getattr(callback, "_non_atomic_requests", set()):
        return callback
    atomic = transaction.atomic(using=DEFAULT_DB_ALIAS)(callback)

    @functools.wraps(callback)
    def view(request, *args, **kwargs):
        if (
            request.method in READ_METHODS
            and _action_of(callback, request.method.lower()) in reads
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return callback(request, *args, **kwargs)
        return atomic(request, *args, **kwargs)

    # The handler must not wrap it again: the transaction, when there is one, is opened above.
    view._non_atomic_requests = {DEFAULT_DB_ALIAS}
    return view


def apply(patterns: list) -> list:
    """Wrap the views of these URL patterns (recursively) with `atomic_except_reads`."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            apply(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = atomic_except_reads(entry.callback)
    return patterns
