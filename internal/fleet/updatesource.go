package fleet

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
)

// UpdateSourceSettings is the update-source configuration an Apex One server
// deploys to its agents (the vendor's setting_data_JSON_string).
type UpdateSourceSettings struct {
	AllowUpdateFromOtherAU               bool
	UpdateComponentFromServerIfOUSFailed bool
	UpdateSettingFromServerIfOUSFailed   bool
	UpdateProgramFromServerIfOUSFailed   bool
	Sources                              []UpdateSource
}

// UpdateSource assigns an Update Agent (OUS) to the agents whose address
// lies in an IPv4 range or an IPv6 prefix.
type UpdateSource struct {
	// Exactly one of Range and Prefix is set.
	Range  *AddrRange
	Prefix *netip.Prefix
	OUS    string
}

// AddrRange is an inclusive IPv4 address range.
type AddrRange struct {
	From, To netip.Addr
}

// Contains reports whether a lies in the range.
func (r AddrRange) Contains(a netip.Addr) bool {
	return a.Is4() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// Validate checks what the vendor's console would refuse.
func (s UpdateSourceSettings) Validate() error {
	for i, src := range s.Sources {
		if (src.Range == nil) == (src.Prefix == nil) {
			return fmt.Errorf("%w: OUSList[%d] must have an IPv4 range or an IPv6 prefix", ErrInvalid, i)
		}
		if src.Range != nil {
			if !src.Range.From.Is4() || !src.Range.To.Is4() {
				return fmt.Errorf("%w: OUSList[%d]: FromIP and ToIP must be IPv4 addresses", ErrInvalid, i)
			}
			if src.Range.From.Compare(src.Range.To) > 0 {
				return fmt.Errorf("%w: OUSList[%d]: FromIP %s is after ToIP %s", ErrInvalid, i, src.Range.From, src.Range.To)
			}
		}
		if src.Prefix != nil && (!src.Prefix.Addr().Is6() || src.Prefix.Addr().Is4In6()) {
			return fmt.Errorf("%w: OUSList[%d]: Prefix must be an IPv6 address", ErrInvalid, i)
		}
		if err := validateOUS(src.OUS); err != nil {
			return fmt.Errorf("%w: OUSList[%d]: %v", ErrInvalid, i, err)
		}
	}
	return nil
}

func validateOUS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("OUS %q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("OUS %q must be an http or https URL", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("OUS %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("OUS %q has port %s outside 1-65535", raw, p)
		}
	}
	return nil
}

// SourceFor returns the update source an agent with the given addresses is
// assigned: the first entry whose range or prefix holds one of them.
func (s UpdateSourceSettings) SourceFor(addrs []string) (UpdateSource, bool) {
	for _, src := range s.Sources {
		for _, raw := range addrs {
			a, err := netip.ParseAddr(raw)
			if err != nil {
				continue
			}
			a = a.WithZone("")
			if src.Range != nil && src.Range.Contains(a.Unmap()) {
				return src, true
			}
			if src.Prefix != nil && a.Is6() && src.Prefix.Contains(a) {
				return src, true
			}
		}
	}
	return UpdateSource{}, false
}
