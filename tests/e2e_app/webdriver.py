"""A small W3C WebDriver client over one keep-alive connection (http.client only).

tauri-driver drops about one request in eight when each request opens its own connection, so
every call here goes over the same connection, re-opened only if the server closed it.
"""

import http.client
import json
import time

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


class Element:
    def __init__(self, driver, ref):
        self.driver = driver
        self.ref = ref

    def _path(self, suffix=""):
        return f"/session/{self.driver.session}/element/{self.ref}{suffix}"

    def click(self):
        self.driver.request("POST", self._path("/click"), {})

    def send_keys(self, text):
        self.driver.request("POST", self._path("/value"), {"text": text})

    def clear(self):
        self.driver.request("POST", self._path("/clear"), {})


class Driver:
    def __init__(self, port, application, timeout=30.0):
        self.port = port
        self.conn = None
        self.session = None
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": {"application": application},
                }
            }
        }
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.request("POST", "/session", caps)
                break
            except (OSError, WebDriverError) as e:
                if time.monotonic() > deadline:
                    raise WebDriverError(f"no WebDriver session: {e}") from e
                time.sleep(0.3)
        self.session = value["sessionId"]

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        return self.conn

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json; charset=utf-8", "Connection": "keep-alive"}
        for attempt in range(3):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)
        payload = json.loads(raw or b"{}")
        value = payload.get("value")
        if resp.status >= 400 or (isinstance(value, dict) and "error" in value and resp.status != 200):
            raise WebDriverError(f"{method} {path}: HTTP {resp.status}: {value}")
        return value

    # -- session helpers -------------------------------------------------------------------

    def quit(self):
        if self.session:
            try:
                self.request("DELETE", f"/session/{self.session}")
            finally:
                self.session = None

    def find(self, css):
        value = self.request(
            "POST", f"/session/{self.session}/element", {"using": "css selector", "value": css}
        )
        return Element(self, value[ELEMENT])

    def js(self, script, *args):
        """Runs `script` (a function body; `arguments` holds args) and returns its value."""
        return self.request(
            "POST", f"/session/{self.session}/execute/sync", {"script": script, "args": list(args)}
        )

    def wait(self, what, script, *args, timeout=60.0):
        """Polls `script` until it returns something truthy; returns it."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.js(script, *args)
            except WebDriverError as e:
                last = e
            if last and not isinstance(last, Exception):
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")

    def wait_css(self, css, timeout=60.0):
        self.wait(css, "return !!document.querySelector(arguments[0]);", css, timeout=timeout)
        return self.find(css)
