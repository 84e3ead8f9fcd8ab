package kerneltest

import (
	"fmt"
	"strings"
	"sync"

	"ocs/kernel"
)

// Recorder is a kernel.Host that keeps what a kernel reports, for tests.
type Recorder struct {
	mu      sync.Mutex
	outputs []kernel.Output
	effects []kernel.Effect
	// Secrets answers Secret; a missing name is an error naming it.
	Secrets map[string]string
}

var _ kernel.Host = (*Recorder)(nil)

func (r *Recorder) Output(o kernel.Output) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs, o)
}

func (r *Recorder) Effect(e kernel.Effect) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.effects = append(r.effects, e)
}

func (r *Recorder) Secret(name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.Secrets[name]
	if !ok {
		return "", fmt.Errorf("no secret named %q", name)
	}
	return v, nil
}

// Outputs returns the outputs reported so far.
func (r *Recorder) Outputs() []kernel.Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kernel.Output(nil), r.outputs...)
}

// Effects returns the effects reported so far.
func (r *Recorder) Effects() []kernel.Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kernel.Effect(nil), r.effects...)
}

// Reset forgets what was reported.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs, r.effects = nil, nil
}

// Stream returns the text of one stream ("stdout" or "stderr").
func (r *Recorder) Stream(name string) string {
	var b strings.Builder
	for _, o := range r.Outputs() {
		if o.Kind == kernel.Stream && o.Name == name {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

// Streams returns all stream text in order, each piece tagged with its
// stream, adjacent pieces of one stream merged: "stdout:a\n|stderr:b\n".
func (r *Recorder) Streams() string {
	var parts []string
	last := ""
	for _, o := range r.Outputs() {
		if o.Kind != kernel.Stream {
			continue
		}
		if o.Name == last && len(parts) > 0 {
			parts[len(parts)-1] += o.Text
			continue
		}
		parts = append(parts, o.Name+":"+o.Text)
		last = o.Name
	}
	return strings.Join(parts, "|")
}

// Find returns the first output of a kind.
func (r *Recorder) Find(kind kernel.OutputKind) (kernel.Output, bool) {
	for _, o := range r.Outputs() {
		if o.Kind == kind {
			return o, true
		}
	}
	return kernel.Output{}, false
}
