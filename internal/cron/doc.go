// Package cron parses 5-field cron expressions and computes fire times in an
// IANA time zone. It is pure: no I/O, no clock, no globals beyond immutable
// tables. The scheduler asks it "when does this job fire next after t?", the
// API and dashboard use it to validate, preview and describe schedules.
//
// # Expressions
//
// An expression is five fields separated by spaces or tabs,
//
//	minute hour day-of-month month day-of-week
//
// or one of the macros @yearly (= @annually, "0 0 1 1 *"), @monthly
// ("0 0 1 * *"), @weekly ("0 0 * * 0"), @daily (= @midnight, "0 0 * * *")
// and @hourly ("0 * * * *"). Macros are matched in any case, like month and
// day names, so "@Daily" is accepted; String keeps the spelling as given.
//
// A field is a comma-separated list of "*", "*/S", "N", "N-M", "N-M/S" and
// "N/S" (short for "N-max/S"). Months may be written JAN-DEC and days SUN-SAT,
// three letters in any case. Day-of-week accepts 0-7 where both 0 and 7 are
// Sunday; SUN ending a range that starts later in the week also means 7, so
// "FRI-SUN" is Friday, Saturday and Sunday. "N/S" runs to the field's
// maximum, which for day-of-week is 7: "1/2" is Monday, Wednesday, Friday
// and Sunday. Anything else is rejected with a *ParseError whose
// message is written for the end user: seconds, "? L W #", @reboot, @every,
// TZ= prefixes, reversed ranges and schedules that can never fire.
//
// Day matching follows Vixie cron: when both day-of-month and day-of-week are
// restricted, a day matches if either one matches ("0 0 13 * 5" fires on the
// 13th and on every Friday). A field is unrestricted only when it is a bare
// "*"; "*/1" and "1-31" count as restricted.
//
// # Time zones and daylight saving
//
// Expressions are matched against the wall clock of the schedule's zone, with
// minute precision. Daylight-saving changes make some wall-clock times happen
// never or twice, and the package resolves both by one principle:
//
//   - A daily job runs exactly once every day. When the hour field names
//     specific hours, a time that is skipped by a spring-forward change fires
//     at the moment of the change instead (for Europe/Oslo, 02:30 on the
//     last Sunday of March fires at 03:00 CEST), and a time that happens
//     twice in autumn fires only the first time.
//   - Hourly and every-N-minutes jobs run on real time. When the hour field
//     selects all 24 hours, a skipped time is simply skipped, and a repeated
//     time fires both times, so "every 15 minutes" stays every 15 minutes.
//
// Several skipped times, and a regular firing at the moment of the change,
// collapse into one firing. "All 24 hours" is decided on the hours selected,
// not on the text: "*", "*/1" and "0-23" are the same, and @hourly counts as
// all hours while @daily does not.
//
// # Speed
//
// Fields are bitsets and Next skips whole months, days and hours at a time,
// walking the zone's UTC-offset periods rather than minutes, so a call costs
// well under a microsecond for common expressions and stays bounded for
// sparse ones such as "0 0 29 2 *", whose fire times can be eight years apart.
package cron
