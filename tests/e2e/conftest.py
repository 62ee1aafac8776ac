"""Drive the real VRM Vault app through tauri-driver and WebKitWebDriver.

Each test gets a fresh vault folder and settings file; `app` starts the app
binary, `restart` ends that session and starts the app again on the same
vault. The file dialogs answer VRM_E2E_DIALOG_PATH (a path the test picks);
those of `choose_file` answer a fixed name per kind of file in
VRM_E2E_DIALOG_DIR (`app.files`), or that folder itself when a folder is
asked for. The page gets a single-use token for each answer, never the
path (see src-tauri/src/files.rs); VRM_E2E_CONFIRM (`yes` or `no`) answers
the native confirmation of a backup to a new age recipient. `vrm` is the
command-line binary, to play the brand.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
# Where cargo builds: CARGO_TARGET_DIR when set (as cargo and tauri read it).
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
APP = Path(os.environ.get("VRM_APP_BINARY", TARGET / "debug" / "vrm-vault-app"))
CLI = Path(os.environ.get("VRM_CLI_BINARY", TARGET / "debug" / "vrm"))


def _wait_for_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"tauri-driver did not listen on {port}")


def driver_binary():
    return shutil.which("tauri-driver") or str(Path.home() / ".cargo" / "bin" / "tauri-driver")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# See App.screenshot.
_REPAINT = """
let box = document.getElementById('e2e-repaint');
if (!box) {
  box = document.createElement('div');
  box.id = 'e2e-repaint';
  Object.assign(box.style, {position: 'fixed', top: '0px', left: '0px', width: '1px', height: '1px',
                            pointerEvents: 'none', background: 'transparent'});
  document.body.appendChild(box);
}
let moves = 0;
const timer = setInterval(() => {
  box.style.left = box.style.left === '0px' ? '1px' : '0px';
  if (++moves >= 12) clearInterval(timer);
}, 250);
"""


class App:
    """One running app session plus helpers to find and type."""

    def __init__(self, env):
        self.env = env
        self.driver = None

    def start(self):
        # tauri-driver starts the application with its own environment, so a
        # driver is started for each app session with the test's variables.
        # Each session gets its own pair of free ports and its own process
        # group: a WebKitWebDriver left behind by the previous session (it
        # outlives a terminated tauri-driver) must not answer for this one.
        assert APP.exists(), f"build the app first: {APP} is missing"
        port, native_port = _free_port(), _free_port()
        self.proc = subprocess.Popen(
            [driver_binary(), "--port", str(port), "--native-port", str(native_port)],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for_port(port)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        last = None
        for _ in range(5):
            try:
                self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
                break
            except Exception as e:  # the native driver may still be starting
                last = e
                time.sleep(1)
        else:
            self.stop()
            raise RuntimeError(f"no WebDriver session: {last}")
        self.driver.implicitly_wait(0)
        return self

    def stop(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
        if getattr(self, "proc", None) is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # The group may still hold WebKitWebDriver and the app; end them too.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc = None

    def restart(self):
        self.stop()
        time.sleep(0.5)
        return self.start()

    def el(self, testid, timeout=15):
        return WebDriverWait(self.driver, timeout).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, f"[data-testid='{testid}']"))
        )

    def gone(self, testid, timeout=15):
        WebDriverWait(self.driver, timeout).until(
            EC.invisibility_of_element_located((By.CSS_SELECTOR, f"[data-testid='{testid}']"))
        )

    def all(self, testid):
        return self.driver.find_elements(By.CSS_SELECTOR, f"[data-testid='{testid}']")

    def type(self, testid, text, clear=True):
        e = self.el(testid)
        if not clear:
            e.send_keys(text)
            return e
        # A render landing between the clearing and the first key can put
        # the old value back (Preact keeps a controlled input's value), and
        # the text is then typed after it: check, and type again if so.
        for _ in range(3):
            e.clear()
            # clear() fires no input event: tell the page.
            self.driver.execute_script(
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", e)
            try:
                WebDriverWait(self.driver, 5).until(
                    lambda d: e.get_attribute("value") == "")
            except TimeoutException:
                continue
            e.send_keys(text)
            if e.get_attribute("value") == text:
                break
        return e

    def click(self, testid):
        e = self.el(testid)
        WebDriverWait(self.driver, 10).until(lambda d: e.is_enabled())
        e.click()

    def click_text(self, text, timeout=15):
        """Click the button whose text contains `text`, once it is there."""
        xpath = f"//button[contains(., '{text}')]"
        WebDriverWait(self.driver, timeout).until(EC.element_to_be_clickable((By.XPATH, xpath))).click()

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_text(self, needle, timeout=15):
        WebDriverWait(self.driver, timeout).until(lambda d: needle in self.text())

    def wait_no_text(self, needle, timeout=15):
        WebDriverWait(self.driver, timeout).until(lambda d: needle not in self.text())

    def select(self, testid, visible_text, timeout=15):
        """Choose an option by its text, once the page has listed it (the
        options of a select often come from a command answered later)."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import Select

        def chosen(_driver):
            try:
                Select(self.el(testid)).select_by_visible_text(visible_text)
                return True
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        WebDriverWait(self.driver, timeout).until(chosen)

    def set_date(self, testid, iso_day):
        """Set a date input as a date picker would (WebKit's date input
        takes keys per locale segment)."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", self.el(testid), iso_day)

    def screenshot(self, path):
        """Save a screenshot of the page to `path`.

        WebKitGTK's WebDriver takes a screenshot at the page's next paint and
        waits for one, with no time limit: on a still page (no caret
        blinking, no animation, no message about to go) no paint comes under
        Xvfb and the command never returns. So the page first gets a
        transparent 1-pixel box, outside the app's own tree, that moves
        every 250 ms for 3 s: each move is a paint that shows nothing."""
        self.driver.execute_script(_REPAINT)
        self.driver.save_screenshot(str(path))

    def wait_attr(self, testid, name, value, timeout=15):
        """Wait until the element's attribute has that value; returns the element."""
        def check(d):
            found = self.all(testid)
            return found[0] if found and found[0].get_attribute(name) == value else False
        return WebDriverWait(self.driver, timeout).until(check)


@pytest.fixture
def app(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    env = {
        "VRM_VAULT": str(tmp_path / "vault"),
        "VRM_SETTINGS": str(tmp_path / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        "VRM_E2E_DIALOG_PATH": str(tmp_path / "backup.age"),
        "VRM_E2E_DIALOG_DIR": str(files),
    }
    a = App(env)
    a.tmp = tmp_path
    a.files = files
    a.start()
    try:
        yield a
    finally:
        a.stop()


@pytest.fixture
def vrm():
    """Run the `vrm` command line (the brand's side); returns its stdout."""
    assert CLI.exists(), f"build the CLI first (cargo build -p vrm-vault --bin vrm): {CLI} is missing"

    def run(*args):
        done = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"vrm {' '.join(map(str, args))}: {done.stderr}"
        return done.stdout

    return run
