package vcp

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSplitParamsE(t *testing.T) {
	kept, withheld := splitParamsE([]string{"GREETING=hi", "DB_PASSWORD=x", "API_KEY=y", "NFS_MKFS=yes", "MY_TOKEN=z", "PASS=p", "COMPASS=north"})
	if strings.Join(kept, ",") != "GREETING=hi,NFS_MKFS=yes,COMPASS=north" || strings.Join(withheld, ",") != "DB_PASSWORD,API_KEY,MY_TOKEN,PASS" {
		t.Fatalf("kept %v, withheld %v", kept, withheld)
	}
}

// Secret values given to nodes through ParamsE reach the nodes but no
// state file; a process that does not hold them starts nodes without them.
func TestSecretParamsEStayOutOfStateFiles(t *testing.T) {
	const secret = "s3cr3t-value-9131"
	rec := &recorder{}
	s := newTestSDK(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ug, err := s.CreateUGroup("sec")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := s.GetSpec("local", "small")
	spec.ParamsE = []string{"GREETING=hello", "DB_PASSWORD=" + secret}
	unit, err := ug.CreateUnit("u", spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unit.AddNodes(); err != nil {
		t.Fatal(err)
	}
	ts, err := ug.Targets("")
	if err != nil || len(ts) != 2 {
		t.Fatalf("targets %v, %v", ts, err)
	}
	for _, tg := range ts {
		if out, err := Output(ctx, tg, `echo "$GREETING/$DB_PASSWORD"`); err != nil || out != "hello/"+secret+"\n" {
			t.Fatalf("node %s env: %q, %v", tg.Name, out, err)
		}
	}
	err = filepath.WalkDir(s.m.Store.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
			t.Errorf("state file %s holds the secret", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if j := fmt.Sprint(rec.journal); strings.Contains(j, secret) || !strings.Contains(j, "DB_PASSWORD=********") {
		t.Errorf("the journal holds the secret or lacks its masked name: %s", j)
	}
	g, _ := s.m.Group(ctx, "sec")
	if w := g.Units[0].Spec.WithheldE; len(w) != 1 || w[0] != "DB_PASSWORD" {
		t.Fatalf("withheld names recorded: %v", w)
	}

	// Another process (here: this one, forgetting) powers a node on: it
	// starts, with the kept variables only.
	heldEnv.Delete(heldKey(s.m.Store.Dir, "sec", "u"))
	if _, err := unit.PowerOffNodes(NodeNo(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := unit.PowerOnNodes(NodeNo(1)); err != nil {
		t.Fatal(err)
	}
	ts, _ = ug.Targets("")
	if out, err := Output(ctx, ts[0], `echo "$GREETING/${DB_PASSWORD-unset}"`); err != nil || out != "hello/unset\n" {
		t.Fatalf("powered on by a process without the secret: %q, %v", out, err)
	}
}
