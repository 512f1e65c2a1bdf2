// Package qr draws a text as a QR symbol in SVG.
//
// The symbol is github.com/skip2/go-qrcode's: a maintained encoder with no
// dependencies, which picks the smallest version and the alphanumeric mode
// a code's characters allow. It writes PNG only, so the SVG is drawn here
// from its module matrix: one path of unit squares, crisp at any size and
// a few kilobytes, where a PNG would blur when printed.
package qr

import (
	"bytes"
	"encoding/xml"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// SVG returns text as a QR symbol (error correction level M, the quiet zone
// of four modules included), titled for screen readers.
func SVG(text, title string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qrcode.New: %w", err)
	}
	m := q.Bitmap()
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-labelledby="qr-title">`, len(m), len(m))
	b.WriteString(`<title id="qr-title">`)
	if err := xml.EscapeText(&b, []byte(title)); err != nil {
		return nil, fmt.Errorf("xml.EscapeText: %w", err)
	}
	b.WriteString(`</title><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y, row := range m {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
