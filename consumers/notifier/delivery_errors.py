"""How delivering one email can fail: temporary, deferred for that message alone, permanent, or unknown."""

from __future__ import annotations


class TransientDeliveryError(Exception):
    """Worth retrying later: a 4xx reply, a refused or dropped connection, a timeout."""


class DeferredDeliveryError(TransientDeliveryError):
    """The server deferred this message alone (a 4xx to its recipient or its data): other notices may still go."""


class PermanentDeliveryError(Exception):
    """Retrying cannot help: the server answered 5xx for this message."""


class DeliveryUnknownError(Exception):
    """The message went out whole but the server never answered it: it may have been delivered, so it is not resent."""
