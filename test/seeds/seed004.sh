#!/usr/bin/env bash
# seed004.sh -- the curl/jq commands of the vendor tutorial
#   ../shared/seeds/004_5888ef8f2564c907.txt (Network Security virtual
#   appliance upgrade and rollback through the API), as the tutorial prints
#   them. Changed only where the brief allows: the URL (the tutorial's
#   https://network.${REGION}.cloudone.trendmicro.com becomes $RAMPART_URL),
#   the key (SECRET from $RAMPART_SECRET) and -k for the self-signed
#   certificate. The tutorial tells the reader to repeat the progress query;
#   here that repetition is a bounded loop that stops at the final state.
set -euo pipefail
: "${RAMPART_URL:?}" "${RAMPART_SECRET:?}"
SECRET="$RAMPART_SECRET"

poll() { # $1: the message that ends the migration
  URL="${RAMPART_URL}/api/appliancemigrations"
  for _ in $(seq 1 240); do
    out=$(curl -k -sS --location --request GET "${URL}?applianceIds=8" \
    --header "Authorization: ApiKey ${SECRET}" \
    --header "api-version: v1" \
    | jq -c .)
    echo "$out"
    if echo "$out" | jq -e '.statuses[0].state == "finish"' >/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "migration did not finish" >&2
  return 1
}

echo "== appliances"
URL="${RAMPART_URL}/api/appliances"
curl -k -sS --location --request GET "${URL}" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
| jq '.appliances[] | {ID: .ID, instanceId: .instanceId}'

echo "== versions before"
URL="${RAMPART_URL}/api/migrationversions"
curl -k -sS --location --request GET "${URL}?applianceId=8" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
| jq -c

echo "== upgrade"
URL="${RAMPART_URL}/api/appliancemigrations"
curl -k -sS -w 'upgrade: %{http_code}\n' --data '{"action": "upgrade", "applianceId": 8}' \
--location --request POST "${URL}" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
--header "Content-Type: application/json"
poll

echo "== versions after upgrade"
URL="${RAMPART_URL}/api/migrationversions"
curl -k -sS --location --request GET "${URL}?applianceId=8" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
| jq -c

echo "== rollback"
URL="${RAMPART_URL}/api/appliancemigrations"
curl -k -sS -w 'rollback: %{http_code}\n' --data '{"action": "rollback", "applianceId": 8}' \
--location --request POST "${URL}" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
--header "Content-Type: application/json"
poll

echo "== versions after rollback"
URL="${RAMPART_URL}/api/migrationversions"
curl -k -sS --location --request GET "${URL}?applianceId=8" \
--header "Authorization: ApiKey ${SECRET}" \
--header "api-version: v1" \
| jq -c
