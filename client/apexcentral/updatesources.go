package apexcentral

import (
	"errors"
	"fmt"
	"strings"
)

// SourceType is an update source entry's OUSSettingType.
type SourceType string

// The two kinds of update source entry.
const (
	SourceIPv4 SourceType = "IPv4"
	SourceIPv6 SourceType = "IPv6"
)

// UpdateSource is one entry of OUSList: the agents whose address falls in
// a range (IPv4) or a prefix (IPv6) update from OUS.
type UpdateSource struct {
	Type SourceType
	// FromIP and ToIP bound an IPv4 range.
	FromIP, ToIP string
	// Prefix and Length are an IPv6 prefix.
	Prefix string
	Length int
	// OUS is the Update Agent's URL, e.g.
	// "http://10.1.1.1:21112/activeupdate".
	OUS string
}

// IPv4Range is an IPv4 update source entry.
func IPv4Range(fromIP, toIP, ous string) UpdateSource {
	return UpdateSource{Type: SourceIPv4, FromIP: fromIP, ToIP: toIP, OUS: ous}
}

// IPv6Prefix is an IPv6 update source entry.
func IPv6Prefix(prefix string, length int, ous string) UpdateSource {
	return UpdateSource{Type: SourceIPv6, Prefix: prefix, Length: length, OUS: ous}
}

// UpdateSettings is what setting_data_JSON_string holds.
type UpdateSettings struct {
	// AllowUpdateFromOtherAU: agents use the customised update sources
	// (true) or the Apex One server (false).
	AllowUpdateFromOtherAU bool
	// The fall-backs when every customised source fails: components,
	// domain settings, programs and hotfixes from the server.
	UpdateComponentFromServerIfOUSFailed bool
	UpdateSettingFromServerIfOUSFailed   bool
	UpdateProgramFromServerIfOUSFailed   bool
	// Sources is OUSList.
	Sources []UpdateSource
}

type ipv4Inner struct {
	FromIP string `json:"FromIP"`
	ToIP   string `json:"ToIP"`
	OUS    string `json:"OUS"`
}

type ipv6Inner struct {
	Prefix string `json:"Prefix"`
	Length int    `json:"Length"`
	OUS    string `json:"OUS"`
}

type ousEntry struct {
	Type  SourceType `json:"OUSSettingType"`
	Inner string     `json:"OUSSettingJSONString"`
}

type settingsOuter struct {
	AllowUpdateFromOtherAU               int        `json:"AllowUpdateFromOtherAU"`
	UpdateComponentFromServerIfOUSFailed int        `json:"UpdateComponentFromServerIfOUSFailed"`
	UpdateSettingFromServerIfOUSFailed   int        `json:"UpdateSettingFromServerIfOUSFailed"`
	UpdateProgramFromServerIfOUSFailed   int        `json:"UpdateProgramFromServerIfOUSFailed"`
	OUSList                              []ousEntry `json:"OUSList"`
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SettingString encodes s as the value of setting_data_JSON_string: a JSON
// object (not the Python str(dict) form seed 000 sends), the flags as 0/1,
// and each OUSList entry's OUSSettingJSONString a string holding its own
// JSON object. The values themselves are checked by the server, which
// says precisely what is wrong.
func (s UpdateSettings) SettingString() (string, error) {
	out := settingsOuter{
		AllowUpdateFromOtherAU:               bit(s.AllowUpdateFromOtherAU),
		UpdateComponentFromServerIfOUSFailed: bit(s.UpdateComponentFromServerIfOUSFailed),
		UpdateSettingFromServerIfOUSFailed:   bit(s.UpdateSettingFromServerIfOUSFailed),
		UpdateProgramFromServerIfOUSFailed:   bit(s.UpdateProgramFromServerIfOUSFailed),
		OUSList:                              []ousEntry{},
	}
	if s.AllowUpdateFromOtherAU && len(s.Sources) == 0 {
		return "", errors.New("apex central: update settings: AllowUpdateFromOtherAU needs at least one update source")
	}
	for i, src := range s.Sources {
		var inner any
		switch src.Type {
		case SourceIPv4:
			inner = ipv4Inner{FromIP: strings.TrimSpace(src.FromIP), ToIP: strings.TrimSpace(src.ToIP), OUS: strings.TrimSpace(src.OUS)}
		case SourceIPv6:
			inner = ipv6Inner{Prefix: strings.TrimSpace(src.Prefix), Length: src.Length, OUS: strings.TrimSpace(src.OUS)}
		default:
			return "", fmt.Errorf("apex central: update settings: source %d: type %q is neither IPv4 nor IPv6", i, string(src.Type))
		}
		text, err := encode(inner)
		if err != nil {
			return "", fmt.Errorf("apex central: update settings: source %d: %w", i, err)
		}
		out.OUSList = append(out.OUSList, ousEntry{Type: src.Type, Inner: string(text)})
	}
	text, err := encode(out)
	if err != nil {
		return "", fmt.Errorf("apex central: update settings: %w", err)
	}
	return string(text), nil
}
