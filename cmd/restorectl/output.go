package main

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/powabase/restorectl/internal/termsafe"
)

// Names, values, keys and messages from snapshots and stores are the
// customer's: everything the commands print for people goes through
// termsafe (String for one line, Text for a message of several), so that
// no escape sequence in them reaches the terminal. JSON goes through
// writeJSON. The scripts extract writes are data, not text for a
// terminal: they are written exactly.

// writeJSON writes v as indented JSON that is safe on a terminal and
// decodes to exactly v (termsafe.JSON).
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termsafe.JSON(b.Bytes()))
	return err
}
