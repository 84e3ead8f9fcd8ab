package runner

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// A side log holds at most its budget and says where it was cut; the
// record's note says so too.
func TestSideLogBudget(t *testing.T) {
	const budget = 100000
	nb := makeNotebook("print start\nspew 3000000\nprint the end")
	_, rec, path := run(t, nb, Options{OutputCap: 4096, SideLogCap: budget}, nil)
	full, err := os.ReadFile(path + ".d/cell-c00.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(full) < budget || len(full) > budget+400 {
		t.Errorf("side log holds %d bytes; want the budget, %d, and the notes", len(full), budget)
	}
	log := string(full)
	if !strings.HasPrefix(log, "start\n") || !strings.Contains(log, "[ocs: the side log is cut here: it reached its budget of 100000 bytes (--side-log-cap)") {
		t.Errorf("side log lacks its head or the cut note: %q", log[len(log)-300:])
	}
	dropped := len("start\n") + 3000000 + len("the end\n") - budget
	if !strings.HasSuffix(log, "[ocs: "+itoa(dropped)+" bytes of output were dropped past the budget]\n") {
		t.Errorf("side log does not end with what was dropped: %q", log[len(log)-200:])
	}
	text := outputText(rec.Cells[0])
	if !strings.Contains(text, "keeps the output up to its budget, "+itoa(dropped)+" bytes were dropped past it") || !strings.HasSuffix(text, "the end\n") {
		t.Errorf("the record's note does not say the side log was cut: %q", text)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
