package vcp

import (
	"regexp"
	"strings"
	"sync"
)

// Secret values of spec.ParamsE stay out of the state files: a unit's
// record keeps the variables whose names do not look secret, and only the
// names of the others (SpecRecord.WithheldE). The values are held in the
// memory of the process that created the unit, which boots, adds and
// powers on its nodes with them, and reach a node process through a pipe,
// never through node.json. Another process (`ocs vcp power-on`, a later
// run) starts nodes without them, and says so.

// secretEnvName matches variable names whose values are withheld; it
// follows the runner's secret-looking parameter names, widened.
var secretEnvName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(token|secret|passw(or)?d|passphrase|pwd|^pass$|_pass$|^pass_|key|credential|auth|bearer|pem)`)
})

// splitParamsE returns the entries that may be kept in state and the names
// of those that may not.
func splitParamsE(env []string) (kept, withheld []string) {
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if secretEnvName().MatchString(name) {
			withheld = append(withheld, name)
			continue
		}
		kept = append(kept, kv)
	}
	return kept, withheld
}

// heldEnv holds, for this process's life, the withheld ParamsE entries of
// the units it created: key stateDir, group and unit.
var heldEnv sync.Map

func heldKey(stateDir, group, unit string) string {
	return stateDir + "\x00" + group + "\x00" + unit
}

// holdSecretEnv remembers the withheld entries of env for a unit.
func holdSecretEnv(stateDir, group, unit string, env []string) {
	var secret []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if secretEnvName().MatchString(name) {
			secret = append(secret, kv)
		}
	}
	if len(secret) > 0 {
		heldEnv.Store(heldKey(stateDir, group, unit), secret)
	}
}

// secretEnv returns the withheld entries this process holds for a unit,
// and the names it lacks.
func secretEnv(stateDir, group string, u *UnitRecord) (have []string, missing []string) {
	if v, ok := heldEnv.Load(heldKey(stateDir, group, u.Name)); ok {
		have = v.([]string)
	}
	for _, name := range u.Spec.WithheldE {
		found := false
		for _, kv := range have {
			if strings.HasPrefix(kv, name+"=") {
				found = true
			}
		}
		if !found {
			missing = append(missing, name)
		}
	}
	return have, missing
}

// maskParamsE returns env with the values of secret-looking names masked.
func maskParamsE(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, hasValue := strings.Cut(kv, "=")
		if hasValue && secretEnvName().MatchString(name) {
			kv = name + "=********"
		}
		out = append(out, kv)
	}
	return out
}
