package workload

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

// apiKey is the vendor's ApiKey object; unset fields are omitted.
type apiKey struct {
	KeyName                    string `json:"keyName"`
	Description                string `json:"description,omitempty"`
	Locale                     string `json:"locale,omitempty"`
	RoleID                     int64  `json:"roleID"`
	TimeZone                   string `json:"timeZone,omitempty"`
	Active                     bool   `json:"active"`
	Created                    *int64 `json:"created,omitempty"`
	LastSignIn                 *int64 `json:"lastSignIn,omitempty"`
	UnlockTime                 *int64 `json:"unlockTime,omitempty"`
	UnsuccessfulSignInAttempts int    `json:"unsuccessfulSignInAttempts"`
	ExpiryDate                 *int64 `json:"expiryDate,omitempty"`
	SecretKey                  string `json:"secretKey,omitempty"`
	ServiceAccount             bool   `json:"serviceAccount"`
	ID                         int64  `json:"ID"`
	// The ApiKeyCurrent fields.
	RoleURN    string `json:"roleURN,omitempty"`
	TenantID   *int64 `json:"tenantID,omitempty"`
	TenantGUID string `json:"tenantGUID,omitempty"`
}

// apiKeyInput is what create and modify accept; nil means "not given".
type apiKeyInput struct {
	KeyName        *string  `json:"keyName"`
	Description    *string  `json:"description"`
	Locale         *string  `json:"locale"`
	RoleID         *flexInt `json:"roleID"`
	TimeZone       *string  `json:"timeZone"`
	Active         *bool    `json:"active"`
	ExpiryDate     *flexInt `json:"expiryDate"`
	ServiceAccount *bool    `json:"serviceAccount"`
}

func (in apiKeyInput) apply(k *identity.APIKey) {
	if in.KeyName != nil {
		k.KeyName = *in.KeyName
	}
	if in.Description != nil {
		k.Description = *in.Description
	}
	if in.Locale != nil {
		k.Locale = *in.Locale
	}
	if in.RoleID != nil {
		k.RoleID = int64(*in.RoleID)
	}
	if in.TimeZone != nil {
		k.TimeZone = *in.TimeZone
	}
	if in.Active != nil {
		k.Active = *in.Active
	}
	if in.ExpiryDate != nil {
		k.ExpiryDate = time.Time{}
		if *in.ExpiryDate > 0 {
			k.ExpiryDate = time.UnixMilli(int64(*in.ExpiryDate)).UTC()
		}
	}
	if in.ServiceAccount != nil {
		k.ServiceAccount = *in.ServiceAccount
	}
}

func toAPIKey(k identity.APIKey, secret string) apiKey {
	return apiKey{KeyName: k.KeyName, Description: k.Description, Locale: k.Locale, RoleID: k.RoleID, TimeZone: k.TimeZone,
		Active: k.Active, Created: ms(k.Created), LastSignIn: ms(k.LastSignIn), UnlockTime: ms(k.UnlockTime),
		UnsuccessfulSignInAttempts: k.UnsuccessfulSignInAttempts, ExpiryDate: ms(k.ExpiryDate), SecretKey: secret,
		ServiceAccount: k.ServiceAccount, ID: k.ID}
}

type apiKeys struct {
	APIKeys []apiKey `json:"apiKeys"`
}

func toAPIKeys(keys []identity.APIKey) apiKeys {
	out := apiKeys{APIKeys: make([]apiKey, len(keys))}
	for i, k := range keys {
		out.APIKeys[i] = toAPIKey(k, "")
	}
	return out
}

// CreateAPIKey serves POST /api/apikeys.
func (api *API) CreateAPIKey(w http.ResponseWriter, r *http.Request) {
	var in apiKeyInput
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return
	}
	k := identity.APIKey{Active: true}
	in.apply(&k)
	created, secret, err := api.Access.CreateKey(r.Context(), principalFrom(r.Context()), k)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	audit.SetTarget(r.Context(), strconv.FormatInt(created.ID, 10))
	writeJSON(w, http.StatusOK, toAPIKey(created, secret))
}

// ListAPIKeys serves GET /api/apikeys.
func (api *API) ListAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := api.Access.Keys(r.Context(), principalFrom(r.Context()), search.Filter{MaxItems: search.DefaultMaxItems})
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKeys(keys))
}

// SearchAPIKeys serves POST /api/apikeys/search.
func (api *API) SearchAPIKeys(w http.ResponseWriter, r *http.Request) {
	f, ok := parseFilter(w, r, identity.APIKeySchema)
	if !ok {
		return
	}
	keys, err := api.Access.Keys(r.Context(), principalFrom(r.Context()), f)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKeys(keys))
}

// DescribeAPIKey serves GET /api/apikeys/{apiKeyID}.
func (api *API) DescribeAPIKey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "apiKeyID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The API key does not exist.")
		return
	}
	k, err := api.Access.Key(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKey(k, ""))
}

// ModifyAPIKey serves POST /api/apikeys/{apiKeyID}.
func (api *API) ModifyAPIKey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "apiKeyID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The API key does not exist.")
		return
	}
	var in apiKeyInput
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return
	}
	k, err := api.Access.ModifyKey(r.Context(), principalFrom(r.Context()), id, in.apply)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKey(k, ""))
}

// DeleteAPIKey serves DELETE /api/apikeys/{apiKeyID}.
func (api *API) DeleteAPIKey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "apiKeyID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The API key does not exist.")
		return
	}
	if err := api.Access.DeleteKey(r.Context(), principalFrom(r.Context()), id); err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RotateAPIKey serves POST /api/apikeys/{apiKeyID}/secretkey.
func (api *API) RotateAPIKey(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "apiKeyID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The API key does not exist.")
		return
	}
	api.rotate(w, r, id)
}

func (api *API) rotate(w http.ResponseWriter, r *http.Request, id int64) {
	k, secret, err := api.Access.RotateKey(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIKey(k, secret))
}

// CurrentAPIKey serves GET and POST /api/apikeys/current.
func (api *API) CurrentAPIKey(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.KeyID == 0 {
		writeMessage(w, http.StatusBadRequest, "The caller is a session, not an API key")
		return
	}
	k, err := api.Access.CurrentKey(r.Context(), p)
	if err != nil {
		api.fail(w, r, "API key", err)
		return
	}
	out := toAPIKey(k, "")
	tenant := int64(0)
	out.RoleURN, out.TenantID, out.TenantGUID = roleURN(p.Role), &tenant, "00000000-0000-0000-0000-000000000000"
	writeJSON(w, http.StatusOK, out)
}

// RotateCurrentAPIKey serves POST /api/apikeys/current/secretkey.
func (api *API) RotateCurrentAPIKey(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p.KeyID == 0 {
		writeMessage(w, http.StatusBadRequest, "The caller is a session, not an API key")
		return
	}
	api.rotate(w, r, p.KeyID)
}

func parseFilter(w http.ResponseWriter, r *http.Request, schema search.Schema) (search.Filter, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid request body: %v", err)
		return search.Filter{}, false
	}
	f, err := search.Parse(body, schema)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return search.Filter{}, false
	}
	return f, true
}
