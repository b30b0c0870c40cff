"""rocketlead-async: the asynchronous Python SDK for RocketLead's Connect API.

Typed calls for every endpoint a booking flow uses, retries that never double-book, and
slot-race recovery (``client.bookings.book``) for voice agents that book while the caller waits.
"""

from typing import TYPE_CHECKING, Any

from . import _lazy, _logs, errors, models
from ._client import DEFAULT_BASE_URL, RocketLeadClient
from ._outcomes import LateOutcome
from ._retry import NO_RETRY, RetryPolicy
from ._seats import Seat, SeatClaims, SeatClaimsProtocol
from ._version import __version__
from ._wire import from_dict, to_dict, to_json
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BookingOutcomeUnknown,
    ConflictError,
    DeadlineExceeded,
    InternalServerError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    RecoveryReason,
    RocketLeadError,
    SlotRecoveryExhausted,
    SlotUnavailableError,
    UnexpectedResponseError,
)
from .models import (
    Availability,
    AvailabilityMeta,
    Booking,
    BookingRequest,
    FieldValidation,
    Id,
    Slot,
    SlotKey,
    SpecialType,
    TableSchemaField,
)

if TYPE_CHECKING:
    from .claims import RedisSeatClaims
    from .desk import BookingDesk, DeskResult, DeskStatus, OfferedSlot, Phrases
    from .models import (
        AppointmentType,
        AppointmentTypeResourceMapping,
        Calendar,
        LeadEntry,
        LeadRequest,
        LeadState,
        Resource,
        ResourceCalendarMapping,
        ResourceSlot,
        ResourceSlotBlocker,
        Table,
    )
    from .recovery import (
        Attempt,
        BookingOutcome,
        Picker,
        RecoveryEvent,
        RecoveryEventKind,
        SlotRecovery,
        rank_candidates,
    )

# Imported on first access (PEP 562): these modules define many attrs classes, which is most of
# what importing the SDK costs, and a client that never recovers a race (or never reads a
# lookup or a lead) never needs them.
_LAZY = {
    **dict.fromkeys(models.LAZY, "models"),
    **dict.fromkeys(("RedisSeatClaims",), "claims"),
    **dict.fromkeys(("BookingDesk", "DeskResult", "DeskStatus", "OfferedSlot", "Phrases"), "desk"),
    **dict.fromkeys(
        (
            "Attempt",
            "BookingOutcome",
            "Picker",
            "RecoveryEvent",
            "RecoveryEventKind",
            "SlotRecovery",
            "rank_candidates",
        ),
        "recovery",
    ),
}


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _LAZY, globals(), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_logs.setup_from_env()

__all__ = [
    "DEFAULT_BASE_URL",
    "NO_RETRY",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AppointmentType",
    "AppointmentTypeResourceMapping",
    "Attempt",
    "AuthenticationError",
    "Availability",
    "AvailabilityMeta",
    "BadRequestError",
    "Booking",
    "BookingDesk",
    "BookingOutcome",
    "BookingOutcomeUnknown",
    "BookingRequest",
    "Calendar",
    "ConflictError",
    "DeadlineExceeded",
    "DeskResult",
    "DeskStatus",
    "FieldValidation",
    "Id",
    "InternalServerError",
    "LateOutcome",
    "LeadEntry",
    "LeadRequest",
    "LeadState",
    "NotFoundError",
    "OfferedSlot",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "Phrases",
    "Picker",
    "RateLimitError",
    "RecoveryEvent",
    "RecoveryEventKind",
    "RecoveryReason",
    "RedisSeatClaims",
    "Resource",
    "ResourceCalendarMapping",
    "ResourceSlot",
    "ResourceSlotBlocker",
    "RetryPolicy",
    "RocketLeadClient",
    "RocketLeadError",
    "Seat",
    "SeatClaims",
    "SeatClaimsProtocol",
    "Slot",
    "SlotKey",
    "SlotRecovery",
    "SlotRecoveryExhausted",
    "SlotUnavailableError",
    "SpecialType",
    "Table",
    "TableSchemaField",
    "UnexpectedResponseError",
    "__version__",
    "errors",
    "from_dict",
    "rank_candidates",
    "to_dict",
    "to_json",
]
