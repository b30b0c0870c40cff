"""``client.leads``: lead entries (``/connect/table_entries/``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import models
from .._convert import unstructure
from .._retry import RetryPolicy
from .._validate import check_json
from ._base import Resource, path_id

if TYPE_CHECKING:
    # The models load on the namespace's first call (models.LAZY), not with the SDK.
    from ..models import LeadEntry, LeadRequest

__all__ = ["LeadsResource"]

_COLLECTION = "/connect/table_entries/"


class LeadsResource(Resource):
    """Create and update leads."""

    async def create(
        self,
        request: LeadRequest,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> LeadEntry:
        """Create one lead. RocketLead does not dedupe: a POST that may have committed is never
        repeated; it raises :class:`OutcomeUnknownError` carrying the request instead."""
        if not isinstance(request, models.LeadRequest):
            raise TypeError(f"request must be a LeadRequest, not {type(request).__name__}")
        return await self._send(
            "POST",
            _COLLECTION,
            models.LeadEntry,
            unstructure(request),
            timeout=timeout,
            retry=retry,
            request=request,
        )

    async def update(
        self,
        entry_id: str,
        patch: Mapping[str, Any],
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> LeadEntry:
        """Apply an RFC 7396 merge patch in wire (camelCase) keys: a ``None`` value is sent as
        JSON ``null`` and deletes the key; omitted keys are untouched. Merge patches are
        idempotent, so this is retried like a GET. ``NaN``/``±Infinity`` (which orjson would
        send as ``null``, deleting the key) and naive datetimes are refused, naming the key."""
        path = _COLLECTION + path_id(entry_id, "entry_id")
        if not isinstance(patch, Mapping):
            raise TypeError(f"patch must be a mapping, not {type(patch).__name__}")
        if not patch:
            raise ValueError("patch is empty: nothing to update")
        if not all(isinstance(key, str) for key in patch):
            raise TypeError("patch keys must be strings (wire names such as 'leadStateId')")
        check_json(patch, "patch")
        return await self._send(
            "PATCH",
            path,
            models.LeadEntry,
            dict(patch),
            timeout=timeout,
            retry=retry,
            request=patch,
        )
