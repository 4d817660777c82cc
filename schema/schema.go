package schema

import (
	"bytes"
	"encoding/json"
)

// Draft is the JSON Schema dialect of the generated file; draft-07 is the one every
// editor's YAML support reads.
const Draft = "http://json-schema.org/draft-07/schema#"

// render writes a schema as indented JSON with a final new line.
func render(root obj) ([]byte, error) {
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// withDoc sets a property's description, which editors show on hover. Beside a $ref
// draft-07 validators ignore it, as they should: it is an annotation only.
func withDoc(p any, doc string) any {
	o, ok := p.(obj)
	if !ok || doc == "" {
		return p
	}
	out := obj{}
	for _, kv := range o {
		if kv.k != "description" {
			out.set(kv.k, kv.v)
		}
	}
	return append(obj{{"description", doc}}, out...)
}

// obj is a JSON object that keeps its keys in the order they were set.
type obj []kv

type kv struct {
	k string
	v any
}

func (o *obj) set(k string, v any) {
	for i := range *o {
		if (*o)[i].k == k {
			(*o)[i].v = v
			return
		}
	}
	*o = append(*o, kv{k, v})
}

func (o obj) has(k string) bool {
	for _, x := range o {
		if x.k == k {
			return true
		}
	}
	return false
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalNoEscape(x.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so that descriptions keep < > &.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
