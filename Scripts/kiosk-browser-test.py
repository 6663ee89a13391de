#!/usr/bin/env python3
"""The kiosk page in a real browser: headless Chromium, its fake camera fed a video made from the sample photos,
driven over the DevTools protocol through three visits against a real `mynaface serve --kiosk`:

  genuine   place the card → face → (obama2/obama3 video) match → agree, agree → "受付が完了しました", identity: face
  impostor  place the card → face → (biden video) no match → PIN pad → wrong PIN (2 tries left) → demo PIN
            → disagree, agree → "受付が完了しました", identity: PIN
  cancelled place the card → face → camera → cancel → "受付を中止しました" → back to the start screen
  no face   place the card → face → (empty video) the patient message "カメラに顔を向けてください" on the camera
            screen, three times → PIN pad → cancel → "受付を中止しました"

Each visit asserts on the page's text, that the page logged nothing to the console, and that the visit's template was
wiped; a screenshot of each final screen is saved as OUT/<visit>.png (and of the PIN pad and the camera screen on
the way, OUT/impostor-pin.png and OUT/cancelled-camera.png).

    kiosk-browser-test.py --mynaface BIN --chromium BROWSER --samples DIR --out DIR
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import CDP  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PIN = "4321"
failures = []


def check(condition, what):
    print(("  ok   " if condition else "  FAIL ") + what)
    if not condition:
        failures.append(what)


class Server:
    def __init__(self, mynaface, portrait, pin_file, log):
        self.process = subprocess.Popen(
            [mynaface, "serve", "--port", "0", "--kiosk", os.path.join(ROOT, "Kiosk"), "--kiosk-portrait", portrait,
             "--kiosk-pin-file", pin_file], stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline()
        if "listening on 127.0.0.1:" not in line:
            sys.exit(f"kiosk-browser-test: the server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.strip().rsplit(':', 1)[1])}"

    def templates(self):
        return json.load(urllib.request.urlopen(self.url + "/ready"))["templates"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Browser:
    def __init__(self, chromium, video, work):
        self.profile = tempfile.mkdtemp(prefix="profile-", dir=work)
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-dev-shm-usage", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={video}", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--window-size=1024,1000", "--lang=ja", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.monotonic() > deadline or self.process.poll() is not None:
                sys.exit("kiosk-browser-test: Chromium did not start")
            time.sleep(0.2)
        port = int(open(port_file).read().split()[0])
        pages = []
        while not pages and time.monotonic() < deadline:
            pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"]
            time.sleep(0.2)
        self.page = CDP(pages[0]["webSocketDebuggerUrl"])
        self.page.call("Runtime.enable")
        self.page.call("Page.enable")

    def open(self, url):
        self.page.call("Page.navigate", {"url": url})
        if not self.page.wait_for("document.readyState === 'complete' && document.body.dataset.screen === 'start'", 30):
            sys.exit("kiosk-browser-test: the kiosk page did not load")

    def click(self, element_id):
        clicked = self.page.evaluate(f"(() => {{ const e = document.getElementById({json.dumps(element_id)});"
                                     " if (!e || e.offsetParent === null) return false; e.click(); return true; })()")
        check(clicked, f"clicked the visible #{element_id}")

    def screen(self, name, timeout=30):
        ok = self.page.wait_for(f"document.body.dataset.screen === {json.dumps(name)}", timeout)
        now = self.page.evaluate("document.body.dataset.screen")
        check(ok, f"screen '{name}' shown (now '{now}')")
        return ok

    def text(self, element_id="screen-result"):
        return self.page.evaluate(f"document.getElementById({json.dumps(element_id)}).innerText")

    def screenshot(self, path):
        data = self.page.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"  screenshot {path}")

    def console_quiet(self):
        noisy = [e for e in self.page.events if e["method"] in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")]
        check(not noisy, f"the page logged nothing and threw nothing ({len(noisy)} console events)")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def enter_pin(browser, pin):
    for digit in pin:
        browser.click(f"pin-key-{digit}")
    browser.click("pin-key-ok")


def genuine(browser, server, out):
    print("genuine visit")
    browser.click("place-card")
    browser.screen("choose")
    browser.click("choose-face")
    browser.screen("camera")
    if browser.screen("consent-medication", timeout=120):
        browser.click("medication-agree")
        browser.screen("consent-treatment")
        browser.click("treatment-agree")
        browser.screen("result")
    text = browser.text()
    check("受付が完了しました" in text and "Reception complete" in text, "result: 受付が完了しました / Reception complete")
    check("顔認証" in text and "Face" in text, "result: identity confirmed by 顔認証 / Face")
    check(text.count("同意する") == 2, "result: both consents 同意する")
    check(browser.page.evaluate("document.body.dataset.outcome") == "complete", "outcome: complete")
    browser.screenshot(os.path.join(out, "genuine.png"))


def impostor(browser, server, out):
    print("impostor visit")
    browser.click("place-card")
    browser.screen("choose")
    browser.click("choose-face")
    browser.screen("camera")
    if browser.screen("pin", timeout=120):
        message = browser.text("pin-message")
        check("顔認証できませんでした" in message and "Face authentication failed" in message,
              f"PIN pad explains the face check failed: {message!r}")
        enter_pin(browser, "1111")
        ok = browser.page.wait_for("document.getElementById('pin-message').innerText.includes('あと2回')", 30)
        check(ok, f"a wrong PIN: {browser.text('pin-message')!r}")
        check(browser.text("pin-dots") == "○○○○", "the PIN dots are cleared after a try")
        browser.screenshot(os.path.join(out, "impostor-pin.png"))
        enter_pin(browser, DEMO_PIN)
        if browser.screen("consent-medication"):
            browser.click("medication-disagree")
            browser.screen("consent-treatment")
            browser.click("treatment-agree")
            browser.screen("result")
    text = browser.text()
    check("受付が完了しました" in text, "result: 受付が完了しました")
    check("暗証番号" in text and "PIN" in text, "result: identity confirmed by 暗証番号 / PIN")
    check("同意しない" in text and "同意する" in text, "result: medication not agreed, treatment agreed")
    check(DEMO_PIN not in browser.page.evaluate("document.documentElement.outerHTML"), "the PIN is nowhere in the page")
    browser.screenshot(os.path.join(out, "impostor.png"))


def cancelled(browser, server, out):
    print("cancelled visit")
    browser.click("place-card")
    browser.screen("choose")
    browser.click("choose-face")
    browser.screen("camera")
    check(browser.page.wait_for("document.getElementById('camera').videoWidth === 640", 30), "the fake camera plays 640×480")
    browser.screenshot(os.path.join(out, "cancelled-camera.png"))
    browser.click("cancel")
    browser.screen("result")
    text = browser.text()
    check("受付を中止しました" in text and "Reception cancelled" in text, "result: 受付を中止しました / Reception cancelled")
    check(browser.page.evaluate("document.getElementById('camera').srcObject === null"), "the camera is stopped")
    browser.screenshot(os.path.join(out, "cancelled.png"))
    browser.click("restart")
    browser.screen("start")
    check("マイナンバーカードを置いてください" in browser.text("screen-start"), "back at 'マイナンバーカードを置いてください'")


def no_face(browser, server, out):
    print("no-face visit")
    browser.click("place-card")
    browser.screen("choose")
    browser.click("choose-face")
    browser.screen("camera")
    shown = browser.page.wait_for("document.getElementById('camera-message').innerText.includes('カメラに顔を向けてください')", 90)
    check(shown, f"the patient message on the camera screen: {browser.text('camera-message')!r}")
    check("Please face the camera" in browser.text("camera-message") or not shown, "… in English too")
    browser.screenshot(os.path.join(out, "noface-camera.png"))
    if browser.screen("pin", timeout=120):
        message = browser.text("pin-message")
        check("顔が確認できませんでした" in message, f"after three attempts without a face, the PIN pad: {message!r}")
        browser.click("cancel")
        browser.screen("result")
    check("受付を中止しました" in browser.text(), "result: 受付を中止しました")
    browser.screenshot(os.path.join(out, "noface.png"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mynaface", required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mynaface-kiosk-")
    try:
        sample = lambda name: os.path.join(args.samples, name)
        videos = {"genuine": os.path.join(work, "genuine.y4m"), "impostor": os.path.join(work, "impostor.y4m")}
        maker = [sys.executable, os.path.join(ROOT, "Scripts", "make-kiosk-video.py"), args.mynaface]
        subprocess.run(maker + [videos["genuine"], sample("obama2.jpg"), sample("obama3.jpg")], check=True)
        subprocess.run(maker + [videos["impostor"], sample("biden.jpg:1")], check=True)
        videos["empty"] = os.path.join(work, "empty.y4m")
        subprocess.run(maker + [videos["empty"], "empty:1"], check=True)
        pin_file = os.path.join(work, "pin")
        with open(pin_file, "w") as f:
            f.write(DEMO_PIN + "\n")
        with open(os.path.join(args.out, "serve.log"), "w") as log:
            server = Server(args.mynaface, sample("obama.jpg"), pin_file, log)
            try:
                for visit, video in ((genuine, "genuine"), (impostor, "impostor"), (cancelled, "genuine"), (no_face, "empty")):
                    browser = Browser(args.chromium, videos[video], work)
                    try:
                        browser.open(server.url + "/kiosk")
                        visit(browser, server, args.out)
                        browser.console_quiet()
                    finally:
                        browser.close()
                    time.sleep(0.5)
                    check(server.templates() == 0, "the visit's template was wiped")
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"kiosk-browser-test: {len(failures)} check(s) failed")
        sys.exit(1)
    print(f"kiosk-browser-test: 4 visits passed; screenshots in {args.out}")


if __name__ == "__main__":
    main()
