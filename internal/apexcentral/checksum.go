package apexcentral

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
)

// checksum is the request checksum the vendor defines: padded base64 of
// SHA-256 over METHOD|lower(raw_url)|canonical_headers|body.
func checksum(method, rawURL, headers string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(canonicalString(method, rawURL, headers, "")))
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// canonicalString is the text hashed before the body; with the body
// appended it is what X-Rampart-Auth-Detail shows a developer.
func canonicalString(method, rawURL, headers, body string) string {
	return strings.ToUpper(method) + "|" + strings.ToLower(rawURL) + "|" + headers + "|" + body
}

// canonicalHeaders builds the second accepted header form, the one a public
// C# helper sends: the request headers whose names start with "api",
// lower-cased "name:trimmed-value" pairs, sorted, joined with "&". Python
// clients send "" instead; the server accepts either.
func canonicalHeaders(h http.Header) string {
	var pairs []string
	for name, values := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "api") {
			continue
		}
		trimmed := make([]string, len(values))
		for i, v := range values {
			trimmed[i] = strings.TrimSpace(v)
		}
		pairs = append(pairs, lower+":"+strings.Join(trimmed, ","))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// rawURL returns the path and query exactly as the request line carried
// them, without scheme and host when a client sent the absolute form.
func rawURL(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" { // a request built in-process, not read off the wire
		uri = r.URL.RequestURI()
	}
	if i := strings.Index(uri, "://"); i >= 0 && !strings.HasPrefix(uri, "/") {
		rest := uri[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			uri = rest[j:]
		} else {
			uri = "/"
		}
	}
	return uri
}
