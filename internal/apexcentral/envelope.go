package apexcentral

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// ResultCode is the envelope's result_code.
type ResultCode int

// The result codes of the published Control Manager 7.0 table that this
// API can answer with.
const (
	CodeSuccess            ResultCode = 1
	CodeTokenNotSet        ResultCode = -2
	CodeTokenMalformed     ResultCode = -3
	CodeTokenVersion       ResultCode = -4
	CodeInvalidAppID       ResultCode = -5
	CodeTokenExpired       ResultCode = -6
	CodeInvalidSignature   ResultCode = -7
	CodeInvalidChecksum    ResultCode = -8
	CodeUnsupportedAlg     ResultCode = -9
	CodeInvalidParameter   ResultCode = -21
	CodeInvalidOperation   ResultCode = -22
	CodeMethodUnsupported  ResultCode = -50
	CodeInternalError      ResultCode = -99
	CodeMultipleMatch      ResultCode = -102
	CodeTargetNotFound     ResultCode = -105
	CodeTargetNotSupported ResultCode = -107
)

// codeInfo is each code's HTTP status and description.
var codeInfo = map[ResultCode]struct {
	status int
	text   string
}{
	CodeSuccess:            {http.StatusOK, "Operation successful"},
	CodeTokenNotSet:        {http.StatusUnauthorized, "Authentication failed: the authorization token is not set"},
	CodeTokenMalformed:     {http.StatusUnauthorized, "Authentication failed: the authorization token format is invalid"},
	CodeTokenVersion:       {http.StatusUnauthorized, "Authentication failed: the authorization token version is not supported"},
	CodeInvalidAppID:       {http.StatusUnauthorized, "Authentication failed: invalid application ID"},
	CodeTokenExpired:       {http.StatusUnauthorized, "Authentication failed: the authorization token has expired"},
	CodeInvalidSignature:   {http.StatusUnauthorized, "Authentication failed: invalid authorization token signature"},
	CodeInvalidChecksum:    {http.StatusUnauthorized, "Authentication failed: invalid request checksum"},
	CodeUnsupportedAlg:     {http.StatusUnauthorized, "Authentication failed: the token signing algorithm is not supported"},
	CodeInvalidParameter:   {http.StatusBadRequest, "Invalid parameter"},
	CodeInvalidOperation:   {http.StatusBadRequest, "Invalid operation"},
	CodeMethodUnsupported:  {http.StatusMethodNotAllowed, "Unsupported HTTP method"},
	CodeInternalError:      {http.StatusInternalServerError, "Internal server error"},
	CodeMultipleMatch:      {http.StatusBadRequest, "Agent action failed: multiple matches are not allowed"},
	CodeTargetNotFound:     {http.StatusBadRequest, "Agent action failed: target server not found"},
	CodeTargetNotSupported: {http.StatusBadRequest, "Agent action failed: target server does not support the command"},
}

// envelope is the APIResponseObject every answer is wrapped in.
type envelope struct {
	ResultCode        ResultCode `json:"result_code"`
	ResultDescription string     `json:"result_description"`
	ResultContent     any        `json:"result_content"`
}

// writeOK answers 200 with content as result_content.
func writeOK(w http.ResponseWriter, content any) {
	write(w, http.StatusOK, envelope{CodeSuccess, codeInfo[CodeSuccess].text, content})
}

// writeError answers with code's status; detail, when given, follows the
// code's description after ": ".
func writeError(w http.ResponseWriter, code ResultCode, detail string) {
	info := codeInfo[code]
	text := info.text
	if detail != "" {
		text += ": " + detail
	}
	write(w, info.status, envelope{code, text, ""})
}

func write(w http.ResponseWriter, status int, body envelope) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"result_code":-99,"result_description":"Internal server error","result_content":""}`)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n")) // Encode's newline
	h["Content-Length"] = []string{strconv.Itoa(len(out))}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// bufPool recycles response buffers: every answer is encoded in full
// before it is sent, so that its Content-Length is known.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)
