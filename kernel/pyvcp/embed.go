package pyvcp

import (
	"embed"
	"io/fs"
)

//go:embed all:python
var python embed.FS

// PythonGroup is the name of the pybridge group of the modules.
const PythonGroup = "vcpsdk"

// PythonFiles are the Python modules (vcpsdk/vcpsdk.py, common/logsetting.py,
// ...), rooted where they go on the kernel's module path.
func PythonFiles() fs.FS {
	sub, err := fs.Sub(python, "python")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	return sub
}
