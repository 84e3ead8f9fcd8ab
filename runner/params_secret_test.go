package runner

import (
	"errors"
	"strings"
	"testing"
)

// Finding 18: the wider secret-name pattern, and no false alarms on words
// that merely contain a short one.
func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"api_token": true, "db_password": true, "ssh_key": true, "credential": true,
		"db_pass": true, "dbPass": true, "user_pwd": true, "gpg_passphrase": true,
		"auth": true, "authHeader": true, "oauth_client": true, "bearer": true, "tls_pem": true,
		"aws_creds": true, "admin_pw": true,
		"author": false, "compass": false, "nodes": false, "ugroup_name": false, "pemberton": false,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// Findings 17 and 18: a secret parameter's bad value is not echoed in the
// type error, and a parameter the template marks secret is masked like one
// named so.
func TestSecretParameters(t *testing.T) {
	params := "[parameters]api_key_num := 1\nplain := \"x\" // ocs:secret the admin's phrase\n"
	_, err := New(makeNotebook(params), Options{Params: map[string]string{"api_key_num": "SuperSecret123"}})
	if err == nil || !errors.Is(err, ErrInput) || strings.Contains(err.Error(), "SuperSecret123") || !strings.Contains(err.Error(), `parameter "api_key_num" wants an int`) {
		t.Errorf("err = %v", err)
	}
	k := &scriptKernel{}
	_, rec, _ := run(t, makeNotebook(params, "print hi"), Options{Params: map[string]string{"plain": "marked-value-77"}}, nil, k)
	if shown := rec.Cells[1].Source.String(); strings.Contains(shown, "marked-value-77") || !strings.Contains(shown, Mask) {
		t.Errorf("injected cell in the record = %q", shown)
	}
	if got := rec.Metadata["ocs"].(map[string]any)["parameters"].(map[string]any)["plain"]; got != Mask {
		t.Errorf("metadata.ocs.parameters.plain = %v", got)
	}
}
