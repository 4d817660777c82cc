package flowtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// mockDoer answers http steps from a test's mocks and never touches the network. A
// request without a mock fails, and is remembered so that the test fails naming it.
type mockDoer struct {
	mocks map[string]*Mock

	mu        sync.Mutex
	unmatched []string
}

func newMockDoer(mocks []*Mock) *mockDoer {
	m := &mockDoer{mocks: map[string]*Mock{}}
	for _, mk := range mocks {
		m.mocks[mk.Method+" "+mk.URL] = mk
	}
	return m
}

// timeoutError is what a mock with `$error: timeout` fails with: it says Timeout() as a
// client's deadline error does.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout awaiting response headers (mocked)" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Do answers req from the mocks.
func (m *mockDoer) Do(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	key := req.Method + " " + req.URL.String()
	mk, ok := m.mocks[key]
	if !ok {
		m.mu.Lock()
		m.unmatched = append(m.unmatched, key)
		m.mu.Unlock()
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: fmt.Errorf("no mock for %s", key)}
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	switch {
	case mk.Error == "timeout":
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: timeoutError{}}
	case mk.Error != "":
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: fmt.Errorf("%s (mocked)", mk.Error)}
	}
	header := http.Header{}
	if mk.JSON {
		header.Set("Content-Type", "application/json")
	} else if len(mk.Body) > 0 {
		header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return &http.Response{
		Status:        strconv.Itoa(mk.Status) + " " + http.StatusText(mk.Status),
		StatusCode:    mk.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(mk.Body)),
		ContentLength: int64(len(mk.Body)),
		Request:       req,
	}, nil
}

// takeUnmatched returns and forgets the requests that had no mock.
func (m *mockDoer) takeUnmatched() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.unmatched
	m.unmatched = nil
	return out
}

// describe lists the mocked requests, for a failure that names a missing one.
func (m *mockDoer) describe() string {
	if len(m.mocks) == 0 {
		return "this test has no mocks"
	}
	return "mocked: " + strings.Join(sortedKeys(m.mocks), ", ")
}
