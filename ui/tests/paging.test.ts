import { describe, expect, it } from "vitest";
import type { Page } from "../src/bindings";
import { PAGE_SIZE, firstPage, hasMore, nextPage, showingText, withPage } from "../src/paging";

type Item = { id: string };
const page = (ids: string[], offset: number, total: number): Page<Item> => ({
  items: ids.map((id) => ({ id })), offset, limit: PAGE_SIZE, total,
});

describe("paged lists", () => {
  it("asks for the first page, then for the page after what is shown", () => {
    expect(firstPage()).toEqual({ offset: 0, limit: 200 });
    expect(nextPage(200)).toEqual({ offset: 200, limit: 200 });
    expect(nextPage(3, 2)).toEqual({ offset: 3, limit: 2 });
  });

  it("adds a page after those shown, once each, with the newest total", () => {
    let listed = withPage(null, page(["a", "b"], 0, 5));
    expect(listed).toEqual({ items: [{ id: "a" }, { id: "b" }], total: 5 });
    expect(hasMore(listed)).toBe(true);
    // A record added meanwhile pushed "b" onto the next page: not twice.
    listed = withPage(listed, page(["b", "c", "d"], 2, 6));
    expect(listed.items.map((i) => i.id)).toEqual(["a", "b", "c", "d"]);
    expect(listed.total).toBe(6);
    listed = withPage(listed, page(["e", "f"], 4, 6));
    expect(hasMore(listed)).toBe(false);
    // Past the end: nothing added, and nothing more.
    expect(withPage(listed, page([], 6, 6))).toEqual(listed);
  });

  it("says how much of the list is shown, with thousands separated", () => {
    const shown = (n: number, total: number) => ({ items: new Array(n).fill({ id: "x" }), total });
    expect(showingText(shown(200, 1_000_000))).toBe("Showing 200 of 1,000,000");
    expect(showingText(shown(1200, 1234))).toBe("Showing 1,200 of 1,234");
    expect(showingText(shown(12, 12))).toBe("Showing all 12");
    expect(showingText(shown(1, 1))).toBe("Showing the only one");
    expect(showingText(shown(0, 0))).toBe("Nothing to show");
  });
});
