package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// The record's metadata is decoded JSON written by several versions of
// ocs; these read it without trusting its types.

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) float64 {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case float64:
		return v
	case int:
		return float64(v)
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

// scalar formats a string, number or boolean; ok is false for the rest.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool, float64, int, int64:
		return fmt.Sprint(v), true
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// showTime prints an RFC 3339 time of the record to the second, in UTC;
// anything else as it is.
func showTime(s string) string {
	t, ok := parseTime(s)
	if !ok {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// showDuration prints seconds the way a person reads them.
func showDuration(sec float64) string {
	switch {
	case math.IsNaN(sec) || sec < 0:
		return ""
	case sec < 1:
		return fmt.Sprintf("%d ms", int(math.Round(sec*1000)))
	case sec < 60:
		return fmt.Sprintf("%.1f s", sec)
	case sec < 3600:
		m := int(sec) / 60
		return fmt.Sprintf("%d min %02d s", m, int(sec)-60*m)
	}
	h := int(sec) / 3600
	return fmt.Sprintf("%d h %02d min", h, (int(sec)-3600*h)/60)
}
