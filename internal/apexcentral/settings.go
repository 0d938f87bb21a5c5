package apexcentral

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/apexcentral/pyliteral"
	"github.com/rampart-sec/rampart/internal/fleet"
)

// parseSettings reads setting_data_JSON_string, which arrives as JSON or, from
// clients that build it with Python's str(dict), as a Python literal. Every
// refusal names the key at fault.
func parseSettings(text string) (fleet.UpdateSourceSettings, error) {
	var s fleet.UpdateSourceSettings
	v, err := pyliteral.Parse(text)
	if err != nil {
		return s, fmt.Errorf("neither JSON nor a Python literal: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return s, fmt.Errorf("must hold an object, holds %s", typeName(v))
	}
	flags := []struct {
		key string
		dst *bool
	}{
		{"AllowUpdateFromOtherAU", &s.AllowUpdateFromOtherAU},
		{"UpdateComponentFromServerIfOUSFailed", &s.UpdateComponentFromServerIfOUSFailed},
		{"UpdateSettingFromServerIfOUSFailed", &s.UpdateSettingFromServerIfOUSFailed},
		{"UpdateProgramFromServerIfOUSFailed", &s.UpdateProgramFromServerIfOUSFailed},
	}
	for _, f := range flags {
		if *f.dst, err = zeroOne(obj, f.key); err != nil {
			return s, err
		}
	}
	list, ok := obj["OUSList"]
	if !ok || list == nil {
		if s.AllowUpdateFromOtherAU {
			return s, fmt.Errorf("OUSList is required when AllowUpdateFromOtherAU is 1")
		}
		return s, nil
	}
	items, ok := list.([]any)
	if !ok {
		return s, fmt.Errorf("OUSList must be a list, got %s", typeName(list))
	}
	for i, item := range items {
		src, err := parseSource(item)
		if err != nil {
			return s, fmt.Errorf("OUSList[%d]: %v", i, err)
		}
		s.Sources = append(s.Sources, src)
	}
	if s.AllowUpdateFromOtherAU && len(s.Sources) == 0 {
		return s, fmt.Errorf("OUSList is empty while AllowUpdateFromOtherAU is 1")
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), fleet.ErrInvalid.Error()+": "))
	}
	return s, nil
}

func parseSource(item any) (fleet.UpdateSource, error) {
	var src fleet.UpdateSource
	entry, ok := item.(map[string]any)
	if !ok {
		return src, fmt.Errorf("must be an object, got %s", typeName(item))
	}
	kind, _ := entry["OUSSettingType"].(string)
	if kind != "IPv4" && kind != "IPv6" {
		return src, fmt.Errorf(`OUSSettingType must be "IPv4" or "IPv6", got %s`, describe(entry["OUSSettingType"]))
	}
	inner, err := innerObject(entry["OUSSettingJSONString"])
	if err != nil {
		return src, fmt.Errorf("OUSSettingJSONString: %v", err)
	}
	if src.OUS, err = str(inner, "OUS"); err != nil {
		return src, err
	}
	if kind == "IPv4" {
		from, err := addr(inner, "FromIP")
		if err != nil {
			return src, err
		}
		to, err := addr(inner, "ToIP")
		if err != nil {
			return src, err
		}
		src.Range = &fleet.AddrRange{From: from, To: to}
		return src, nil
	}
	prefix, err := addr(inner, "Prefix")
	if err != nil {
		return src, err
	}
	length, err := prefixLength(inner["Length"])
	if err != nil {
		return src, err
	}
	p, err := prefix.Prefix(length)
	if err != nil || !prefix.Is6() {
		return src, fmt.Errorf("Prefix %s/%d is not an IPv6 prefix", prefix, length)
	}
	src.Prefix = &p
	return src, nil
}

// innerObject reads OUSSettingJSONString: documented as a string holding an
// object; an object given directly is taken too.
func innerObject(v any) (map[string]any, error) {
	if obj, ok := v.(map[string]any); ok {
		return obj, nil
	}
	text, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string holding an object, got %s", typeName(v))
	}
	inner, err := pyliteral.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("neither JSON nor a Python literal: %v", err)
	}
	obj, ok := inner.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must hold an object, holds %s", typeName(inner))
	}
	return obj, nil
}

func zeroOne(obj map[string]any, key string) (bool, error) {
	switch v := obj[key].(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case int64:
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	case string:
		if v == "0" || v == "1" {
			return v == "1", nil
		}
	}
	return false, fmt.Errorf("%s must be 0 or 1, got %s", key, describe(obj[key]))
}

func str(obj map[string]any, key string) (string, error) {
	s, ok := obj[key].(string)
	if !ok || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s must be a non-empty string, got %s", key, describe(obj[key]))
	}
	return strings.TrimSpace(s), nil
}

func addr(obj map[string]any, key string) (netip.Addr, error) {
	s, err := str(obj, key)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %q is not an IP address", key, s)
	}
	return a, nil
}

func prefixLength(v any) (int, error) {
	var n int64
	switch t := v.(type) {
	case int64:
		n = t
	case string:
		parsed, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("Length must be a number from 1 to 128, got %s", describe(v))
		}
		n = parsed
	default:
		return 0, fmt.Errorf("Length must be a number from 1 to 128, got %s", describe(v))
	}
	if n < 1 || n > 128 {
		return 0, fmt.Errorf("Length must be a number from 1 to 128, got %d", n)
	}
	return int(n), nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(clip(t, 100))
	case int64, float64, bool:
		return fmt.Sprint(t)
	default:
		return typeName(v)
	}
}
