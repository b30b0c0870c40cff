"""Late outcomes of cancelled bookings, and the BookingDesk (one caller, one booking)."""
