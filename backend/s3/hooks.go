package s3

// testHook, when set by tests, runs at named points between the steps of
// a commit: the windows a concurrent request, a client's hang-up or a lost
// upstream answer can hit. Tests use it to make those races deterministic;
// in production it is nil and costs one comparison.
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}
