import { describe, expect, it } from "vitest";
import { addDays, dayOf, endOfDay, minuteOf, today } from "../src/dates";

describe("dates, in UTC as the core keeps them", () => {
  it("counts calendar days across months and years, and ends a share at the end of its day", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(today(new Date(Date.UTC(2026, 0, 5, 12)))).toBe("2026-01-05");
    expect(endOfDay("2026-04-30")).toBe("2026-04-30T23:59:59Z");
  });

  it("shows an instant's day and minute as stored (UTC), whatever the machine's time zone", () => {
    // Late on 31 March UTC is 1 April east of Greenwich: still 31 March here,
    // as the core counts it and the CLI prints it.
    expect(today(new Date(Date.UTC(2026, 2, 31, 23, 30)))).toBe("2026-03-31");
    expect(dayOf("2026-03-31T23:30:00Z")).toBe("2026-03-31");
    expect(dayOf("2026-03-31")).toBe("2026-03-31");
    expect(dayOf(null)).toBe("");
    expect(minuteOf("2026-03-31T23:30:59Z")).toBe("2026-03-31 23:30");
  });
});
