package netsec

import (
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/search"
)

// appliance is the vendor's appliance object.
type appliance struct {
	ID         int64  `json:"ID"`
	InstanceID string `json:"instanceId"`
	TOSVersion string `json:"tosVersion"`
	DVVersion  string `json:"dvVersion,omitempty"`
	Provider   string `json:"provider,omitempty"`
	HostName   string `json:"hostName,omitempty"`
}

type applianceList struct {
	TotalCount int         `json:"totalCount"`
	Next       string      `json:"next"`
	Appliances []appliance `json:"appliances"`
}

func toAppliance(a appliances.Appliance) appliance {
	return appliance{ID: a.ID, InstanceID: a.InstanceID, TOSVersion: a.Version, DVVersion: a.DVVersion, Provider: a.Provider, HostName: a.HostName}
}

// ListAppliances serves GET /api/appliances: cursor-paged (the cursor is
// the offset), with query, sortBy and sortDirection.
func (api *API) ListAppliances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 10, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeMessage(w, http.StatusBadRequest, "limit must be a number from 1 to 1000")
			return
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeMessage(w, http.StatusBadRequest, "cursor %q is not valid", v)
			return
		}
		offset = n
	}
	all, err := api.Appliances.List(r.Context())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	list := make([]appliance, 0, len(all))
	needle := strings.ToLower(q.Get("query"))
	for _, a := range all {
		x := toAppliance(a)
		hay := strings.ToLower(strings.Join([]string{strconv.FormatInt(x.ID, 10), x.InstanceID, x.Provider, x.TOSVersion, x.DVVersion, x.HostName}, " "))
		if needle == "" || strings.Contains(hay, needle) {
			list = append(list, x)
		}
	}
	keys := map[string]func(a appliance) string{
		"ID": func(a appliance) string { return strconv.FormatInt(a.ID+1e15, 10) }, "instanceId": func(a appliance) string { return a.InstanceID },
		"dvVersion": func(a appliance) string { return a.DVVersion }, "tosVersion": func(a appliance) string { return a.TOSVersion },
		"provider": func(a appliance) string { return a.Provider }, "hostName": func(a appliance) string { return a.HostName },
	}
	sortBy := q.Get("sortBy")
	if sortBy == "" {
		sortBy = "ID"
	}
	key, ok := keys[sortBy]
	if !ok {
		writeMessage(w, http.StatusBadRequest, "sortBy must be one of ID, instanceId, dvVersion, tosVersion, provider, hostName")
		return
	}
	desc := strings.EqualFold(q.Get("sortDirection"), "desc")
	if d := q.Get("sortDirection"); d != "" && !strings.EqualFold(d, "asc") && !desc {
		writeMessage(w, http.StatusBadRequest, "sortDirection must be asc or desc")
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return key(list[i]) > key(list[j])
		}
		return key(list[i]) < key(list[j])
	})
	out := applianceList{TotalCount: len(list), Appliances: []appliance{}}
	if offset < len(list) {
		end := min(offset+limit, len(list))
		out.Appliances = list[offset:end]
		if end < len(list) {
			out.Next = strconv.Itoa(end)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// DescribeAppliance serves GET /api/appliances/{applianceID}.
func (api *API) DescribeAppliance(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("applianceID"), 10, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "The appliance is not found.")
		return
	}
	a, err := api.Appliances.Get(r.Context(), id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAppliance(a))
}

func (api *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, appliances.ErrNotFound):
		writeMessage(w, http.StatusNotFound, "The appliance is not found.")
	case errors.Is(err, appliances.ErrBusy):
		writeMessage(w, http.StatusConflict, "The request to migrate the appliance was rejected because of a conflict. For example, the appliance could be scheduled for a reboot or could be completing a different TOS migration.")
	case errors.Is(err, appliances.ErrNoUpgrade):
		writeMessage(w, http.StatusConflict, "No upgrade is available for the appliance.")
	case errors.Is(err, appliances.ErrNoRollback):
		writeMessage(w, http.StatusConflict, "No rollback is available for the appliance.")
	case errors.Is(err, appliances.ErrInvalid):
		writeMessage(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), appliances.ErrInvalid.Error()+": "))
	default:
		api.Log.ErrorContext(r.Context(), "network security request failed", "path", r.URL.Path, "err", err)
		writeMessage(w, http.StatusInternalServerError, "Internal server error")
	}
}

// SearchAppliances serves POST /api/appliances/search: a SearchFilter
// (maxItems, searchCriteria, sortByObjectID) with the paging keys limit
// and cursor, answered in the list's shape. Results are in ID order and
// the cursor is opaque to clients.
func (api *API) SearchAppliances(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "The request body could not be read: %v", err)
		return
	}
	f, err := search.Parse(body, appliances.Schema)
	var bad *search.Error
	if errors.As(err, &bad) {
		writeMessage(w, http.StatusBadRequest, "%s", bad.Message)
		return
	}
	if err != nil {
		api.fail(w, r, err)
		return
	}
	page, err := api.Appliances.Search(r.Context(), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := applianceList{TotalCount: page.Total, Next: page.Next, Appliances: make([]appliance, len(page.Appliances))}
	for i, a := range page.Appliances {
		out.Appliances[i] = toAppliance(a)
	}
	writeJSON(w, http.StatusOK, out)
}
