// Dates as the app shows and asks for them: one rule, UTC, as the core
// stores and reckons them. The core keeps instants in UTC and days (a
// request's sending day, its deadline, "needed by") as plain calendar days
// it counts against today in UTC; the `vrm` CLI reads a day given for an end
// as the end of that day, UTC. Showing an instant's day in UTC, and asking
// for days that mean the end of that day in UTC, keeps what the app shows
// the same as what the core decides (a deadline "due today") and as what the
// CLI prints.

/** Today, in UTC, as YYYY-MM-DD. */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** YYYY-MM-DD plus `n` days (calendar arithmetic, no time zones). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return t.toISOString().slice(0, 10);
}

/** The day of an RFC 3339 instant (UTC, as stored) or a date, as shown. */
export function dayOf(instant: string | null | undefined): string {
  return instant ? instant.slice(0, 10) : "";
}

/** An instant as "YYYY-MM-DD HH:MM" (UTC, as stored). */
export function minuteOf(instant: string): string {
  return instant.slice(0, 16).replace("T", " ");
}

/** A share's end chosen as a day: the end of that day, UTC (as the CLI reads a date). */
export function endOfDay(day: string): string {
  return `${day}T23:59:59Z`;
}

/** "1 day", "3 days". */
export function days(n: number): string {
  return n === 1 ? "1 day" : `${n} days`;
}
