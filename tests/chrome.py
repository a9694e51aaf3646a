"""A real headless Chromium (Debian's chromium + chromedriver) driven by Selenium, for the
dashboard page. Nothing leaves loopback: telegram.org's script is blocked and every other host
fails to resolve; `window.Telegram.WebApp` is a stub put in before the page's own script runs.
Selenium's calls block, so the async tests call `Chrome` methods through `asyncio.to_thread`."""

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "dashboard"

# Telegram's own palettes (Telegram Desktop's day and night themes), as themeParams carries them.
LIGHT = {
    "bg_color": "#ffffff",
    "secondary_bg_color": "#f0f0f0",
    "section_bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#168acd",
    "button_color": "#40a7e3",
    "button_text_color": "#ffffff",
    "destructive_text_color": "#d14e4e",
}
DARK = {
    "bg_color": "#17212b",
    "secondary_bg_color": "#0e1621",
    "section_bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "destructive_text_color": "#ec3942",
}
THEMES = {"light": LIGHT, "dark": DARK}


@dataclass
class WebAppStub:
    """What `window.Telegram.WebApp` holds for the page inside Telegram."""

    init_data: str
    user: dict[str, Any]
    theme: str = "light"

    def script(self) -> str:
        webapp = {
            "initData": self.init_data,
            "initDataUnsafe": {"user": self.user},
            "themeParams": THEMES[self.theme],
            "colorScheme": self.theme,
            "platform": "tdesktop",
            "version": "8.0",
        }
        return (
            "window.Telegram = {WebApp: Object.assign(" + json.dumps(webapp) + ", {"
            "closed: false, handlers: {}, ready() {}, expand() {},"
            "onEvent(name, handler) { this.handlers[name] = handler; },"
            "close() { this.closed = true; }})};"
        )


class Chrome:
    """One headless Chromium window."""

    def __init__(self, performance_log: bool = False) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--lang=en-US",
            # Only loopback resolves: a stray request fails here instead of leaving the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ):
            options.add_argument(argument)
        logs = {"browser": "ALL", "performance": "ALL"} if performance_log else {"browser": "ALL"}
        options.set_capability("goog:loggingPrefs", logs)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.cdp("Network.enable")
        self.cdp("Network.setBlockedURLs", urls=["*://telegram.org/*"])
        self.scripts: list[str] = []  # run ahead of the page's own, on the next open

    def cdp(self, command: str, **params: Any) -> Any:
        return self.driver.execute_cdp_cmd(command, params)

    def close(self) -> None:
        self.driver.quit()

    def open(
        self,
        url: str,
        width: int,
        height: int,
        webapp: WebAppStub | None,
        before: str = "",
    ) -> None:
        """Open `url` in a `width`x`height` viewport, as Telegram would (with the stub) or as a
        plain browser (without), `before` run ahead of the page's scripts; wait until the page
        has rendered or said why not."""
        mobile = width < 600
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        for identifier in self.scripts:
            self.cdp("Page.removeScriptToEvaluateOnNewDocument", identifier=identifier)
        self.scripts = [
            self.cdp("Page.addScriptToEvaluateOnNewDocument", source=source)["identifier"]
            for source in (webapp.script() if webapp else "", before)
            if source
        ]
        self.driver.get(url)
        self.wait_settled()

    def wait_settled(self, timeout: float = 15) -> None:
        """The page is ready, or it replaced itself with a message; no section still loading."""
        script = "return 'ready' in document.documentElement.dataset"
        try:
            WebDriverWait(self.driver, timeout).until(lambda driver: driver.execute_script(script))
        except TimeoutException as error:
            raise AssertionError("the page did not settle: " + self.text("body")) from error

    def wait_for(self, css: str, timeout: float = 15) -> None:
        """Until an element matching `css` is on the page (a section re-rendered, a banner)."""
        script = f"return document.querySelector({json.dumps(css)}) !== null"
        try:
            WebDriverWait(self.driver, timeout).until(lambda driver: driver.execute_script(script))
        except TimeoutException as error:
            raise AssertionError(f"no {css} on the page: " + self.text("body")) from error

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def texts(self, css: str) -> list[str]:
        return [str(node.text) for node in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def click(self, css: str) -> None:
        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def js(self, script: str) -> Any:
        return self.driver.execute_script(script)

    def console_errors(self) -> list[str]:
        """Console errors except the blocked telegram.org script (blocked on purpose) and the
        browser's own ask for /favicon.ico (the page names no icon: its CSP allows no images)."""
        return [
            str(entry["message"])
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
            and "telegram.org" not in entry["message"]
            and "/favicon.ico" not in entry["message"]
        ]

    def screenshot(self, name: str) -> Path:
        """The whole page (beyond the viewport too), kept under test-artifacts/dashboard/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        size = self.cdp("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.cdp(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
