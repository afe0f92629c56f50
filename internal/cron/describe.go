package cron

import "fmt"

// Describe returns a plain-English description of the schedule, such as
// "At 09:30, Monday through Friday", "Every 15 minutes" or
// "At 00:00 on day 13 of the month or on Friday". Times are wall-clock times
// in the schedule's zone, which the description does not name.
func (s *Schedule) Describe() string {
	mins := values(s.minute, 0, 59)
	hours := values(uint64(s.hour), 0, 23)
	timeText, clock := describeTime(mins, hours)
	return timeText + s.describeDays(clock)
}

// describeTime describes the minute and hour fields. clock reports whether
// the text lists clock times ("At 09:30"), after which "every day" reads
// naturally when the day fields are unrestricted.
func describeTime(mins, hours []int) (text string, clock bool) {
	if len(hours) == 1 {
		h := hours[0]
		switch k, ok := progression(mins); {
		case len(mins) == 60:
			return fmt.Sprintf("Every minute from %s through %s", hhmm(h, 0), hhmm(h, 59)), false
		case len(mins) >= 3 && ok && k == 1:
			return fmt.Sprintf("Every minute from %s through %s", hhmm(h, mins[0]), hhmm(h, mins[len(mins)-1])), false
		case len(mins) >= 3 && ok:
			return fmt.Sprintf("Every %d minutes from %s through %s", k, hhmm(h, mins[0]), hhmm(h, mins[len(mins)-1])), false
		}
	}
	minuteText, every := describeMinutes(mins)
	if len(hours) < 24 && len(mins)*len(hours) <= 6 {
		var times []string
		for _, h := range hours {
			for _, m := range mins {
				times = append(times, hhmm(h, m))
			}
		}
		return "At " + joinWords(times, "and"), true
	}
	// "past every hour" completes "At minute 30"; "Every 15 minutes" is
	// complete without it.
	past := " past every hour"
	if every {
		past = ""
	}
	k, ok := progression(hours)
	switch {
	case len(hours) == 24:
		return minuteText + past, false
	case ok && k == 1:
		return fmt.Sprintf("%s%s, between %s and %s", minuteText, past, hhmm(hours[0], 0), hhmm(hours[len(hours)-1], 59)), false
	case ok && len(hours) >= 3:
		nth := "every " + ordinal(k) + " hour"
		if hours[0] != 0 || hours[len(hours)-1]+k <= 23 {
			nth += fmt.Sprintf(" from %s through %s", hhmm(hours[0], 0), hhmm(hours[len(hours)-1], 0))
		}
		if every {
			return minuteText + " during " + nth, false
		}
		return minuteText + " past " + nth, false
	}
	noun := "hours "
	if len(hours) == 1 {
		noun = "hour "
	}
	if every {
		return minuteText + " during " + noun + listRuns(hours, itoa), false
	}
	return minuteText + " past " + noun + listRuns(hours, itoa), false
}

// describeMinutes describes the minute field alone. every reports a phrase
// that already covers the whole hour ("Every 15 minutes").
func describeMinutes(mins []int) (text string, every bool) {
	k, ok := progression(mins)
	switch {
	case len(mins) == 60:
		return "Every minute", true
	case ok && mins[0] == 0 && 60%k == 0 && mins[len(mins)-1]+k == 60:
		return fmt.Sprintf("Every %d minutes", k), true
	case len(mins) == 1:
		return fmt.Sprintf("At minute %d", mins[0]), false
	case ok && len(mins) >= 5 && k == 1:
		return fmt.Sprintf("Every minute from minute %d through %d", mins[0], mins[len(mins)-1]), false
	case ok && len(mins) >= 5:
		return fmt.Sprintf("Every %d minutes from minute %d through %d", k, mins[0], mins[len(mins)-1]), false
	}
	return "At minutes " + listRuns(mins, itoa), false
}

// describeDays describes the day-of-month, month and day-of-week fields,
// reflecting the OR rule when both day fields are restricted.
func (s *Schedule) describeDays(clock bool) string {
	days := values(uint64(s.dom), 1, 31)
	months := values(uint64(s.month), 1, 12)
	allMonths := len(months) == 12
	monthText := ""
	if !allMonths {
		if k, ok := progression(months); ok && k == 1 && len(months) >= 3 {
			monthText = fmt.Sprintf(", %s through %s", monthNames[months[0]], monthNames[months[len(months)-1]])
		} else {
			monthText = ", only in " + listRuns(months, func(m int) string { return monthNames[m] })
		}
	}
	// A day field that selects every day makes the OR rule select every
	// day, whatever the other field says ("*/1" or "1-31", "0-7").
	everyDay := s.domStar && s.dowStar || !s.domStar && len(days) == 31 || !s.dowStar && s.dow == 0x7f
	switch {
	case everyDay:
		if allMonths && clock {
			return " every day"
		}
		return monthText
	case s.dowStar:
		// "on January 1 and 15" reads better than "on days 1 and 15 of the
		// month, only in January".
		if len(months) == 1 && len(days) <= 3 {
			if _, ok := progression(days); !ok || len(days) < 3 {
				items := make([]string, len(days))
				for i, d := range days {
					items[i] = itoa(d)
				}
				return " on " + monthNames[months[0]] + " " + joinWords(items, "and")
			}
		}
		return " on " + describeDOM(days) + monthText
	case s.domStar:
		return ", " + describeDOW(s.dow, false) + monthText
	}
	return " on " + describeDOM(days) + " or " + describeDOW(s.dow, true) + monthText
}

// describeDOM describes the day-of-month set: "day 1 of the month",
// "every other day of the month", "days 1 through 7 of the month".
func describeDOM(days []int) string {
	k, ok := progression(days)
	switch {
	case len(days) == 1:
		return fmt.Sprintf("day %d of the month", days[0])
	case ok && k > 1 && len(days) >= 4 && days[0] == 1 && days[len(days)-1]+k > 31:
		return fmt.Sprintf("every %s day of the month", ordinal(k))
	case ok && k > 1 && len(days) >= 4:
		return fmt.Sprintf("every %s day of the month from day %d through %d", ordinal(k), days[0], days[len(days)-1])
	}
	return "days " + listRuns(days, itoa) + " of the month"
}

// describeDOW describes the day-of-week set, with "on" when it follows "or".
// Runs are found in Monday-first order, or Sunday-first when that gives
// fewer runs, so FRI-SUN is "Friday through Sunday" and SUN-THU is "Sunday
// through Thursday".
func describeDOW(dow uint8, afterOr bool) string {
	order := []int{1, 2, 3, 4, 5, 6, 0}
	if runCount(dow, []int{0, 1, 2, 3, 4, 5, 6}) < runCount(dow, order) {
		order = []int{0, 1, 2, 3, 4, 5, 6}
	}
	var sel []int
	for _, d := range order {
		if dow&(1<<d) != 0 {
			sel = append(sel, d)
		}
	}
	name := func(i int) string { return dayNames[sel[i]] }
	if runCount(dow, order) == 1 && len(sel) >= 3 {
		text := name(0) + " through " + name(len(sel)-1)
		if afterOr {
			return "on " + text
		}
		return text
	}
	// Consecutive positions in order form runs; render via their indexes.
	idx := make([]int, len(sel))
	for i, d := range sel {
		idx[i] = position(order, d)
	}
	text := listRuns(idx, func(p int) string { return dayNames[order[p]] })
	if afterOr {
		return "on " + text
	}
	return "only on " + text
}

// runCount returns how many runs of consecutive days dow has in order.
func runCount(dow uint8, order []int) int {
	n, prev := 0, false
	for _, d := range order {
		cur := dow&(1<<d) != 0
		if cur && !prev {
			n++
		}
		prev = cur
	}
	return n
}

func position(order []int, v int) int {
	for i, o := range order {
		if o == v {
			return i
		}
	}
	return -1
}

// listRuns renders sorted values, collapsing runs of three or more into
// "a through b": "1, 5, 9 through 12 and 23".
func listRuns(vals []int, format func(int) string) string {
	var items []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		if j-i >= 2 {
			items = append(items, format(vals[i])+" through "+format(vals[j]))
		} else {
			for k := i; k <= j; k++ {
				items = append(items, format(vals[k]))
			}
		}
		i = j + 1
	}
	return joinWords(items, "and")
}

// progression reports whether vals (at least two) have a constant
// difference k.
func progression(vals []int) (k int, ok bool) {
	if len(vals) < 2 {
		return 0, false
	}
	k = vals[1] - vals[0]
	for i := 2; i < len(vals); i++ {
		if vals[i]-vals[i-1] != k {
			return 0, false
		}
	}
	return k, true
}

// values lists the set bits of set between lo and hi.
func values(set uint64, lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		if set&(1<<v) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// ordinal returns "other" for 2, as in "every other hour", and English
// ordinals otherwise: 3rd, 11th, 21st.
func ordinal(n int) string {
	if n == 2 {
		return "other"
	}
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func hhmm(h, m int) string { return fmt.Sprintf("%02d:%02d", h, m) }

func itoa(n int) string { return fmt.Sprint(n) }
