package cron

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// acceptTests maps accepted expressions to their expansion, written as
// "minute hour day-of-month month day-of-week" value lists (see dumpSets);
// a bare "*" stays "*" for the two day fields because it changes the OR rule.
var acceptTests = []struct {
	expr string
	want string
}{
	{"* * * * *", "0-59 0-23 * 1-12 *"},
	{"0 0 1 1 *", "0 0 1 1 *"},
	{"*/15 * * * *", "0,15,30,45 0-23 * 1-12 *"},
	{"*/1 * * * *", "0-59 0-23 * 1-12 *"},
	{"*/61 * * * *", "0 0-23 * 1-12 *"},
	{"*/999999999999 * * * *", "0 0-23 * 1-12 *"},
	{"10/15 * * * *", "10,25,40,55 0-23 * 1-12 *"},
	{"59/1 * * * *", "59 0-23 * 1-12 *"},
	{"5-20/5 * * * *", "5,10,15,20 0-23 * 1-12 *"},
	{"0-59/30 0-23/12 * * *", "0,30 0,12 * 1-12 *"},
	{"1,2,3,10-12 * * * *", "1-3,10-12 0-23 * 1-12 *"},
	{"5,5,5 * * * *", "5 0-23 * 1-12 *"},
	{"*,5 * * * *", "0-59 0-23 * 1-12 *"},
	{"00 09 01 01 00", "0 9 1 1 0"},
	{"0000059 023 031 012 007", "59 23 31 12 0"},
	{"0 0 * * 7", "0 0 * 1-12 0"},
	{"0 0 * * 0,7", "0 0 * 1-12 0"},
	{"0 0 * * 5-7", "0 0 * 1-12 0,5,6"},
	{"0 0 * * 0-7", "0 0 * 1-12 0-6"},
	{"0 0 * * 1-7/2", "0 0 * 1-12 0,1,3,5"},
	{"0 0 * * 1/2", "0 0 * 1-12 0,1,3,5"},
	{"0 0 * * */2", "0 0 * 1-12 0,2,4,6"},
	{"0 0 * * */7", "0 0 * 1-12 0"},
	{"0 0 * * mon-fri", "0 0 * 1-12 1-5"},
	{"0 0 * * MON-FRI", "0 0 * 1-12 1-5"},
	{"0 0 * * Mon,wEd,FRI", "0 0 * 1-12 1,3,5"},
	{"0 0 * * fri-sun", "0 0 * 1-12 0,5,6"},
	{"0 0 * * sat-sun", "0 0 * 1-12 0,6"},
	{"0 0 * * sun-sat", "0 0 * 1-12 0-6"},
	{"0 0 * * sun", "0 0 * 1-12 0"},
	{"0 0 * * sun-sun", "0 0 * 1-12 0"},
	{"0 0 * * mon-sun/3", "0 0 * 1-12 0,1,4"},
	{"0 0 * * mon/2", "0 0 * 1-12 0,1,3,5"},
	{"0 0 * jan-dec/3 *", "0 0 * 1,4,7,10 *"},
	{"0 0 * Jan,jUL *", "0 0 * 1,7 *"},
	{"0 0 * feb-4 *", "0 0 * 2-4 *"},
	{"0 0 * mar/4 *", "0 0 * 3,7,11 *"},
	{"0 0 */2 * *", "0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 1-12 *"},
	{"0 0 1-31 * *", "0 0 1-31 1-12 *"},
	{"0 0 13 * 5", "0 0 13 1-12 5"},
	{"0 0 29 2 *", "0 0 29 2 *"},
	{"0 0 30 2 1", "0 0 30 2 1"},
	{"0 0 31 1-12 *", "0 0 31 1-12 *"},
	{"0 0 30,31 2,3 *", "0 0 30,31 2,3 *"},
	{"  */5\t*  *\t\t* *  ", "0,5,10,15,20,25,30,35,40,45,50,55 0-23 * 1-12 *"},
	{"\n0 12 * * *\r\n", "0 12 * 1-12 *"},
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 1-12 *"},
	{"@weekly", "0 0 * 1-12 0"},
	{"@daily", "0 0 * 1-12 *"},
	{"@midnight", "0 0 * 1-12 *"},
	{"@hourly", "0 0-23 * 1-12 *"},
	{"@DAILY", "0 0 * 1-12 *"},
	{"  @Hourly ", "0 0-23 * 1-12 *"},
}

// rejectTests lists rejected expressions, the field the error names, and
// words the message must contain.
var rejectTests = []struct {
	expr  string
	field string
	want  []string
}{
	{"", "", []string{"empty"}},
	{"   \t ", "", []string{"empty"}},
	{"* * * *", "", []string{"expected 5 fields", "got 4"}},
	{"*", "", []string{"expected 5 fields", "got 1"}},
	{"0 * * * * *", "", []string{"got 6", "seconds are not supported", "minute precision"}},
	{"0 0 12 ? * MON", "", []string{"got 6", "seconds"}},
	{"0 0 12 * * ? 2026", "", []string{"got 7", "seconds"}},
	{"* * * * * * * *", "", []string{"got 8"}},
	{"60 * * * *", "minute", []string{"minute field: 60 is out of range 0-59"}},
	{"0060 * * * *", "minute", []string{"out of range 0-59"}},
	{"* 24 * * *", "hour", []string{"hour field: 24 is out of range 0-23"}},
	{"* * 0 * *", "day-of-month", []string{"0 is out of range 1-31"}},
	{"* * 32 * *", "day-of-month", []string{"32 is out of range 1-31"}},
	{"* * * 0 *", "month", []string{"0 is out of range 1-12"}},
	{"* * * 13 *", "month", []string{"13 is out of range 1-12"}},
	{"* * * * 8", "day-of-week", []string{"8 is out of range 0-7"}},
	{"0-99999999 * * * *", "minute", []string{"99999999 is out of range"}},
	{"99999999999999999999999 * * * *", "minute", []string{"out of range"}},
	{"1-60 * * * *", "minute", []string{"60 is out of range"}},
	{"-1 * * * *", "minute", []string{"negative"}},
	{"-1-5 * * * *", "minute", []string{"negative"}},
	{"- * * * *", "minute", []string{"not a valid range"}},
	{"-x * * * *", "minute", []string{"not a valid range"}},
	{"+5 * * * *", "minute", []string{"signs are not allowed", "5"}},
	{"1-+5 * * * *", "minute", []string{"signs are not allowed"}},
	{"*/+5 * * * *", "minute", []string{"step", "positive"}},
	{"*/-5 * * * *", "minute", []string{"step", "positive"}},
	{"1--5 * * * *", "minute", []string{"not a valid range"}},
	{"1-2-3 * * * *", "minute", []string{"not a valid range"}},
	{"5- * * * *", "minute", []string{"missing its end"}},
	{"*/0 * * * *", "minute", []string{"step 0"}},
	{"1-5/0 * * * *", "minute", []string{"step 0"}},
	{"*/ * * * *", "minute", []string{"missing the step"}},
	{"/5 * * * *", "minute", []string{"missing a start"}},
	{"*/5/2 * * * *", "minute", []string{"more than one step"}},
	{"*/x * * * *", "minute", []string{"step", "not a number"}},
	{"*5 * * * *", "minute", []string{`use "*" alone`}},
	{"5-1 * * * *", "minute", []string{"reversed", "5-59,0-1"}},
	{"* 22-2 * * *", "hour", []string{"reversed", "22-23,0-2"}},
	{"* * * * FRI-MON", "day-of-week", []string{"reversed", "FRI-SUN,MON"}},
	{"* * * * 5-1", "day-of-week", []string{"reversed", "5-7,1"}},
	{"* * * NOV-FEB *", "month", []string{"reversed", "NOV-DEC,JAN-FEB"}},
	{"1,,2 * * * *", "minute", []string{"empty list item"}},
	{",1 * * * *", "minute", []string{"empty list item"}},
	{"1, * * * *", "minute", []string{"empty list item"}},
	{"* * * * ,", "day-of-week", []string{"empty list item"}},
	{"* * * * JAN", "day-of-week", []string{"month name, not a day"}},
	{"* * * MON *", "month", []string{"day name, not a month"}},
	{"* * * * MONDAY", "day-of-week", []string{"not a valid day name", "SUN-SAT"}},
	{"* * * * MO", "day-of-week", []string{"not a valid day name"}},
	{"* * * * Tues", "day-of-week", []string{"not a valid day name"}},
	{"* * * January *", "month", []string{"not a valid month name", "JAN-DEC"}},
	{"* * * JA *", "month", []string{"not a valid month name"}},
	{"* * * XYZ *", "month", []string{"not a month"}},
	{"* * * * XYZ", "day-of-week", []string{"not a day of the week"}},
	{"MON * * * *", "minute", []string{"only allowed in the month and day-of-week fields"}},
	{"* jan * * *", "hour", []string{"only allowed in the month and day-of-week fields"}},
	{"abc * * * *", "minute", []string{"not a number"}},
	{"1a * * * *", "minute", []string{"not a valid value"}},
	{"1.5 * * * *", "minute", []string{"invalid character", "."}},
	{"? * * * *", "minute", []string{`"?" is not supported`}},
	{"0 0 ? * MON", "day-of-month", []string{`"?" is not supported`}},
	{"0 0 L * *", "day-of-month", []string{`"L"`, "not supported"}},
	{"0 0 L-3 * *", "day-of-month", []string{`"L"`, "not supported"}},
	{"0 0 15W * *", "day-of-month", []string{`"W"`, "not supported"}},
	{"0 0 LW * *", "day-of-month", []string{`"LW"`, "not supported"}},
	{"0 0 * * 5L", "day-of-week", []string{`"L"`, "not supported"}},
	{"0 0 * * 5#2", "day-of-week", []string{`"#"`, "not supported"}},
	{"0 0 * * FRI#2", "day-of-week", []string{`"#"`, "not supported"}},
	{"@reboot", "", []string{"@reboot", "not supported"}},
	{"@REBOOT", "", []string{"@reboot", "not supported"}},
	{"@every 5m", "", []string{"@every", "not supported", "minute precision"}},
	{"@every", "", []string{"@every", "not supported"}},
	{"@every5m", "", []string{"@every", "not supported"}},
	{"@often", "", []string{"unknown macro", "@hourly"}},
	{"@", "", []string{"unknown macro"}},
	{"@daily 0", "", []string{"must be used alone"}},
	{"@hourly * * * * *", "", []string{"must be used alone"}},
	{"0 @daily * * *", "hour", []string{"invalid character"}},
	{"TZ=Europe/Oslo 0 9 * * *", "", []string{"set the time zone in its own field, not in the expression"}},
	{"CRON_TZ=UTC 0 9 * * *", "", []string{"set the time zone in its own field"}},
	{"cron_tz=UTC 0 9 * * *", "", []string{"time zone"}},
	{"٣ * * * *", "", []string{"invalid character", "U+0663"}},
	{"1٣ * * * *", "", []string{"invalid character", "position 2"}},
	{"０ * * * *", "", []string{"invalid character"}},
	{"0\u00a0* * * *", "", []string{"invalid character"}},
	{"0 0\x00 * * *", "", []string{"invalid character", "U+0000"}},
	{"\x000 * * * *", "", []string{"invalid character"}},
	{"0 0 * * *\x7f", "", []string{"invalid character"}},
	{"0\n0 * * * *", "", []string{"invalid character"}},
	{"0 0 * * \xff", "", []string{"invalid character", "UTF-8"}},
	{strings.Repeat("1,", 50) + "1 * * * *", "", []string{"too long", "max 100 characters"}},
	{strings.Repeat("٣", 101), "", []string{"too long"}},
	{"0 0 30 2 *", "day-of-month", []string{"never fires", "day 30 never occurs in February"}},
	{"0 0 31 2 *", "day-of-month", []string{"never fires", "February"}},
	{"0 0 30,31 feb *", "day-of-month", []string{"never fires", "days 30 and 31 never occur in February"}},
	{"0 0 31 4,6,9,11 *", "day-of-month", []string{"never fires", "day 31 never occurs in April, June, September or November"}},
	{"0 0 31 apr *", "day-of-month", []string{"never fires", "April"}},
}

func TestParseAccepts(t *testing.T) {
	for _, tt := range acceptTests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.expr, err)
			}
			if got := dumpSets(s); got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range rejectTests {
		t.Run(fmt.Sprintf("%q", tt.expr), func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.expr, s)
			}
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error is %T, want *ParseError", tt.expr, err)
			}
			if perr.Expr != tt.expr || perr.Field != tt.field || perr.Error() != perr.Message {
				t.Errorf("ParseError = %+v, want Expr %q and Field %q", perr, tt.expr, tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(perr.Message, w) {
					t.Errorf("message %q does not contain %q", perr.Message, w)
				}
			}
			if tt.field != "" && !strings.HasPrefix(perr.Message, tt.field+" field: ") {
				t.Errorf("message %q does not start with the field name", perr.Message)
			}
		})
	}
}

// TestParseMacros checks that each macro is exactly its expansion, including
// the bare "*" flags that decide the OR rule.
func TestParseMacros(t *testing.T) {
	tests := []struct{ macro, expansion string }{
		{"@yearly", "0 0 1 1 *"},
		{"@annually", "0 0 1 1 *"},
		{"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"},
		{"@daily", "0 0 * * *"},
		{"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"},
	}
	for _, tt := range tests {
		m, err := Parse(tt.macro)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Parse(tt.expansion)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSchedule(m, e) {
			t.Errorf("%s = %+v, want %+v (%s)", tt.macro, *m, *e, tt.expansion)
		}
		if m.String() != tt.macro {
			t.Errorf("String() = %q, want %q", m.String(), tt.macro)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"  */5\t*  *\t\t* *  ", "*/5 * * * *"},
		{"0 9 * * mon-fri", "0 9 * * mon-fri"},
		{" @Daily ", "@Daily"},
		{"00 09 * * *", "00 09 * * *"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestAllHours(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"* * * * *", true},
		{"30 * * * *", true},
		{"30 */1 * * *", true},
		{"30 0-23 * * *", true},
		{"30 0-11,12-23 * * *", true},
		{"@hourly", true},
		{"@daily", false},
		{"30 0-22 * * *", false},
		{"30 */2 * * *", false},
		{"30 2 * * *", false},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AllHours(); got != tt.want {
			t.Errorf("Parse(%q).AllHours() = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

// TestParseHostileIsFast checks that rejecting huge or tricky input costs
// no more than rejecting a short one. The bound is generous so it never
// flakes on a loaded machine; the real figure is microseconds.
func TestParseHostileIsFast(t *testing.T) {
	inputs := []string{
		strings.Repeat("1,", 5000) + "1 * * * *",
		strings.Repeat(" ", 10000) + "* * * * *" + strings.Repeat(" ", 10000),
		"0-" + strings.Repeat("9", 10000) + " * * * *",
		"0-99999999 * * * *",
		"*/" + strings.Repeat("9", 90) + " * * * *",
		strings.Repeat("\x00", 10000),
		strings.Repeat("٣", 100000),
		strings.Repeat("-", 99),
		strings.Repeat(",", 99),
		strings.Repeat("a", 1<<20),
		"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32 * * *",
	}
	for _, in := range inputs {
		start := time.Now()
		_, _ = Parse(in)
		// Parsing is linear and refuses these in microseconds; the bound
		// catches a blow-up (expanding a range of 10^8, a quadratic scan
		// of 1 MiB), not speed, so a busy machine cannot trip it.
		if d := time.Since(start); d > time.Second {
			t.Errorf("Parse of a %d-byte input took %v", len(in), d)
		}
	}
}

// dumpSets renders a schedule's value sets as comma lists with ranges.
func dumpSets(s *Schedule) string {
	dom, dow := "*", "*"
	if !s.domStar {
		dom = runs(uint64(s.dom), 1, 31)
	}
	if !s.dowStar {
		dow = runs(uint64(s.dow), 0, 6)
	}
	return strings.Join([]string{runs(s.minute, 0, 59), runs(uint64(s.hour), 0, 23), dom, runs(uint64(s.month), 1, 12), dow}, " ")
}

func runs(set uint64, lo, hi int) string {
	var parts []string
	for v := lo; v <= hi; v++ {
		if set&(1<<v) == 0 {
			continue
		}
		end := v
		for end+1 <= hi && set&(1<<(end+1)) != 0 {
			end++
		}
		switch {
		case end == v:
			parts = append(parts, fmt.Sprint(v))
		case end == v+1:
			parts = append(parts, fmt.Sprint(v), fmt.Sprint(end))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", v, end))
		}
		v = end
	}
	return strings.Join(parts, ",")
}

// sameSchedule compares everything but the original text.
func sameSchedule(a, b *Schedule) bool {
	x, y := *a, *b
	x.expr, y.expr = "", ""
	return x == y
}
