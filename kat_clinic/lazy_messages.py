"""Django's message middleware, with the message storage made when a request first uses it.

Django's makes a request's storage (a cookie storage with its signer, a session storage, the
fallback between them) before every view, and asks it afterwards whether anything is to be stored.
Messages are the admin's ("… was saved", a refusal in words); no API call and no health check ever
uses them, and making the storage was about 2 % of a patient's record read through the API. Here
the storage is made when first asked for (adding a message, or a page listing them), then works and
is stored exactly as Django's; a request that never asked for it has nothing to store.
"""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response  # never made: nothing was added or read
        return super().process_response(request, response)
