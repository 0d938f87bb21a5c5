package fleet

import (
	"net/netip"
	"strings"
)

// AgentFilter selects agents; every non-empty field must match. Values are
// normalised by Normalize before they reach the store.
type AgentFilter struct {
	EntityID         string
	IPAddress        string
	MACAddress       string
	HostName         string
	Product          string
	ManagingServerID string
}

// Empty reports whether the filter selects every agent.
func (f AgentFilter) Empty() bool { return f == AgentFilter{} }

// Normalize returns the filter in the store's comparison form: IDs, host
// names and products compared case-insensitively, addresses canonical.
func (f AgentFilter) Normalize() AgentFilter {
	return AgentFilter{
		EntityID:         Key(f.EntityID),
		IPAddress:        NormalizeIP(f.IPAddress),
		MACAddress:       NormalizeMAC(f.MACAddress),
		HostName:         Key(f.HostName),
		Product:          Key(f.Product),
		ManagingServerID: Key(f.ManagingServerID),
	}
}

// ServerFilter selects servers; every non-empty field must match.
type ServerFilter struct {
	EntityID   string
	IPAddress  string
	MACAddress string
	HostName   string
	Product    string
}

// Normalize returns the filter in the store's comparison form.
func (f ServerFilter) Normalize() ServerFilter {
	return ServerFilter{
		EntityID:   Key(f.EntityID),
		IPAddress:  NormalizeIP(f.IPAddress),
		MACAddress: NormalizeMAC(f.MACAddress),
		HostName:   Key(f.HostName),
		Product:    Key(f.Product),
	}
}

// Key is the case-insensitive comparison form of an ID, host or product name.
func Key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizeIP returns the canonical text of an address (IPv6 lower-case and
// compressed, zone kept) or the trimmed input when it is not an address, so
// that a malformed filter matches nothing rather than failing.
func NormalizeIP(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return strings.ToLower(s)
}

// NormalizeMAC returns a MAC address in the vendor's dash form, upper case
// (00-60-59-A4-70-2D), accepting colons, dashes, dots or no separators.
// Input that is not 12 hex digits is returned upper-cased as is.
func NormalizeMAC(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	var hex [12]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' || c == '-' || c == '.':
			continue
		case n < 12 && ('0' <= c && c <= '9' || 'A' <= c && c <= 'F'):
			hex[n] = c
			n++
		default:
			return s
		}
	}
	if n != 12 {
		return s
	}
	out := make([]byte, 0, 17)
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			out = append(out, '-')
		}
		out = append(out, hex[i], hex[i+1])
	}
	return string(out)
}
