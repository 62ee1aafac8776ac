//! Pages of a long list: which slice is asked for ([`PageRequest`]) and the
//! slice with the count of everything that matched ([`Page`]). A vault can
//! hold a million records (a heavy mailbox brought in); a screen shows a
//! page of them and loads more, never the whole list.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The most items one page holds: a larger `limit` is lowered to this.
pub const MAX_PAGE_LIMIT: usize = 500;

/// Which slice of a list: `limit` items from `offset` (0-based), in the
/// list's own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct PageRequest {
    /// How many items of the list to skip. Past the end, the page is empty
    /// (and still says how many there are).
    pub offset: usize,
    /// How many items at most: 1 to [`MAX_PAGE_LIMIT`], a larger number is
    /// lowered to it.
    pub limit: usize,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: usize) -> Self {
        PageRequest { offset: 0, limit }
    }

    /// This request as it is served: `limit` lowered to [`MAX_PAGE_LIMIT`].
    /// A limit of 0 asks for nothing and is an error (field `limit`), not an
    /// empty page: it is a caller's mistake, and a loop loading "more" with
    /// it would never end.
    pub fn checked(self) -> Result<Self> {
        if self.limit == 0 {
            return Err(Error::invalid_field(
                "limit",
                format!("a page holds 1 to {MAX_PAGE_LIMIT} items, not 0"),
            ));
        }
        Ok(PageRequest {
            offset: self.offset,
            limit: self.limit.min(MAX_PAGE_LIMIT),
        })
    }

    /// The end (exclusive) of this page in a list of `total` items; at most
    /// `total`, and never before `offset` clamped to `total`.
    pub(crate) fn end(self, total: usize) -> usize {
        self.offset.saturating_add(self.limit).min(total)
    }
}

/// One page of a list, and how long the whole list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Page<T> {
    /// The items of this page, in the list's order.
    pub items: Vec<T>,
    /// Where this page starts in the whole list (as asked).
    pub offset: usize,
    /// The most items the page could hold (the limit asked for, lowered to
    /// [`MAX_PAGE_LIMIT`]).
    pub limit: usize,
    /// How many items the whole list has (every match, not only this page).
    pub total: usize,
}

impl<T> Page<T> {
    /// Whether items follow this page.
    pub fn has_more(&self) -> bool {
        self.offset.saturating_add(self.items.len()) < self.total
    }
}

/// The items of `list` that `page` asks for, in the order `cmp`.
///
/// Sorting a million references to show 200 would be O(n log n) on every
/// page; instead `select_nth_unstable_by` puts the page's last item in its
/// place with everything before it not after it (O(n)), a second selection
/// does the same for its first item within that prefix, and only the page
/// itself is sorted: O(n + limit log limit), even for the last page. `cmp`
/// must be a total order (the record orders end with the id, which is
/// unique), so the unstable selections give the same page every time.
pub(crate) fn select_page<T>(
    list: &mut [T],
    page: PageRequest,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> &[T] {
    let end = page.end(list.len());
    let start = page.offset.min(end);
    if start == end {
        return &[];
    }
    if end < list.len() {
        list.select_nth_unstable_by(end - 1, &cmp);
    }
    let head = &mut list[..end];
    if start > 0 {
        head.select_nth_unstable_by(start, &cmp);
    }
    let page = &mut head[start..];
    page.sort_unstable_by(&cmp);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_lowered_to_the_maximum_and_zero_is_an_error_about_it() {
        let r = PageRequest {
            offset: 7,
            limit: 100_000,
        }
        .checked()
        .unwrap();
        assert_eq!(
            r,
            PageRequest {
                offset: 7,
                limit: MAX_PAGE_LIMIT
            }
        );
        assert_eq!(PageRequest::first(20).checked().unwrap().limit, 20);
        let e = PageRequest::first(0).checked().unwrap_err();
        assert_eq!((e.code(), e.field()), ("input.invalid", Some("limit")));
    }

    #[test]
    fn the_end_never_passes_the_list_or_overflows() {
        assert_eq!(PageRequest::first(10).end(25), 10);
        assert_eq!(
            PageRequest {
                offset: 20,
                limit: 10
            }
            .end(25),
            25
        );
        assert_eq!(
            PageRequest {
                offset: usize::MAX,
                limit: 10
            }
            .end(25),
            25
        );
    }

    #[test]
    fn has_more_counts_what_the_page_holds() {
        let page = |offset, n, total| Page {
            items: vec![(); n],
            offset,
            limit: 10,
            total,
        };
        assert!(page(0, 10, 11).has_more());
        assert!(!page(10, 1, 11).has_more());
        assert!(!page(50, 0, 11).has_more());
        assert!(!page(0, 0, 0).has_more());
    }
}
