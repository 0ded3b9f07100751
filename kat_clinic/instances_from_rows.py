"""Model instances made from database rows without the general path of `Model.__init__`.

Every row a queryset reads becomes an instance through `Model.from_db`, which calls `Model.__init__`:
that path is written for every way of making an instance (keyword arguments, defaults, signals,
descriptors) and cost about a fifth of a list page's CPU (fifty patients, or a day's forty sessions
with their patients). A row from the database needs none of it: `from_db_row` sets the same
`__dict__` that `__init__` would (the state marked as loaded from `db`, then each loaded column by
its attribute name) directly.

It is installed, at start-up, only on models where that is exactly what `__init__` would do: no
`__init__`, `__new__` or `from_db` of their own, and every column held by Django's plain attribute
(not a descriptor that converts or watches what is set, as django-celery-beat's time zone field
has). Whenever a `pre_init` or `post_init` receiver is connected, every row takes Django's own path,
so such receivers are called as before.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# Plain attributes: DeferredAttribute sets nothing itself; ForeignKeyDeferredAttribute, on a new
# instance, only stores the value (it clears a cached related object, which a new one has none of).
_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)
_django_from_db = Model.from_db.__func__

# The attribute names of each installed model's columns, in the order its rows carry them.
_COLUMNS: dict[type, tuple[str, ...]] = {}


def from_db_row(cls, db, field_names, values):
    """`Model.from_db`'s instance: its state loaded from `db`, its columns from `values`. A row
    with every column is in the model's column order; a row of some columns (`only()`, `defer()`)
    holds those named in `field_names`, and the others are left deferred, as Django leaves them."""
    if pre_init.receivers or post_init.receivers:
        return _django_from_db(cls, db, field_names, values)
    columns = _COLUMNS[cls]
    state = ModelState()
    state.adding = False
    state.db = db
    instance = object.__new__(cls)
    attributes = instance.__dict__
    attributes["_state"] = state
    attributes.update(zip(columns if len(values) == len(columns) else field_names, values, strict=True))
    return instance


def made_as_django_makes_them(model: type) -> bool:
    """Whether `from_db_row` makes exactly the instance `Model.from_db` would for this model."""
    if model._meta.abstract or model.__init__ is not Model.__init__ or model.__new__ is not object.__new__:
        return False
    if getattr(model.from_db, "__func__", None) is not _django_from_db:
        return False
    return all(type(getattr(model, field.attname, None)) in _PLAIN_ATTRIBUTES for field in model._meta.concrete_fields)


def install() -> None:
    for model in apps.get_models(include_auto_created=True):
        if made_as_django_makes_them(model):
            _COLUMNS[model] = tuple(field.attname for field in model._meta.concrete_fields)
            model.from_db = classmethod(from_db_row)
