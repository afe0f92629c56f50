package cron

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var describeTests = []struct{ expr, want string }{
	{"* * * * *", "Every minute"},
	{"*/15 * * * *", "Every 15 minutes"},
	{"0,15,30,45 * * * *", "Every 15 minutes"},
	{"0 * * * *", "At minute 0 past every hour"},
	{"@hourly", "At minute 0 past every hour"},
	{"0,30 * * * *", "Every 30 minutes"},
	{"10/15 * * * *", "At minutes 10, 25, 40 and 55 past every hour"},
	{"*/7 * * * *", "Every 7 minutes from minute 0 through 56 past every hour"},
	{"0-5,30-35 * * * *", "At minutes 0 through 5 and 30 through 35 past every hour"},
	{"30 9 * * 1-5", "At 09:30, Monday through Friday"},
	{"30 9 * * mon-fri", "At 09:30, Monday through Friday"},
	{"0 0 1 * *", "At 00:00 on day 1 of the month"},
	{"@monthly", "At 00:00 on day 1 of the month"},
	{"30 2 * 1,7 *", "At 02:30, only in January and July"},
	{"*/5 9-17 * * 1-5", "Every 5 minutes, between 09:00 and 17:59, Monday through Friday"},
	{"0 0 13 * 5", "At 00:00 on day 13 of the month or on Friday"},
	{"0 0 1-7 * 1", "At 00:00 on days 1 through 7 of the month or on Monday"},
	{"@yearly", "At 00:00 on January 1"},
	{"0 0 29 2 *", "At 00:00 on February 29"},
	{"@weekly", "At 00:00, only on Sunday"},
	{"@daily", "At 00:00 every day"},
	{"0 */2 * * *", "At minute 0 past every other hour"},
	{"0 1-23/2 * * *", "At minute 0 past every other hour from 01:00 through 23:00"},
	{"0 */6 * * *", "At 00:00, 06:00, 12:00 and 18:00 every day"},
	{"0,30 9 * * *", "At 09:00 and 09:30 every day"},
	{"*/10 9 * * *", "Every 10 minutes from 09:00 through 09:50"},
	{"0-10 9 * * *", "Every minute from 09:00 through 09:10"},
	{"* 9 * * *", "Every minute from 09:00 through 09:59"},
	{"0 0 */2 * *", "At 00:00 on every other day of the month"},
	{"0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month"},
	{"0 0 * * 5-7", "At 00:00, Friday through Sunday"},
	{"0 0 * * sun-thu", "At 00:00, Sunday through Thursday"},
	{"0 0 * * 1,3,5", "At 00:00, only on Monday, Wednesday and Friday"},
	{"0 0 * * 0,6", "At 00:00, only on Saturday and Sunday"},
	{"0 9 * jan-mar *", "At 09:00, January through March"},
	{"*/5 1,5,9 * * *", "Every 5 minutes during every 4th hour from 01:00 through 09:00"},
	{"*/5 1,5,10 * * *", "Every 5 minutes during hours 1, 5 and 10"},
	{"* */2 * * *", "Every minute during every other hour"},
	{"*/30 1,5,10,12 * * *", "Every 30 minutes during hours 1, 5, 10 and 12"},
	{"*/5 1 * * *", "Every 5 minutes from 01:00 through 01:55"},
	{"0,30 1,5 * * *", "At 01:00, 01:30, 05:00 and 05:30 every day"},
	{"0-40/20 4-23/19 * * *", "At 04:00, 04:20, 04:40, 23:00, 23:20 and 23:40 every day"},
	{"0,20,50 12 * * *", "At 12:00, 12:20 and 12:50 every day"},
	{"0,7,20,50 * * * *", "At minutes 0, 7, 20 and 50 past every hour"},
	{"5 6,7 * * *", "At 06:05 and 07:05 every day"},
	{"5 6-12 * * *", "At minute 5 past every hour, between 06:00 and 12:59"},
	{"0 22 * * 1-5", "At 22:00, Monday through Friday"},
	{"0,30 9-17 * * *", "Every 30 minutes, between 09:00 and 17:59"},
	{"0 0 1-31 * 1", "At 00:00 every day"},
	{"0 0 */1 * 1", "At 00:00 every day"},
	{"0 0 13 * 0-7", "At 00:00 every day"},
	{"15 10 1 1,7 *", "At 10:15 on day 1 of the month, only in January and July"},
	{"0 0 1,15 3 *", "At 00:00 on March 1 and 15"},
}

func TestDescribe(t *testing.T) {
	for _, tt := range describeTests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe(); got != tt.want {
			t.Errorf("Parse(%q).Describe() = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// TestDescribeIsWellFormed checks properties every description must have,
// over random schedules.
func TestDescribeIsWellFormed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := randomSchedule(r)
		checkDescription(t, s)
	}
}

func checkDescription(t *testing.T, s *Schedule) {
	t.Helper()
	d := s.Describe()
	switch {
	case d == "":
		t.Errorf("%q: empty description", s)
	case d[0] < 'A' || d[0] > 'Z':
		t.Errorf("%q: description %q does not start with a capital", s, d)
	case strings.Contains(d, "  ") || strings.HasSuffix(d, " ") || strings.Contains(d, ",,") || strings.Contains(d, " ,"):
		t.Errorf("%q: description %q has stray spacing or commas", s, d)
	}
}
