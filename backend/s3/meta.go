package s3

import (
	"encoding/json"

	"envelopegw/backend"
)

// binMeta is backend.Meta in a record. Metadata is arbitrary bytes, which
// JSON strings cannot carry (invalid UTF-8 would be replaced), so each
// entry is a pair of base64 strings.
type binMeta backend.Meta

func (m binMeta) MarshalJSON() ([]byte, error) {
	pairs := make([][2][]byte, 0, len(m))
	for k, v := range m {
		pairs = append(pairs, [2][]byte{[]byte(k), []byte(v)})
	}
	return json.Marshal(pairs)
}

func (m *binMeta) UnmarshalJSON(data []byte) error {
	var pairs [][2][]byte
	if err := json.Unmarshal(data, &pairs); err != nil {
		return err
	}
	if len(pairs) == 0 {
		*m = nil
		return nil
	}
	*m = make(binMeta, len(pairs))
	for _, p := range pairs {
		(*m)[string(p[0])] = string(p[1])
	}
	return nil
}
