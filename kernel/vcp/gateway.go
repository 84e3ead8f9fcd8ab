package vcp

import (
	"context"
	"encoding/json"
	"fmt"
)

// Gateway is the one door through which the SDK reaches infrastructure, so
// that every operation can be journaled and replayed. Do runs live (the real
// operation) or answers from a journal; args and the result are
// JSON-compatible. The SDK builds its return values from the result map
// only, so a recorded result yields equal SDK objects.
type Gateway interface {
	Do(ctx context.Context, op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error)
}

// PassThrough is the default Gateway: it runs every operation live.
type PassThrough struct{}

// Do calls live.
func (PassThrough) Do(ctx context.Context, op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error) {
	return live(ctx)
}

// jsonMap turns v into a JSON-compatible map (through a JSON round trip,
// so that live and replayed results have the same shape).
func jsonMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return m, nil
}

// fromMap decodes m[key] into out.
func fromMap(m map[string]any, key string, out any) error {
	v, ok := m[key]
	if !ok {
		return fmt.Errorf("result has no %q", key)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("decode result %q: %w", key, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode result %q: %w", key, err)
	}
	return nil
}
