package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

const (
	keysPath  = Base + "/administration/api-keys"
	rolesPath = Base + "/administration/roles"
)

type keyRow struct {
	identity.APIKey
	RoleName string
	Expired  bool
	Locked   bool
}

type keyForm struct {
	Name, Description, Expiry string
	RoleID                    int64
	Active                    bool
}

type keysPage struct {
	Keys  []keyRow
	Roles []identity.Role
	Form  keyForm
}

// roleNames returns every role by ID (empty when the role may not view
// roles: the page then shows role IDs).
func (c *Console) roles(r *http.Request, op *Operator) ([]identity.Role, error) {
	roles, err := c.access.Roles(r.Context(), op.Principal, search.Filter{MaxItems: search.DefaultMaxItems})
	if errors.Is(err, identity.ErrForbidden) {
		return nil, nil
	}
	return roles, err
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, op *Operator, status int, form keyForm, problem string) {
	keys, err := c.access.Keys(r.Context(), op.Principal, search.Filter{MaxItems: search.DefaultMaxItems})
	if errors.Is(err, identity.ErrForbidden) {
		c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") may not view API keys.")
		return
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	roles, err := c.roles(r, op)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, ro := range roles {
		names[ro.ID] = ro.Name
	}
	now := c.now()
	rows := make([]keyRow, len(keys))
	for i, k := range keys {
		name := names[k.RoleID]
		if name == "" {
			name = "role " + strconv.FormatInt(k.RoleID, 10)
		}
		rows[i] = keyRow{APIKey: k, RoleName: name, Expired: !k.ExpiryDate.IsZero() && !now.Before(k.ExpiryDate), Locked: now.Before(k.UnlockTime)}
	}
	c.render(w, r, status, "keys", view{Title: "API keys", Nav: "keys", Op: op, Error: problem, Data: keysPage{Keys: rows, Roles: roles, Form: form}})
}

// APIKeys serves the API keys and the form that creates one.
func (c *Console) APIKeys(w http.ResponseWriter, r *http.Request, op *Operator) {
	c.keysPage(w, r, op, http.StatusOK, keyForm{RoleID: identity.FullAccessRoleID, Active: true}, "")
}

// CreateAPIKey creates a key and shows its secret, once.
func (c *Console) CreateAPIKey(w http.ResponseWriter, r *http.Request, op *Operator) {
	f := r.PostForm
	form := keyForm{Name: f.Get("name"), Description: f.Get("description"), Expiry: strings.TrimSpace(f.Get("expiry")), Active: f.Get("active") == "on"}
	form.RoleID, _ = strconv.ParseInt(f.Get("role"), 10, 64)
	k := identity.APIKey{KeyName: form.Name, Description: form.Description, RoleID: form.RoleID, Active: form.Active}
	if form.RoleID <= 0 {
		c.keysPage(w, r, op, http.StatusBadRequest, form, "Choose a role.")
		return
	}
	if form.Expiry != "" {
		t, err := time.Parse("2006-01-02", form.Expiry)
		if err != nil {
			c.keysPage(w, r, op, http.StatusBadRequest, form, "The expiry date must be a date (YYYY-MM-DD).")
			return
		}
		k.ExpiryDate = t.UTC()
	}
	key, secret, err := c.access.CreateKey(r.Context(), op.Principal, k)
	switch {
	case errors.Is(err, identity.ErrInvalid):
		c.keysPage(w, r, op, http.StatusBadRequest, form, strings.TrimPrefix(err.Error(), identity.ErrInvalid.Error()+": "))
		return
	case errors.Is(err, identity.ErrForbidden):
		c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") may not create API keys.")
		return
	case err != nil:
		c.internal(w, r, err)
		return
	}
	c.log.InfoContext(r.Context(), "console: API key created", "key", key.ID, "admin", op.Principal.AdminID)
	c.render(w, r, http.StatusOK, "secret", view{Title: "New API key", Nav: "keys", Op: op, Data: secretPage{
		Intro:   "The new API key's secret. Copy it now: it is not shown again (Rampart keeps only a hash of it).",
		Details: [][2]string{{"ID", strconv.FormatInt(key.ID, 10)}, {"Name", key.KeyName}},
		Label:   "Secret key", Secret: secret, Back: keysPath,
	}})
}

func keyID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// ConfirmAPIKey asks before rotating or deleting a key.
func (c *Console) ConfirmAPIKey(action string) Handler {
	need := identity.EditAPIKeys
	if action == "delete" {
		need = identity.DeleteAPIKeys
	}
	return func(w http.ResponseWriter, r *http.Request, op *Operator) {
		if err := op.Principal.Authorize(need); err != nil {
			c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") does not allow this change.")
			return
		}
		id, ok := keyID(r)
		var k identity.APIKey
		var err error
		if ok {
			k, err = c.access.Key(r.Context(), op.Principal, id)
		}
		switch {
		case !ok || errors.Is(err, identity.ErrNotFound):
			c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no API key "+r.PathValue("id")+".")
			return
		case errors.Is(err, identity.ErrForbidden):
			c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") may not view API keys.")
			return
		case err != nil:
			c.internal(w, r, err)
			return
		}
		cf := confirmation{Details: [][2]string{{"ID", strconv.FormatInt(k.ID, 10)}, {"Name", k.KeyName}},
			Action: keysPath + "/" + strconv.FormatInt(k.ID, 10) + "/" + action, Cancel: keysPath, Danger: true}
		title := "Delete API key"
		if action == "rotate" {
			title, cf.Question, cf.Button = "Rotate API key", "Give this key a new secret? The current secret stops working at once.", "Rotate secret"
		} else {
			cf.Question, cf.Button = "Delete this API key? Programs using it are refused at once.", "Delete"
		}
		c.render(w, r, http.StatusOK, "confirm", view{Title: title, Nav: "keys", Op: op, Data: cf})
	}
}

// keyFailed maps a key change's error to the page that says so.
func (c *Console) keyFailed(w http.ResponseWriter, r *http.Request, op *Operator, err error) {
	switch {
	case errors.Is(err, identity.ErrNotFound):
		done(w, r, keysPath, "error", "There is no API key "+r.PathValue("id")+".")
	case errors.Is(err, identity.ErrForbidden):
		c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") does not allow this change, so nothing was changed.")
	case errors.Is(err, identity.ErrInvalid):
		done(w, r, keysPath, "error", strings.TrimPrefix(err.Error(), identity.ErrInvalid.Error()+": "))
	default:
		c.internal(w, r, err)
	}
}

// RotateAPIKey gives a key a new secret and shows it, once.
func (c *Console) RotateAPIKey(w http.ResponseWriter, r *http.Request, op *Operator) {
	id, ok := keyID(r)
	if !ok {
		c.keyFailed(w, r, op, identity.ErrNotFound)
		return
	}
	k, secret, err := c.access.RotateKey(r.Context(), op.Principal, id)
	if err != nil {
		c.keyFailed(w, r, op, err)
		return
	}
	c.log.InfoContext(r.Context(), "console: API key rotated", "key", k.ID, "admin", op.Principal.AdminID)
	c.render(w, r, http.StatusOK, "secret", view{Title: "New secret", Nav: "keys", Op: op, Data: secretPage{
		Intro:   "The key's new secret. Copy it now: it is not shown again. The previous secret no longer works.",
		Details: [][2]string{{"ID", strconv.FormatInt(k.ID, 10)}, {"Name", k.KeyName}},
		Label:   "Secret key", Secret: secret, Back: keysPath,
	}})
}

// SetAPIKeyActive serves activate and deactivate.
func (c *Console) SetAPIKeyActive(active bool) Handler {
	return func(w http.ResponseWriter, r *http.Request, op *Operator) {
		id, ok := keyID(r)
		if !ok {
			c.keyFailed(w, r, op, identity.ErrNotFound)
			return
		}
		k, err := c.access.ModifyKey(r.Context(), op.Principal, id, func(k *identity.APIKey) { k.Active = active })
		if err != nil {
			c.keyFailed(w, r, op, err)
			return
		}
		word := "deactivated"
		if active {
			word = "activated"
		}
		c.log.InfoContext(r.Context(), "console: API key "+word, "key", k.ID, "admin", op.Principal.AdminID)
		done(w, r, keysPath, "ok", "API key “"+k.KeyName+"” "+word+".")
	}
}

// DeleteAPIKey deletes a key, after its confirmation.
func (c *Console) DeleteAPIKey(w http.ResponseWriter, r *http.Request, op *Operator) {
	id, ok := keyID(r)
	if !ok {
		c.keyFailed(w, r, op, identity.ErrNotFound)
		return
	}
	k, err := c.access.Key(r.Context(), op.Principal, id)
	if err == nil {
		err = c.access.DeleteKey(r.Context(), op.Principal, id)
	}
	if err != nil {
		c.keyFailed(w, r, op, err)
		return
	}
	c.log.InfoContext(r.Context(), "console: API key deleted", "key", id, "admin", op.Principal.AdminID)
	done(w, r, keysPath, "ok", "API key “"+k.KeyName+"” deleted.")
}

// rightView is one right as the roles page lists it.
type rightView struct {
	Name    string
	Granted bool
}

type roleRow struct {
	identity.Role
	Rights []rightView
}

// Roles serves the roles and their rights (as enforced: the immutable
// Full Access role holds every right).
func (c *Console) Roles(w http.ResponseWriter, r *http.Request, op *Operator) {
	roles, err := c.access.Roles(r.Context(), op.Principal, search.Filter{MaxItems: search.DefaultMaxItems})
	if errors.Is(err, identity.ErrForbidden) {
		c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") may not view roles.")
		return
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	rows := make([]roleRow, len(roles))
	for i, ro := range roles {
		rs := ro.Rights
		if ro.Immutable {
			rs = identity.FullRights()
		}
		row := roleRow{Role: ro}
		for _, right := range []identity.Right{identity.ViewAPIKeys, identity.CreateAPIKeys, identity.EditAPIKeys, identity.DeleteAPIKeys,
			identity.ViewRoles, identity.CreateRoles, identity.EditRoles, identity.DeleteRoles, identity.ManageAppliances} {
			action, resource := right.Action()
			name := strings.ToUpper(action[:1]) + action[1:] + " " + resource
			if right == identity.ManageAppliances {
				// The one device right: the console asks it for agent
				// actions and update sources too.
				name = "Manage devices: appliance migrations, agent actions, update sources"
			}
			row.Rights = append(row.Rights, rightView{Name: name, Granted: rs.Has(right)})
		}
		rows[i] = row
	}
	c.render(w, r, http.StatusOK, "roles", view{Title: "Roles", Nav: "roles", Op: op, Data: rows})
}
