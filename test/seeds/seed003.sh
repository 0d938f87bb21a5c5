#!/usr/bin/env bash
# seed003.sh -- the curl session bootstrap of the vendor tutorial
#   ../shared/seeds/003_294e931f0d04b4b3.txt ("Create an API key using a
#   username and password"), then the tutorial's SDK flow (search the
#   Auditor role by name, create a key with it) done over HTTP with curl.
#
# The two curl commands are the tutorial's, changed only where the brief
# allows: the URL (the tutorial's "https:// localhost:4119" has a stray
# space), the credentials, and -k for the self-signed certificate. The RID
# is read from the first answer's body with jq, as the tutorial says.
#
# Environment: RAMPART_URL (https://127.0.0.1:PORT), RAMPART_USER,
# RAMPART_PASSWORD. Run in a scratch directory: it writes cookie.txt.
set -euo pipefail
: "${RAMPART_URL:?}" "${RAMPART_USER:?}" "${RAMPART_PASSWORD:?}"

echo "== Obtain a session cookie and a request ID"
curl -k -i -X POST \
"$RAMPART_URL"/api/sessions \
-H 'Cache-Control: no-cache' \
-H 'Content-Type: application/json' \
-H 'api-version: v1' \
-c cookie.txt \
-d '{
"userName": "'"$RAMPART_USER"'",
"password": "'"$RAMPART_PASSWORD"'"
}' | tee session.txt
echo
RID=$(tail -n 1 session.txt | jq -r .RID)
echo "RID: $RID"

echo "== Create an API key using the session cookie and the request ID"
curl -k -X POST \
"$RAMPART_URL"/api/apikeys \
-H 'Content-Type: application/json' \
-H 'Postman-Token: 6f81da09-e5e2-421b-a38a-d5679f50608d' \
-H 'api-version: v1' \
-H "rID: $RID" \
-b cookie.txt \
-d '{
"keyName": "First Key",
"description": "Created using a request ID",
"roleID": 1
}' | tee first-key.json
echo
FIRST=$(jq -r .secretKey first-key.json)

echo "== Obtain a role ID (the SDK's search_administrator_roles, over HTTP)"
ROLE_ID=$(curl -k -sS -X POST "$RAMPART_URL"/api/roles/search \
  -H 'Content-Type: application/json' -H 'api-version: v1' -H "api-secret-key: $FIRST" \
  -d '{"searchCriteria": [{"fieldName": "name", "stringValue": "Auditor", "stringTest": "equal"}]}' | jq '.roles[0].ID')
echo "role_id: $ROLE_ID"

echo "== Create an API key using an SDK (create_api_key, over HTTP; role_id is the string \"2\" as in the tutorial)"
NOW_MS=$(( $(date +%s) * 1000 ))
curl -k -sS -X POST "$RAMPART_URL"/api/apikeys \
  -H 'Content-Type: application/json' -H 'api-version: v1' -H "Authorization: ApiKey $FIRST" \
  -d '{"keyName": "Auditor key", "description": "Read-only access", "roleID": "'"$ROLE_ID"'", "locale": "en-US",
       "timeZone": "Asia/Tokyo", "expiryDate": '"$(( NOW_MS + 14 * 24 * 60 * 60 * 1000 ))"'}' | tee auditor-key.json
echo
AUDITOR=$(jq -r .secretKey auditor-key.json)

echo "== Use the new key: list keys (allowed)"
curl -k -sS -o /dev/null -w 'list keys: %{http_code}\n' "$RAMPART_URL"/api/apikeys -H 'api-version: v1' -H "api-secret-key: $AUDITOR"
echo "== Use the new key: create a key (refused by the Auditor role)"
curl -k -sS -w '\ncreate key: %{http_code}\n' -X POST "$RAMPART_URL"/api/apikeys \
  -H 'Content-Type: application/json' -H 'api-version: v1' -H "api-secret-key: $AUDITOR" -d '{"keyName": "not allowed"}'
