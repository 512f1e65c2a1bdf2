// Package qrtest reads the QR symbols the etickets function draws, for
// tests in and beyond the function.
package qrtest

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var (
	viewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	module  = regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`)
)

// Decode reads the QR symbol of an e-ticket's qr.svg with a QR reader
// other than the encoder, as a phone reads it from a screen, and fails tb
// when it does not decode.
func Decode(tb testing.TB, svg string) string {
	tb.Helper()
	box := viewBox.FindStringSubmatch(svg)
	if box == nil {
		tb.Fatalf("no viewBox in %.80q", svg)
	}
	n, _ := strconv.Atoi(box[1])
	const scale = 4
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, m := range module.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		for dy := range scale {
			for dx := range scale {
				img.SetGray(x*scale+dx, y*scale+dy, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		tb.Fatalf("the QR symbol does not decode: %v", err)
	}
	return res.GetText()
}
