package runner

import (
	"encoding/json"
	"testing"

	"ocs/notebook"
)

// infoKernel is a scriptKernel that knows its language_info, as a Jupyter
// kernel does from its kernel_info_reply.
type infoKernel struct {
	scriptKernel
	info map[string]any
}

func (k *infoKernel) LanguageInfo() map[string]any { return k.info }

func TestLanguageInfoFromKernel(t *testing.T) {
	info := map[string]any{
		"name": "python", "version": "3.11.2", "mimetype": "text/x-python",
		"codemirror_mode": map[string]any{"name": "ipython", "version": 3},
		"pygments_lexer":  "ipython3", "nbconvert_exporter": "python", "file_extension": ".py",
	}
	for _, tc := range []struct {
		name     string
		template any // the template's language_info; nil: none
	}{
		{"template with a partial one", map[string]any{"name": "python"}},
		{"template without one", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nb := makeNotebook("print hi", "flaky")
			if tc.template != nil {
				nb.Metadata["language_info"] = tc.template
			}
			before, err := json.Marshal(nb.Metadata["language_info"])
			if err != nil {
				t.Fatal(err)
			}
			k := &infoKernel{scriptKernel: scriptKernel{flaky: true}, info: info}
			_, rec, path := run(t, nb, Options{}, nil, k)
			got, _ := json.Marshal(rec.Metadata["language_info"])
			if want, _ := json.Marshal(info); string(got) != string(want) {
				t.Errorf("record's language_info = %s, want the kernel's %s", got, want)
			}
			k.flaky = false
			// A resumed run keeps the template's, not the record's, for strip.
			r, err := Continue(rec, Options{Record: path}, Continuation{Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Execute(t.Context(), k); err != nil {
				t.Fatal(err)
			}
			again, err := notebook.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			again.Strip()
			after, err := json.Marshal(again.Metadata["language_info"])
			if err != nil {
				t.Fatal(err)
			}
			if string(after) != string(before) {
				t.Errorf("stripped record's language_info = %s, want the template's %s", after, before)
			}
		})
	}
}
