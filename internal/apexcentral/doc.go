// Package apexcentral is the wire adapter for the Apex Central Automation
// API (/WebApp/API/...): it verifies the JWT + request-checksum
// authentication, decodes the vendor's requests, calls the fleet and
// identity domains, and encodes the result_code envelope.
//
// It owns every Apex Central wire detail (field names, result codes and
// their HTTP statuses, the Python-literal form of setting_data_JSON_string)
// and nothing else: it imports net/http, the domain packages (audit to name
// the authenticated application to the audit trail) and its own pyliteral
// parser, never a store engine nor another adapter.
package apexcentral
