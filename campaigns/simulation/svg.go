package simulation

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/wasla/wasla/campaigns/health"
)

// palette colours the numbers' lines; the ratings have their own.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"}

func ratingColour(r health.Rating) string {
	switch r {
	case health.Green:
		return "#2e7d32"
	case health.Yellow:
		return "#f9a825"
	case health.Red:
		return "#c62828"
	}
	return "#9e9e9e"
}

// WriteSVG draws r as a hand-written SVG: on top each number's daily volume, below its
// health score with a dot per day coloured by Meta's rating (in the model), so the day a
// number slows, stops or turns red lines up with what it sent. Text is SVG <text>, so a
// browser shapes Arabic labels.
func WriteSVG(w io.Writer, title string, r *Result) error {
	const width, left, right, top, panel, gap = 900.0, 60.0, 160.0, 40.0, 220.0, 50.0
	height := top + 2*panel + gap + 40
	days := len(r.Days)
	if days == 0 {
		days = 1
	}
	plotW := width - left - right
	x := func(i int) float64 {
		if days == 1 {
			return left
		}
		return left + plotW*float64(i)/float64(days-1)
	}
	maxSent := 1
	for _, d := range r.Days {
		for _, n := range d.Numbers {
			maxSent = max(maxSent, n.Sent)
		}
	}
	yVol := func(v int) float64 { return top + panel - panel*float64(v)/float64(maxSent) }
	scoreTop := top + panel + gap
	yScore := func(v float64) float64 { return scoreTop + panel - panel*v/100 }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="15">%s</text>`+"\n", left, html.EscapeString(title))
	for _, p := range []struct {
		y     float64
		label string
	}{{top, fmt.Sprintf("sends a day (max %d)", maxSent)}, {scoreTop, "health score (0-100); dots: Meta's rating"}} {
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#ccc"/>`+"\n", left, p.y, plotW, panel)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#555">%s</text>`+"\n", left+4, p.y+14, html.EscapeString(p.label))
	}
	for _, v := range []float64{40, 80} { // the default policy's thresholds
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd" stroke-dasharray="4 3"/>`+"\n", left, left+plotW, yScore(v), yScore(v))
	}
	for i, d := range r.Days {
		if days <= 15 || i%((days+14)/15) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", x(i), scoreTop+panel+16, html.EscapeString(d.Day[5:]))
		}
	}
	if len(r.Days) > 0 {
		for k, n := range r.Days[0].Numbers {
			colour := palette[k%len(palette)]
			var vol, score []string
			for i, d := range r.Days {
				nd := d.Numbers[k]
				vol = append(vol, fmt.Sprintf("%.1f,%.1f", x(i), yVol(nd.Sent)))
				score = append(score, fmt.Sprintf("%.1f,%.1f", x(i), yScore(nd.Score)))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colour, strings.Join(vol, " "))
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", colour, strings.Join(score, " "))
			for i, d := range r.Days {
				nd := d.Numbers[k]
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %d sent, score %.0f, %s, %s</title></circle>`+"\n",
					x(i), yScore(nd.Score), ratingColour(nd.Rating), html.EscapeString(string(n.Number)), d.Day, nd.Sent, nd.Score, nd.Rating, nd.State)
			}
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`+"\n", left+plotW+10, top+16+float64(k)*16, colour, html.EscapeString(string(n.Number)))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	return nil
}
