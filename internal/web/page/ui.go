package page

// Badge is what the "badge" partial draws: an icon and a word on a tinted
// pill. Colour is never the only signal; the word always says it.
type Badge struct {
	Label string
	Icon  string
	Class string // colour classes added to the .badge component class
	Spin  bool   // animate the icon (running), unless the user prefers reduced motion
}

// NavItem is one link of a navigation bar or sidebar.
type NavItem struct {
	Label string
	Href  string
	Icon  string
}

// Bar is one rectangle of a chart, in the chart's viewBox units.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string // the tooltip, and what a screen reader's SVG mode reads
}
