package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrHostValue is returned when a value placed in the host part of a URL holds what a host
// name cannot: customer text there could send the request elsewhere.
var ErrHostValue = errors.New("a value in the host part of the URL holds characters a host name cannot")

// RenderURL renders t as a URL, escaping each value for where it stands, so that what a
// customer typed can neither add path segments nor query parameters:
//
//   - a value that starts the URL is written as it is (a base URL from settings);
//   - in the host part, a value with '/', '?', '#', '@', ':', '\' or spaces is an error;
//   - in the path, the value is escaped as one path segment ('/' becomes %2F);
//   - in the query or fragment, it is escaped as a query value ('&', '=' and '#' too).
//
// A value that is already escaped, {{ urlencode(x) }}, is written as it is.
func (t *Template) RenderURL(env *Env) (string, error) {
	return t.renderEscaped(env, func(b []byte, src string, v any) ([]byte, error) {
		if isCall(src, "urlencode") {
			return appendValue(b, v), nil
		}
		text := FormatValue(v)
		switch urlPlace(b) {
		case placeStart:
			return append(b, text...), nil
		case placeHost:
			if strings.ContainsAny(text, "/?#@:\\ \t\r\n%") {
				return nil, fmt.Errorf("%w: %q", ErrHostValue, text)
			}
			return append(b, text...), nil
		case placePath:
			return append(b, url.PathEscape(text)...), nil
		default:
			return append(b, url.QueryEscape(text)...), nil
		}
	})
}

// RenderJSON renders t as JSON text: a value inside a JSON string is escaped as string
// content (quotes, backslashes, control characters), a value outside any string is
// written as a JSON value (a text quoted, a number as a number, nothing as null), so a
// customer's text cannot close a string and add keys. {{ toJSON(x) }} is written as it is.
func (t *Template) RenderJSON(env *Env) (string, error) {
	return t.renderEscaped(env, func(b []byte, src string, v any) ([]byte, error) {
		if isCall(src, "toJSON") {
			return appendValue(b, v), nil
		}
		if inJSONString(b) {
			q, err := json.Marshal(FormatValue(v))
			if err != nil {
				return nil, err
			}
			return append(b, q[1:len(q)-1]...), nil
		}
		switch x := v.(type) {
		case time.Time:
			v = FormatValue(x)
		case nil:
			return append(b, "null"...), nil
		}
		q, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("writing %T into a JSON body: %w", v, err)
		}
		return append(b, q...), nil
	})
}

// LooksJSON reports whether the template's text starts as JSON does, with { or [.
func (t *Template) LooksJSON() bool {
	s := strings.TrimSpace(t.Source)
	return strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
}

func (t *Template) renderEscaped(env *Env, put func(b []byte, src string, v any) ([]byte, error)) (string, error) {
	if t == nil {
		return "", nil
	}
	var b []byte
	for _, p := range t.parts {
		if p.expr == nil {
			b = append(b, p.text...)
			continue
		}
		v, err := p.expr.Eval(env)
		if err != nil {
			return "", err
		}
		if b, err = put(b, p.expr.Source, v); err != nil {
			return "", fmt.Errorf("%s:%d:%d: %w", p.expr.Pos.File, p.expr.Pos.Line, p.expr.Pos.Col, err)
		}
	}
	return string(b), nil
}

// isCall reports whether src is one call of fn around the whole expression, such as
// urlencode(vars.city) or toJSON("Dr. " + vars.name), not urlencode(a) + b.
func isCall(src, fn string) bool {
	s := strings.TrimSpace(src)
	if !strings.HasPrefix(s, fn+"(") {
		return false
	}
	depth := 0
	var quote byte
	for i := len(fn); i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i == len(s)-1
			}
		}
	}
	return false
}

type place int

const (
	placeStart place = iota
	placeHost
	placePath
	placeQuery
)

// urlPlace says where the URL written so far ends: at its start, in the host, the path,
// or the query (fragment included).
func urlPlace(b []byte) place {
	s := string(b)
	if s == "" {
		return placeStart
	}
	if strings.ContainsAny(s, "?#") {
		return placeQuery
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return placePath
	}
	if strings.Contains(s[i+3:], "/") {
		return placePath
	}
	return placeHost
}

// inJSONString reports whether JSON text b ends inside a string literal.
func inJSONString(b []byte) bool {
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		}
	}
	return in
}
