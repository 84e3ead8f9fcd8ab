package pyvcp

import (
	"context"
	"errors"

	"ocs/kernel/pybridge"
)

// Op is the bridge operation of every SDK call.
const Op = "vcp"

func init() {
	pybridge.AddPython(PythonGroup, PythonFiles())
}

// Register serves the Python SDK's calls on the bridge (op "vcp") with a
// Service made from o. Call it while wiring, before a kernel starts.
func Register(o Options) { register(New(o)) }

func register(s *Service) {
	pybridge.Handle(Op, func(ctx context.Context, c *pybridge.Call) (map[string]any, error) {
		res, err := s.Serve(ctx, c.Args, c.Stdout)
		if err != nil {
			return nil, bridgeError(err)
		}
		return res, nil
	})
}

// bridgeError makes err the exception the Python side raises: the SDK's
// VcpSDKError, or NotImplementedError.
func bridgeError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		name := e.Name
		if name == "" {
			name = "VCPError"
		}
		return &pybridge.Error{EName: name, EValue: e.Msg}
	}
	return &pybridge.Error{EName: "VCPError", EValue: err.Error()}
}
