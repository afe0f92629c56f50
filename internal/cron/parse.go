package cron

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxExprLen caps the trimmed expression. It is checked before anything
// else, so the cost of rejecting hostile input does not grow with its size.
const maxExprLen = 100

// maxValue saturates number parsing: every field's maximum is far below it,
// so "0-99999999" is reported as out of range without overflowing, and any
// larger step means "only the first value", like a step that just exceeds
// the span.
const maxValue = 1 << 20

// ParseError describes why an expression was rejected. Error returns Message.
type ParseError struct {
	Expr    string // the expression as passed to Parse
	Field   string // "minute", "hour", "day-of-month", "month", "day-of-week", or "" when not field-specific
	Message string // a complete sentence for users, e.g. "minute field: 60 is out of range 0-59"
}

// Error returns Message, so the error can be shown to users as is.
func (e *ParseError) Error() string { return e.Message }

// field indexes the five fields in expression order.
type field int

const (
	fieldMinute field = iota
	fieldHour
	fieldDOM
	fieldMonth
	fieldDOW
)

// fieldSpec is the immutable description of one field.
type fieldSpec struct {
	name     string
	min, max int
}

var fieldSpecs = [5]fieldSpec{
	fieldMinute: {"minute", 0, 59},
	fieldHour:   {"hour", 0, 23},
	fieldDOM:    {"day-of-month", 1, 31},
	fieldMonth:  {"month", 1, 12},
	fieldDOW:    {"day-of-week", 0, 7},
}

// monthAbbr[i] is month i+1; dayAbbr[i] is weekday i (Sunday = 0).
var (
	monthAbbr = [12]string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayAbbr   = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// monthFull and dayFull exist only to recognise "January" or "MO" and tell
// the user to write the three-letter name instead.
var (
	monthFull = [...]string{"JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER", "SEPT"}
	dayFull   = [...]string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "TUES", "WEDS", "THUR", "THURS"}
)

// macro returns the five fields a macro (in lower case) stands for.
func macro(name string) (string, bool) {
	switch name {
	case "@yearly", "@annually":
		return "0 0 1 1 *", true
	case "@monthly":
		return "0 0 1 * *", true
	case "@weekly":
		return "0 0 * * 0", true
	case "@daily", "@midnight":
		return "0 0 * * *", true
	case "@hourly":
		return "0 * * * *", true
	}
	return "", false
}

// Parse parses expr. On failure the error is a *ParseError whose Message can
// be shown to the user as is.
func Parse(expr string) (*Schedule, error) {
	s, perr := parse(expr)
	if perr != nil {
		return nil, perr
	}
	return s, nil
}

// parse returns a concrete error type so callers inside the package (and the
// fuzz target) never meet a typed nil inside an interface.
func parse(expr string) (*Schedule, *ParseError) {
	fail := func(f field, format string, args ...any) (*Schedule, *ParseError) {
		e := &ParseError{Expr: expr, Message: fmt.Sprintf(format, args...)}
		if f >= 0 {
			e.Field = fieldSpecs[f].name
			e.Message = e.Field + " field: " + e.Message
		}
		return nil, e
	}
	const noField field = -1

	text := strings.Trim(expr, " \t\r\n\v\f")
	if text == "" {
		return fail(noField, "the cron expression is empty; enter five fields (minute hour day-of-month month day-of-week), for example \"*/15 * * * *\"")
	}
	// Count runes only when bytes alone cannot decide, so a huge input
	// costs no more than a short one.
	if len(text) > maxExprLen && (len(text) > 4*maxExprLen || utf8.RuneCountInString(text) > maxExprLen) {
		return fail(noField, "expression is too long: max %d characters", maxExprLen)
	}
	pos := 0
	for i, r := range text {
		pos++
		switch {
		case r == '\t':
		case r == utf8.RuneError && !strings.HasPrefix(text[i:], "\uFFFD"):
			return fail(noField, "invalid character at position %d: the text is not valid UTF-8; use only ASCII digits, letters, spaces and * , - /", pos)
		case r < 0x20 || r == 0x7f:
			return fail(noField, "invalid character %U at position %d; remove it and use only ASCII digits, letters, spaces and * , - /", r, pos)
		case r >= 0x80:
			return fail(noField, "invalid character %q (%U) at position %d; use only ASCII digits, letters, spaces and * , - /", string(r), r, pos)
		}
	}
	upper := strings.ToUpper(text)
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return fail(noField, "time zone prefixes like %q are not supported; set the time zone in its own field, not in the expression", text[:strings.IndexByte(text, '=')+1])
	}

	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' })
	normalized := strings.Join(fields, " ")
	if fields[0][0] == '@' {
		name := strings.ToLower(fields[0])
		switch {
		case name == "@reboot":
			return fail(noField, "@reboot is not supported: Prikke schedules fire at times of day, not when a server starts")
		case strings.HasPrefix(name, "@every"):
			return fail(noField, "@every is not supported; use a step such as \"*/5 * * * *\" for every 5 minutes (Prikke schedules have minute precision)")
		}
		body, ok := macro(name)
		if !ok {
			return fail(noField, "unknown macro %q; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or five fields", fields[0])
		}
		if len(fields) > 1 {
			return fail(noField, "a macro like %q must be used alone; remove %q after it", fields[0], strings.Join(fields[1:], " "))
		}
		fields = strings.Fields(body)
	}
	switch n := len(fields); {
	case n == 6:
		return fail(noField, "expected 5 fields (minute hour day-of-month month day-of-week), got 6; seconds are not supported, Prikke schedules have minute precision")
	case n == 7:
		return fail(noField, "expected 5 fields (minute hour day-of-month month day-of-week), got 7; seconds and years are not supported, Prikke schedules have minute precision")
	case n != 5:
		return fail(noField, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n)
	}

	var sets [5]uint64
	for f := fieldMinute; f <= fieldDOW; f++ {
		set, msg := parseField(f, fields[f])
		if msg != "" {
			return fail(f, "%s", msg)
		}
		sets[f] = set
	}
	// 7 is another spelling of Sunday.
	dow := sets[fieldDOW]
	dow = (dow | dow>>7) & 0x7f

	s := &Schedule{
		expr:    normalized,
		minute:  sets[fieldMinute],
		hour:    uint32(sets[fieldHour]),
		dom:     uint32(sets[fieldDOM]),
		month:   uint16(sets[fieldMonth]),
		dow:     uint8(dow),
		domStar: fields[fieldDOM] == "*",
		dowStar: fields[fieldDOW] == "*",
	}
	for i := 0; i < 8; i++ {
		s.dowRep |= uint64(s.dow) << (7 * i)
	}
	if msg := s.neverFires(); msg != "" {
		return fail(fieldDOM, "%s", msg)
	}
	return s, nil
}

// neverFires returns why s can never fire, or "". Only day-of-month can make
// a schedule impossible: any restricted day-of-week matches some day in
// every month, and under the OR rule it rescues the day-of-month too.
func (s *Schedule) neverFires() string {
	if s.domStar || !s.dowStar {
		return ""
	}
	longest := 0
	var months []string
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) != 0 {
			longest = max(longest, maxDaysIn[m])
			months = append(months, monthNames[m])
		}
	}
	if s.dom&(1<<(longest+1)-1) != 0 {
		return ""
	}
	var days []string
	for d := 1; d <= 31; d++ {
		if s.dom&(1<<d) != 0 {
			days = append(days, strconv.Itoa(d))
		}
	}
	noun, verb := "day", "occurs"
	if len(days) > 1 {
		noun, verb = "days", "occur"
	}
	return fmt.Sprintf("this schedule never fires: %s %s never %s in %s; choose a day that exists in the selected months",
		noun, joinWords(days, "and"), verb, joinWords(months, "or"))
}

// parseField parses one field into a bitset (bit v set when value v is
// selected) or returns a user-facing message without the field prefix.
func parseField(f field, text string) (uint64, string) {
	var set uint64
	rest := text
	for {
		item, tail, more := strings.Cut(rest, ",")
		if item == "" {
			return 0, fmt.Sprintf("%q has an empty list item; remove the extra comma", text)
		}
		lo, hi, step, msg := parseItem(f, item)
		if msg != "" {
			return 0, msg
		}
		// The span is at most 8 or 60 values, so this loop is bounded
		// whatever the step.
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
		if !more {
			break
		}
		rest = tail
	}
	return set, ""
}

// parseItem parses one list item: *, */S, N, N-M, N-M/S or N/S.
func parseItem(f field, item string) (lo, hi, step int, msg string) {
	spec := &fieldSpecs[f]
	switch {
	case strings.Contains(item, "?"):
		return 0, 0, 0, `"?" is not supported; use "*" for any value`
	case strings.Contains(item, "#"):
		return 0, 0, 0, fmt.Sprintf(`"#" (the nth weekday of the month, as in %q) is not supported`, item)
	}
	base, stepText, hasStep := strings.Cut(item, "/")
	step = 1
	if hasStep {
		switch {
		case strings.Contains(stepText, "/"):
			return 0, 0, 0, fmt.Sprintf(`%q has more than one step; use a single step, as in "*/5"`, item)
		case stepText == "":
			return 0, 0, 0, fmt.Sprintf(`%q is missing the step after "/"; write a number, as in "*/5"`, item)
		case base == "":
			return 0, 0, 0, fmt.Sprintf(`%q is missing a start before "/"; write "*/5" or a start value, as in "10/5"`, item)
		}
		if step, msg = parseStep(stepText); msg != "" {
			return 0, 0, 0, msg
		}
	}
	if base == "*" {
		// Day-of-week "*" is 0-6, not 0-7: with any step the two select
		// the same days, because 7 is reached only by steps 1 and 7, which
		// already select Sunday as 0.
		hi = spec.max
		if f == fieldDOW {
			hi = 6
		}
		return spec.min, hi, step, ""
	}
	if strings.HasPrefix(base, "*") {
		return 0, 0, 0, fmt.Sprintf(`%q is not valid; use "*" alone or with a step, as in "*/5"`, item)
	}
	if strings.HasPrefix(base, "-") {
		if _, end, _ := strings.Cut(base[1:], "-"); isDigits(base[1:]) || isDigits(end) {
			return 0, 0, 0, fmt.Sprintf("negative values are not allowed (%q); use a value in range %d-%d", base, spec.min, spec.max)
		}
		return 0, 0, 0, fmt.Sprintf("%q is not a valid range; write a range as START-END, as in %d-%d", base, spec.min+1, spec.min+5)
	}
	startText, endText, isRange := strings.Cut(base, "-")
	switch {
	case isRange && strings.Contains(endText, "-"):
		return 0, 0, 0, fmt.Sprintf("%q is not a valid range; write a range as START-END, as in %d-%d", base, spec.min+1, spec.min+5)
	case isRange && endText == "":
		return 0, 0, 0, fmt.Sprintf("range %q is missing its end value; write it as START-END, as in %d-%d", base, spec.min+1, spec.min+5)
	}
	if lo, msg = parseValue(f, startText); msg != "" {
		return 0, 0, 0, msg
	}
	switch {
	case isRange:
		if hi, msg = parseValue(f, endText); msg != "" {
			return 0, 0, 0, msg
		}
		// SUN ending a range means 7, so FRI-SUN is Friday to Sunday
		// while SUN-SUN stays Sunday alone.
		if f == fieldDOW && hi == 0 && lo > 0 && isLetters(endText) {
			hi = 7
		}
	case hasStep:
		hi = spec.max
	default:
		hi = lo
	}
	if lo > hi {
		return 0, 0, 0, fmt.Sprintf("range %q is reversed; write the smaller value first, or split a range that wraps around into a list such as %q",
			base, wrapSuggestion(f, startText, endText))
	}
	return lo, hi, step, ""
}

// wrapSuggestion rewrites a reversed range such as 22-2 or FRI-MON as the
// list the user probably meant: 22-23,0-2 or FRI-SUN,MON.
func wrapSuggestion(f field, start, end string) string {
	spec := &fieldSpecs[f]
	useNames := isLetters(start) || isLetters(end)
	top, bottom := strconv.Itoa(spec.max), strconv.Itoa(spec.min)
	switch {
	case f == fieldDOW && useNames:
		top, bottom = "SUN", "MON"
	case f == fieldDOW:
		bottom = "1" // 7 already covers Sunday
	case f == fieldMonth && useNames:
		top, bottom = "DEC", "JAN"
	}
	first := start + "-" + top
	if strings.EqualFold(start, top) {
		first = start
	}
	second := bottom + "-" + end
	if strings.EqualFold(end, bottom) {
		second = end
	}
	return first + "," + second
}

// parseStep parses the part after "/".
func parseStep(text string) (int, string) {
	if text[0] == '+' || text[0] == '-' {
		return 0, fmt.Sprintf(`step %q must be a plain positive number, as in "*/5"`, text)
	}
	if !isDigits(text) {
		return 0, fmt.Sprintf(`step %q is not a number; write it as in "*/5"`, text)
	}
	n := atoiSaturating(text)
	if n == 0 {
		return 0, `step 0 is not allowed; a step must be 1 or more, as in "*/5"`
	}
	return n, ""
}

// parseValue parses a number or a three-letter name.
func parseValue(f field, tok string) (int, string) {
	spec := &fieldSpecs[f]
	rangeHint := fmt.Sprintf("%d-%d", spec.min, spec.max)
	switch {
	case tok == "":
		return 0, fmt.Sprintf("a value is missing; use a value in range %s", rangeHint)
	case tok[0] == '+':
		return 0, fmt.Sprintf("signs are not allowed (%q); write the plain number %s", tok, tok[1:])
	case isDigits(tok):
		n := atoiSaturating(tok)
		if n < spec.min || n > spec.max {
			return 0, fmt.Sprintf("%s is out of range %s", tok, rangeHint)
		}
		return n, ""
	case isLetters(tok):
		return parseName(f, tok)
	}
	// Quartz-style suffixes such as 5L (last Friday) and 15W.
	if i := strings.IndexFunc(tok, func(r rune) bool { return !isDigit(byte(r)) }); i > 0 && isLetters(tok[i:]) {
		if msg := unsupportedLetters(tok[i:]); msg != "" {
			return 0, msg
		}
		return 0, fmt.Sprintf("%q is not a valid value; use a number in range %s", tok, rangeHint)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !isDigit(c) && !isLetter(c) {
			return 0, fmt.Sprintf("invalid character %q in %q; use numbers, %sand the symbols * , - /", c, tok, namesHint(f))
		}
	}
	return 0, fmt.Sprintf("%q is not a valid value; use a number in range %s", tok, rangeHint)
}

// parseName resolves a token made only of letters.
func parseName(f field, tok string) (int, string) {
	month, day := lookup(monthAbbr[:], tok), lookup(dayAbbr[:], tok)
	switch f {
	case fieldMonth:
		if month >= 0 {
			return month + 1, ""
		}
		if day >= 0 {
			return 0, fmt.Sprintf("%s is a day name, not a month; use JAN-DEC or 1-12", tok)
		}
	case fieldDOW:
		if day >= 0 {
			return day, ""
		}
		if month >= 0 {
			return 0, fmt.Sprintf("%s is a month name, not a day; use SUN-SAT or 0-7", tok)
		}
	}
	if msg := unsupportedLetters(tok); msg != "" {
		return 0, msg
	}
	spec := &fieldSpecs[f]
	switch {
	case f == fieldMonth && isAbbrevOf(monthFull[:], tok):
		return 0, fmt.Sprintf("%q is not a valid month name; use the three-letter names JAN-DEC or numbers 1-12", tok)
	case f == fieldDOW && isAbbrevOf(dayFull[:], tok):
		return 0, fmt.Sprintf("%q is not a valid day name; use the three-letter names SUN-SAT or numbers 0-7", tok)
	case f == fieldMonth:
		return 0, fmt.Sprintf("%q is not a month; use the three-letter names JAN-DEC or numbers 1-12", tok)
	case f == fieldDOW:
		return 0, fmt.Sprintf("%q is not a day of the week; use the three-letter names SUN-SAT or numbers 0-7", tok)
	case month >= 0 || day >= 0 || isAbbrevOf(monthFull[:], tok) || isAbbrevOf(dayFull[:], tok):
		return 0, fmt.Sprintf("names like %q are only allowed in the month and day-of-week fields; use a number in range %d-%d", tok, spec.min, spec.max)
	}
	return 0, fmt.Sprintf("%q is not a number; use a number in range %d-%d", tok, spec.min, spec.max)
}

// unsupportedLetters explains the Quartz extensions users copy from other
// schedulers.
func unsupportedLetters(s string) string {
	switch strings.ToUpper(s) {
	case "L":
		return `"L" (last day) is not supported`
	case "W":
		return `"W" (nearest weekday) is not supported`
	case "LW":
		return `"LW" (last weekday of the month) is not supported`
	}
	return ""
}

func namesHint(f field) string {
	switch f {
	case fieldMonth:
		return "names JAN-DEC "
	case fieldDOW:
		return "names SUN-SAT "
	}
	return ""
}

// lookup returns the index of tok in names, ignoring case, or -1.
func lookup(names []string, tok string) int {
	if len(tok) != 3 {
		return -1
	}
	for i, n := range names {
		if strings.EqualFold(n, tok) {
			return i
		}
	}
	return -1
}

// isAbbrevOf reports whether tok looks like a misspelt name: a
// case-insensitive prefix of at least two letters of a full name.
func isAbbrevOf(full []string, tok string) bool {
	if len(tok) < 2 {
		return false
	}
	for _, n := range full {
		if len(tok) <= len(n) && strings.EqualFold(n[:len(tok)], tok) {
			return true
		}
	}
	return false
}

// atoiSaturating parses ASCII digits, stopping growth at maxValue so that
// no input can overflow.
func atoiSaturating(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = min(n*10+int(s[i]-'0'), maxValue)
	}
	return n
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

// joinWords joins items as English: "a", "a and b", "a, b and c".
func joinWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
