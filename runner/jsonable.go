package runner

import (
	"bytes"
	"encoding/json"
)

// jsonable turns v into the plain JSON values a notebook's metadata holds
// (numbers stay as written: an exit status 1 must not become 1.0).
func jsonable(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return map[string]any{"unencodable": err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return map[string]any{"unencodable": err.Error()}
	}
	return out
}

// sameValue compares two JSON-compatible values as JSON.
func sameValue(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
