package posix

// testHook, when set by tests, runs at named points between the steps of
// an operation: the windows that a concurrent operation can hit. Tests use
// it to make races deterministic; in production it is nil and costs one
// comparison.
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}
