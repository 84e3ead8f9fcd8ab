package stdsym

import (
	"errors"
	"io"
	"log"
	"os"
	"strconv"
)

// The generator (yaegi's extract) maps a few symbols of os and log to these
// names, so that interpreted code cannot end or signal the interpreter's
// own process: an exit or a fatal log panics instead, which fails the cell.
// (The Go kernel lays its own os.Exit and log functions over them.)

func osExit(code int) { panic("os.Exit(" + strconv.Itoa(code) + ")") }

var errOwnProcess = errors.New("restricted: the interpreter's own process")

func osFindProcess(pid int) (*os.Process, error) {
	if pid == os.Getpid() {
		return nil, errOwnProcess
	}
	return os.FindProcess(pid)
}

func logFatal(v ...any)            { log.Panic(v...) }
func logFatalf(f string, v ...any) { log.Panicf(f, v...) }
func logFatalln(v ...any)          { log.Panicln(v...) }

// logLogger is log.Logger as cells see it: its Fatal methods panic.
type logLogger struct{ *log.Logger }

func logNew(out io.Writer, prefix string, flag int) *logLogger {
	return &logLogger{log.New(out, prefix, flag)}
}

func (l *logLogger) Fatal(v ...any)            { l.Panic(v...) }
func (l *logLogger) Fatalf(f string, v ...any) { l.Panicf(f, v...) }
func (l *logLogger) Fatalln(v ...any)          { l.Panicln(v...) }
