"""Sync through an S3-compatible store set up in the app: two app instances,
each on its own vault and config folder. The store is the real S3 server
the Rust tests run (moto's, from `target/s3-venv`, which `scripts/setup`
installs), on a free loopback port, with one bucket, `vault-sync`.

moto checks no signature, so it stands behind a front of this file's own
(`SigV4Front`, on another free port) that checks each request's SigV4
presigned signature against the one access key and secret key it knows,
refuses a wrong one as S3 does (403 `SignatureDoesNotMatch`), and passes
the rest to moto: a wrong secret key typed in the form is refused as a
store that checks keys refuses it. The front's check is itself checked
against AWS's own example of a presigned URL.

The first app's form is checked field by field (errors shown at the
field they are about, before any request), then with a wrong secret key
(a clear error, nothing set up), then set up; it invites a device, and the
second app joins from its first-run screen with the invitation (which
carries the store and its keys, sealed under the one-time code). An edit in
the first appears in the second; the secret key is never on a page, in the
invitation's file or in the vaults' folders in the clear."""

import hashlib
import hmac
import http.client
import os
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from test_app import PASS, add_record, create_vault, unlock
from test_sync import B_PASS, instance, shows, vrm_on

ROOT = Path(__file__).resolve().parents[2]
# Where scripts/setup installs moto (as tests/s3_server.rs finds it).
MOTO = ROOT / "target" / "s3-venv" / "bin" / "moto_server"
ACCESS_KEY = "AKIAVRMVAULTTEST0001"
SECRET_KEY = "vrm-vault-test-secret-key-not-a-real-one"
WRONG_SECRET = "a-wrong-secret-key-typed-by-mistake"
BUCKET = "vault-sync"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _enc(s):
    return quote(s, safe="-_.~")


def presigned_refusal(method, target, host, access_key, secret_key):
    """Why a store that checks signatures refuses this presigned request
    (`target`: its path and query as sent; `host`: its Host header), as
    S3's error code and message, or None: the signature is right."""
    url = urlsplit(target)
    pairs = [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in url.query.split("&") if p)]
    params = dict(pairs)
    if "X-Amz-Signature" not in params or params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return ("AccessDenied", "the request is not signed")
    scope = params.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5 or scope[0] != access_key:
        return ("InvalidAccessKeyId", "the access key is not known here")
    _, day, region, service, term = scope
    signed = params.get("X-Amz-SignedHeaders", "")
    if signed != "host":
        return ("AccessDenied", f"signed headers {signed!r}, not host")
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    canonical = "\n".join([method, url.path, query, f"host:{host.strip()}\n", signed, "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256",
        params.get("X-Amz-Date", ""),
        f"{day}/{region}/{service}/{term}",
        hashlib.sha256(canonical.encode()).hexdigest(),
    ])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, service, term):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        return ("SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.")
    return None


class _Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        front = self.server
        refusal = presigned_refusal(self.command, self.path, self.headers.get("Host", ""), ACCESS_KEY, SECRET_KEY)
        with front.lock:
            if refusal:
                front.refused.append(refusal[0])
            else:
                front.accepted += 1
        if refusal:
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{refusal[0]}</Code>'
                   f"<Message>{refusal[1]}</Message></Error>").encode()
            self._reply(403, [("Content-Type", "application/xml"), ("Content-Length", str(len(xml)))], xml)
            return
        conn = http.client.HTTPConnection("127.0.0.1", front.moto_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "connection", "content-length", "transfer-encoding")}
            conn.request(self.command, self.path, body=body if self.command in ("PUT", "POST") else None,
                         headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            passed = [(k, v) for k, v in resp.getheaders()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")]
            size = resp.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
            self._reply(resp.status, [*passed, ("Content-Length", size)], data)
        finally:
            conn.close()

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _handle


class SigV4Front(ThreadingHTTPServer):
    """A loopback front for moto that checks signatures (see the module's
    docstring); counts what it let through and what it refused."""

    daemon_threads = True

    def __init__(self, moto_port):
        super().__init__(("127.0.0.1", 0), _Front)
        self.moto_port = moto_port
        self.lock = threading.Lock()
        self.accepted = 0
        self.refused = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self):
        self.shutdown()
        self.server_close()


@pytest.fixture
def store(tmp_path):
    """moto's S3 server with the bucket, behind the signature-checking front."""
    if not MOTO.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no S3 server: scripts/setup installs moto in {MOTO.parent.parent}")
        pytest.skip("no S3 server (scripts/setup installs moto in target/s3-venv)")
    port = _free_port()
    home = tmp_path / "moto"
    home.mkdir()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], cwd=home,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    front = None
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None, f"moto_server exited: {proc.returncode}"
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.time() < deadline, "moto_server did not listen in time"
            time.sleep(0.1)
        made = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/{BUCKET}", method="PUT"),
                                      timeout=30)
        assert made.status == 200
        front = SigV4Front(port)
        yield front
    finally:
        if front is not None:
            front.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def two(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    a = instance(tmp_path, "a", files)
    b = instance(tmp_path, "b", files)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_the_front_checks_signatures_as_s3_does():
    """AWS's example of a presigned URL (the S3 SigV4 documentation's,
    which rusty-s3's tests use too) passes; altered, it is refused."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    host = "examplebucket.s3.amazonaws.com"
    target = ("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
              "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
              "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    key = "AKIAIOSFODNN7EXAMPLE"
    assert presigned_refusal("GET", target, host, key, secret) is None
    assert presigned_refusal("GET", target, host, key, secret[:-1] + "X")[0] == "SignatureDoesNotMatch"
    assert presigned_refusal("PUT", target, host, key, secret)[0] == "SignatureDoesNotMatch"
    assert presigned_refusal("GET", target.replace("test.txt", "other.txt"), host, key, secret)[0] == \
        "SignatureDoesNotMatch"
    assert presigned_refusal("GET", target, host, "AKIAOTHER", secret)[0] == "InvalidAccessKeyId"
    assert presigned_refusal("GET", "/test.txt", host, key, secret)[0] == "AccessDenied"


def put(app, testid, value):
    """Type `value` in the field, or empty it (WebDriver types no empty text)."""
    if value:
        app.type(testid, value)
        return
    e = app.el(testid)
    e.clear()
    app.driver.execute_script("arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", e)


def fill_s3(app, endpoint, target, access_key, secret, region=""):
    put(app, "s3-endpoint", endpoint)
    put(app, "s3-target", target)
    put(app, "s3-region", region)
    put(app, "s3-access_key", access_key)
    put(app, "s3-secret_key", secret)
    app.click("s3-setup")


def bucket_keys(store, prefix):
    """The keys under `prefix` in the bucket, asked of moto itself."""
    url = f"http://127.0.0.1:{store.moto_port}/{BUCKET}?list-type=2&prefix={quote(prefix)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode()
    return [part.split("</Key>")[0] for part in text.split("<Key>")[1:]]


def test_an_s3_store_set_up_in_the_app_carries_an_edit_to_a_joined_app(store, two):
    a, b = two
    endpoint = store.endpoint

    # A: a vault with a record; Settings → Sync offers a folder and a store.
    create_vault(a)
    add_record(a, "note", {"text": "Written on the laptop, synced through S3"})
    a.click("nav-settings")
    a.el("s3-form")
    a.el("sync-setup")
    a.type("sync-device-name", "laptop")

    # What the core refuses is shown at the field it is about, before any
    # request reaches the store: the device's name, then the store's.
    a.type("sync-device-name", " ")
    fill_s3(a, endpoint, "s3://vault-sync/alice", ACCESS_KEY, SECRET_KEY)
    assert "a device needs a name" in a.el("sync-error-name", timeout=30).text
    a.type("sync-device-name", "laptop")
    for field, values, says in [
        ("endpoint", ("not a url", "s3://vault-sync/alice", ACCESS_KEY, SECRET_KEY), "is not a URL"),
        ("endpoint", ("http://203.0.113.9:9000", "s3://vault-sync/alice", ACCESS_KEY, SECRET_KEY), "use https"),
        ("target", (endpoint, "vault-sync/alice", ACCESS_KEY, SECRET_KEY), "s3://BUCKET/PREFIX"),
        ("target", (endpoint, "s3://Vault_Sync/alice", ACCESS_KEY, SECRET_KEY), "not an S3 bucket name"),
        ("access_key", (endpoint, "s3://vault-sync/alice", "  ", SECRET_KEY), "access key is empty"),
        ("secret_key", (endpoint, "s3://vault-sync/alice", ACCESS_KEY, ""), "secret key is empty"),
    ]:
        fill_s3(a, *values)
        shown = a.el(f"s3-error-{field}", timeout=30).text
        assert says in shown, (field, shown)
        assert SECRET_KEY not in a.text()
    assert store.accepted == 0 and store.refused == [], "nothing reached the store"

    # A wrong secret key: the store refuses it, the form says so plainly,
    # and nothing is set up.
    fill_s3(a, endpoint, "s3://vault-sync/alice", ACCESS_KEY, WRONG_SECRET)
    said = a.el("sync-error", timeout=60).text
    assert "refused access" in said and "secret key" in said, said
    assert "SignatureDoesNotMatch" in said, said
    assert WRONG_SECRET not in a.text() and SECRET_KEY not in a.text()
    assert "X-Amz-Signature" not in said
    assert "SignatureDoesNotMatch" in store.refused
    assert bucket_keys(store, "alice/") == []
    # Not a device, no store: asked of `vrm` while A is locked.
    a.click("lock")
    a.el("unlock-form")
    status = vrm_on(a, PASS, "sync", "status")
    assert "not set up" in status, status
    assert "No devices" in vrm_on(a, PASS, "device", "list"), "no device was made"
    unlock(a, PASS)
    a.el("nav-brands")
    a.click("nav-settings")
    a.el("s3-form")
    assert a.all("sync-now") == []
    a.type("sync-device-name", "laptop")

    # The right one: A syncs to the store, which the panel names (no key).
    fill_s3(a, endpoint, " s3://vault-sync/alice/ ", ACCESS_KEY, SECRET_KEY)
    a.el("sync-now", timeout=60)
    assert a.el("sync-target").text == f"s3://vault-sync/alice at {endpoint}"
    assert SECRET_KEY not in a.text() and ACCESS_KEY not in a.text()
    a.click("sync-now")
    WebDriverWait(a.driver, 60).until(lambda d: a.el("sync-last").text != "never")
    assert any(k.startswith("alice/devices/") for k in bucket_keys(store, "alice/"))

    # A invites B; the invitation carries the store, its keys sealed.
    a.type("invite-name", "desktop")
    a.click("invite-submit")
    code = a.el("invite-code", timeout=60).text
    invitation = a.files / "vault-invitation.json"
    assert invitation.exists()
    assert SECRET_KEY.encode() not in invitation.read_bytes()
    a.click("invite-done")

    # B joins from its first-run screen, and has A's record.
    b.click("join-vault")
    b.click("join-choose")
    WebDriverWait(b.driver, 15).until(lambda d: b.el("join-file").text == "vault-invitation.json")
    b.type("join-code", code)
    b.type("join-passphrase", B_PASS)
    b.type("join-passphrase-again", B_PASS)
    b.click("join-submit")
    b.el("recovery-code", timeout=120)
    b.click("recovery-saved")
    b.click("recovery-done")
    b.el("nav-brands")
    shows(b, "Written on the laptop, synced through S3")
    b.click("nav-settings")
    assert b.el("sync-target").text == f"s3://vault-sync/alice at {endpoint}"
    assert SECRET_KEY not in b.text()

    # An edit in A appears in B.
    a.click("nav-records")
    a.click_text("synced through S3")
    a.type("field-text", "Edited on the laptop, carried by the bucket")
    a.click("record-save")
    a.gone("record-save", timeout=30)
    shows(b, "Edited on the laptop, carried by the bucket")

    # Every request after the refused one was signed with the right key,
    # and the key is in neither vault's folder in the clear.
    assert store.accepted > 0
    assert set(store.refused) == {"SignatureDoesNotMatch"}, store.refused
    for app in (a, b):
        for path in app.tmp.rglob("*"):
            if path.is_file():
                assert SECRET_KEY.encode() not in path.read_bytes(), path
