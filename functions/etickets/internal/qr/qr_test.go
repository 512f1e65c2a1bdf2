package qr_test

import (
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/etickets/internal/qr"
	"github.com/buytickets/buytickets/functions/etickets/qrtest"
)

func TestTheSymbolDecodesBackToTheText(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"AEASGRLHRGVN6AJDIVHQO5YLEXNKMB6YDGZP5PJCOG2GAB5VKTQQ4HXJ6F45BI7BZC4ZNRWCS5RYWXG4X7OBWWDNSZMCQMZMJHRYZFFT4XTAOQW2TGHLFRYQBI", // a code's shape
		"hello, door",
	} {
		svg, err := qr.SVG(text, `Ticket <"Concert" & more>`)
		if err != nil {
			t.Fatal(err)
		}
		if got := qrtest.Decode(t, string(svg)); got != text {
			t.Errorf("decoded %q, want %q", got, text)
		}
		if !strings.Contains(string(svg), `<title id="qr-title">Ticket &lt;&#34;Concert&#34; &amp; more&gt;</title>`) {
			t.Errorf("title not escaped: %.300s", svg)
		}
	}
}
