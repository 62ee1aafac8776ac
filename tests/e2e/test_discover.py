"""Bring in from email, end to end through the real app window: a small
mbox written here (an order with schema.org JSON-LD and its thread, a
newsletter with List-Unsubscribe and one-click, a bank's welcome, a friend
on gmail), chosen through the file dialog (which answers `mail.mbox` in the
test's dialog folder, see conftest.py), run, reviewed, two proposals
accepted; the brand's timeline, its unsubscribe offer, and what mail showed
on the exposure map. Then one-click unsubscription from the brand's page,
received by a small HTTP server on loopback (the only place the core posts
over plain http)."""

import http.server
import threading
import time

from test_app import create_vault

ME = "jane@example.org"
TO = f"Jane Doe <{ME}>"


def message(sender, to, subject, date, msgid, extra=(), body="Hello.", html=None):
    headers = [("From", sender), ("To", to), ("Subject", subject), ("Date", date),
               ("Message-ID", f"<{msgid}>"), ("MIME-Version", "1.0"), *extra]
    if html is None:
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        text = body
    else:
        b = "=_alt_e2e"
        headers.append(("Content-Type", f'multipart/alternative; boundary="{b}"'))
        text = (f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
                f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--{b}--")
    head = "".join(f"{n}: {v}\r\n" for n, v in headers)
    return head + "\r\n" + text + "\r\n"


def order_html(number, item, price):
    return ('<html><head><script type="application/ld+json">'
            '{"@context": "http://schema.org", "@type": "Order",'
            ' "merchant": {"@type": "Organization", "name": "Kettle Co"},'
            f' "orderNumber": "{number}", "orderDate": "2026-03-02T10:00:00+00:00",'
            ' "acceptedOffer": {"@type": "Offer", "itemOffered": {"@type": "Product", "name": "' + item + '"},'
            f' "price": "{price}", "priceCurrency": "EUR"}}}}'
            '</script></head><body><p>Thanks for your order!</p></body></html>')


def mbox(messages):
    """RFC 4155: a From_ line before each message, body lines starting with
    "From " quoted."""
    out = []
    for m in messages:
        out.append("From MAILER-DAEMON Mon Mar  2 09:00:00 2026\n")
        for line in m.replace("\r\n", "\n").split("\n"):
            out.append((">" + line if line.startswith("From ") else line) + "\n")
    return "".join(out)


def write_corpus(path):
    shop = "Kettleco Orders <orders@orders.kettleco.co.uk>"
    news = "Daily Brew News <news@email.dailybrew.com>"
    unsubscribe = [
        ("List-Unsubscribe", "<mailto:leave@dailybrew.com?subject=unsubscribe>, <https://dailybrew.com/u/e2e>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Precedence", "bulk"),
        ("List-Id", "Daily Brew <news.dailybrew.com>"),
    ]
    path.write_text(mbox([
        message(shop, TO, "Your order KC-1001 is confirmed", "Mon, 02 Mar 2026 09:00:00 +0000",
                "kc1001@orders.kettleco.co.uk", html=order_html("KC-1001", "Copper kettle", "49.00")),
        message(TO, "Kettleco Support <support@kettleco.co.uk>", "Re: Your order KC-1001 is confirmed",
                "Tue, 03 Mar 2026 08:30:00 +0000", "jane-reply-1@example.org",
                extra=[("In-Reply-To", "<kc1001@orders.kettleco.co.uk>"),
                       ("References", "<kc1001@orders.kettleco.co.uk>")],
                body="Could it come on Friday?"),
        message("Kettleco Support <support@kettleco.co.uk>", TO, "Re: Your order KC-1001 is confirmed",
                "Wed, 04 Mar 2026 11:00:00 +0000", "kc-support-2@kettleco.co.uk",
                extra=[("In-Reply-To", "<jane-reply-1@example.org>"),
                       ("References", "<kc1001@orders.kettleco.co.uk> <jane-reply-1@example.org>")],
                body="Friday it is."),
        message(news, TO, "This week: the perfect pour-over", "Mon, 02 Mar 2026 07:00:00 +0000",
                "brew-1@email.dailybrew.com", extra=unsubscribe),
        message(news, TO, "This week: cold brew season", "Thu, 05 Mar 2026 07:00:00 +0000",
                "brew-2@email.dailybrew.com", extra=unsubscribe),
        message("Northwind Bank <noreply@northwindbank.com>", TO, "Welcome to Northwind Bank",
                "Tue, 03 Mar 2026 12:00:00 +0000", "nw-welcome@northwindbank.com"),
        message("Sam <sam.friend@gmail.com>", TO, "Lunch on Friday?", "Wed, 04 Mar 2026 18:00:00 +0000",
                "sam-1@gmail.com", body="Are you free?"),
    ]))


def test_bring_in_from_email_accept_and_see_it(app):
    write_corpus(app.files / "mail.mbox")
    create_vault(app)

    # A new vault's first offer: bring the brands in from email.
    app.el("brands-empty")
    app.click("brands-discover")
    app.el("discover-none")

    # The dialog answers the test's mbox; the person's address typed.
    app.click("discover-choose-mbox-files")
    app.wait_text("Chosen: mail.mbox")
    app.type("discover-me", ME)
    started = time.monotonic()
    app.click("discover-start")
    summary = app.el("discover-summary", timeout=60).text
    run_seconds = time.monotonic() - started
    assert "Read 7 messages" in summary, summary
    assert "personal correspondent" in summary, summary
    print(f"discover run through the window: {run_seconds:.2f} s")

    # One card per brand; the friend on gmail is not one.
    app.el("discover-review")
    domains = [c.get_attribute("data-domain") for c in app.all("proposal")]
    assert sorted(domains) == ["dailybrew.com", "kettleco.co.uk", "northwindbank.com"], domains
    card = next(c for c in app.all("proposal") if c.get_attribute("data-domain") == "kettleco.co.uk")
    assert "3 messages · 2 from them · 1 from you" in card.text, card.text
    assert ME in card.text and "2026-03-02 – 2026-03-04" in card.text, card.text
    assert "Your order KC-1001 is confirmed" in card.text
    assert "gmail" not in app.el("discover-review").text

    # Accept the shop, one interaction per message: its brand page opens on
    # its timeline.
    app.click("accept-kettleco.co.uk")
    app.el("brand-page")
    app.wait_text("Kettleco: Added")
    timeline = app.el("timeline").text
    assert "Re: Your order KC-1001 is confirmed" in timeline, timeline
    assert len(app.all("record-row")) >= 3, timeline
    assert "2026-03-02 – 2026-03-04" in app.el("brand-observed").text

    # Back to the proposals; accept the newsletter: its page offers the way out.
    app.click("back-to-review")
    app.wait_attr("accept-dailybrew.com", "data-testid", "accept-dailybrew.com")
    assert len(app.all("proposal")) == 2
    app.click("accept-dailybrew.com")
    app.el("brand-page")
    assert app.el("unsubscribe-mailto").text == "leave@dailybrew.com"
    assert app.el("unsubscribe-https").text == "https://dailybrew.com/u/e2e"
    app.el("unsubscribe-one-click")
    assert len(app.all("record-row")) == 2

    # Both are brands now; the bank still waits.
    app.click("nav-brands")
    brands = app.el("brand-list").text
    assert "Kettleco" in brands and "Daily Brew" in brands and "Northwind" not in brands, brands
    app.click("nav-discover")
    app.el("discover-review")
    assert [c.get_attribute("data-domain") for c in app.all("proposal")] == ["northwindbank.com"]

    # Exposure: the address both brands write to, seen in mail, not shared.
    app.click("nav-exposure")
    row = app.el("exposure-matrix")
    seen = [e.text for e in app.all("exposure-observed")]
    assert seen == ["Seen in mail 2026-03-02 – 2026-03-05", "Seen in mail 2026-03-02 – 2026-03-04"], seen
    assert "email" in row.text
    assert not app.all("exposure-revoke-email"), "nothing shared, nothing to revoke"


class _Unsubscribes(http.server.BaseHTTPRequestHandler):
    """Records each request (method, path, body, whether it carried a
    cookie or credentials) and answers 200."""

    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        credentials = "Cookie" in self.headers or "Authorization" in self.headers
        self.seen.append(("POST", self.path, body, credentials))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.seen.append(("GET", self.path, "", False))
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_one_click_unsubscribe_from_the_brand_page(app):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unsubscribes)
    _Unsubscribes.seen = []
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        news = "Daily Brew News <news@email.dailybrew.com>"
        unsubscribe = [
            ("List-Unsubscribe", f"<mailto:leave@dailybrew.com>, <http://127.0.0.1:{port}/u/e2e-token>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),
        ]
        (app.files / "mail.mbox").write_text(mbox([
            message(news, TO, "This week: the perfect pour-over", "Mon, 02 Mar 2026 07:00:00 +0000",
                    "brew-1@email.dailybrew.com", extra=unsubscribe),
        ]))
        create_vault(app)
        app.click("brands-discover")
        app.click("discover-choose-mbox-files")
        app.wait_text("Chosen: mail.mbox")
        app.type("discover-me", ME)
        app.click("discover-start")
        app.el("discover-summary", timeout=60)
        app.click("accept-dailybrew.com")
        app.el("brand-page")
        assert app.el("unsubscribe-https").text == f"http://127.0.0.1:{port}/u/e2e-token"

        # Asked in the page first: nothing is sent until confirmed.
        app.click("unsubscribe-start")
        assert f"Ask 127.0.0.1:{port} to take you off" in app.el("unsubscribe-confirm").text
        app.click("unsubscribe-cancel")
        app.gone("unsubscribe-confirm")
        assert _Unsubscribes.seen == []
        app.click("unsubscribe-start")
        app.click("unsubscribe-send")
        done = app.el("unsubscribe-done", timeout=30).text
        assert "accepted the request (HTTP 200)" in done, done
        assert _Unsubscribes.seen == [("POST", "/u/e2e-token", "List-Unsubscribe=One-Click", False)]
    finally:
        server.shutdown()
        server.server_close()
