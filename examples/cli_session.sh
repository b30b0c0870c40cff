#!/usr/bin/env bash
# A command-line session: look up the ids a booking needs, create a lead, book, delete.
#
#   rocketlead fake-server --port 8787 &       # prints the URL and tokens
#   export ROCKETLEAD_BASE_URL=http://127.0.0.1:8787 ROCKETLEAD_API_TOKEN=rocketlead_...(admin)
#   bash examples/cli_session.sh
set -euo pipefail
rl() { python -m rocketlead_async "$@"; }
field() { python -c "import json, sys; print(json.load(sys.stdin)$1)"; }

rl calendars
rl resources
calendar=$(rl calendars --json | field '[0]["id"]')
trial=$(rl appointment-types --json | python -c \
  'import json, sys; print(next(t["id"] for t in json.load(sys.stdin) if t["name"] == "Trial Session"))')
table=$(rl tables --json | field '[0]["id"]')

start=2027-03-24T15:00:00+01:00
end=2027-03-24T15:30:00+01:00
rl availability --calendar "$calendar" --appointment-type "$trial" --start "$start" \
  --end 2027-03-24T17:00:00+01:00

lead=$(rl leads create --json --table "$table" --field firstName=Jane | field '["id"]')
resource=$(rl availability --json --calendar "$calendar" --appointment-type "$trial" \
  --start "$start" --end "$end" | field '[0]["resourceId"]')
booking=$(rl book --json --calendar "$calendar" --appointment-type "$trial" --resource "$resource" \
  --start "$start" --end "$end" --entry "$lead" --recover | field '["id"]')
echo "booked $booking for lead $lead"

set +e
rl delete no-such-booking 2>/dev/null
echo "deleting an unknown booking exits with $? (1: the API said 404)"
set -e
rl delete "$booking"
