package sqlstore

import (
	"fmt"
	"net/netip"

	"github.com/rampart-sec/rampart/internal/fleet"
)

// storedSettings is the JSON form of fleet.UpdateSourceSettings in the
// servers.update_sources column; it is the store's own format, not a wire
// format.
type storedSettings struct {
	AllowOther     bool           `json:"allow_other_au"`
	ComponentsFall bool           `json:"component_fallback"`
	SettingsFall   bool           `json:"setting_fallback"`
	ProgramsFall   bool           `json:"program_fallback"`
	Sources        []storedSource `json:"sources"`
}

type storedSource struct {
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	OUS    string `json:"ous"`
}

func toStoredSettings(u fleet.UpdateSourceSettings) storedSettings {
	st := storedSettings{AllowOther: u.AllowUpdateFromOtherAU, ComponentsFall: u.UpdateComponentFromServerIfOUSFailed,
		SettingsFall: u.UpdateSettingFromServerIfOUSFailed, ProgramsFall: u.UpdateProgramFromServerIfOUSFailed, Sources: []storedSource{}}
	for _, src := range u.Sources {
		ss := storedSource{OUS: src.OUS}
		if src.Range != nil {
			ss.From, ss.To = src.Range.From.String(), src.Range.To.String()
		}
		if src.Prefix != nil {
			ss.Prefix = src.Prefix.String()
		}
		st.Sources = append(st.Sources, ss)
	}
	return st
}

func (st storedSettings) settings() (fleet.UpdateSourceSettings, error) {
	u := fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: st.AllowOther, UpdateComponentFromServerIfOUSFailed: st.ComponentsFall,
		UpdateSettingFromServerIfOUSFailed: st.SettingsFall, UpdateProgramFromServerIfOUSFailed: st.ProgramsFall}
	for _, ss := range st.Sources {
		src := fleet.UpdateSource{OUS: ss.OUS}
		if ss.Prefix != "" {
			p, err := netip.ParsePrefix(ss.Prefix)
			if err != nil {
				return u, fmt.Errorf("prefix %q: %w", ss.Prefix, err)
			}
			src.Prefix = &p
		} else {
			from, err1 := netip.ParseAddr(ss.From)
			to, err2 := netip.ParseAddr(ss.To)
			if err1 != nil || err2 != nil {
				return u, fmt.Errorf("range %q-%q is not two addresses", ss.From, ss.To)
			}
			src.Range = &fleet.AddrRange{From: from, To: to}
		}
		u.Sources = append(u.Sources, src)
	}
	return u, nil
}
