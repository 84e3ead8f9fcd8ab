package pyvcp

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// logLines turns the Go SDK's log events into the lines VcpSDK's logger
// prints in a cell ("2026-01-02 15:04:05,000 - vcpsdk - INFO - BOOTING ...
// 5 sec"): the progress of a boot, and warnings about spec fields a
// provider cannot honour. zerolog writes one event per Write.
type logLines struct{ w io.Writer }

func (l *logLines) Write(p []byte) (int, error) {
	var ev map[string]any
	if err := json.Unmarshal(p, &ev); err != nil {
		return len(p), nil
	}
	level := strings.ToUpper(fmt.Sprint(ev["level"]))
	if level == "WARN" {
		level = "WARNING"
	}
	msg, _ := ev["message"].(string)
	var b strings.Builder
	b.WriteString(time.Now().Format("2006-01-02 15:04:05,000"))
	fmt.Fprintf(&b, " - vcpsdk - %s - ", level)
	switch {
	case ev["sec"] != nil:
		// Progress: "BOOTING ... 5 sec (web: 1/3 nodes)".
		fmt.Fprintf(&b, "%s ... %v sec", msg, ev["sec"])
		if done, ok := ev["done"]; ok {
			fmt.Fprintf(&b, " (%v: %v/%v nodes)", ev["unit"], done, ev["nodes"])
		} else {
			fmt.Fprintf(&b, " (%v: %v nodes)", ev["unit"], ev["nodes"])
		}
	case ev["note"] != nil:
		fmt.Fprintf(&b, "%v: %v", ev["unit"], ev["note"])
	default:
		b.WriteString(msg)
		if f, ok := ev["failed"]; ok {
			took, _ := ev["took"].(float64) // zerolog's Dur: milliseconds
			fmt.Fprintf(&b, " (%v: %v nodes, %v failed, took %.1f s)", ev["unit"], ev["nodes"], f, took/1000)
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(l.w, b.String())
	return len(p), err
}
