import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import traffic


class StubFrontend(BaseHTTPRequestHandler):
    seen = []

    def log_message(self, *args):
        pass

    def _answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self):
        if self.path == "/healthz":
            return self._answer(200)
        StubFrontend.seen.append(("GET", self.path, None))
        self._answer(200)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StubFrontend.seen.append(("POST", self.path, body))
        self._answer(400 if "unicorn-frappe" in body["items"] else 200)


def test_traffic_mix_against_a_stub(capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubFrontend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d" % server.server_port
        assert traffic.main(["--frontend", url, "--requests", "40", "--rate", "0", "--seed", "7",
                             "--wait", "5"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    output = json.loads(capsys.readouterr().out)
    assert sum(output["responses"].values()) == 40
    assert {method for method, _, _ in StubFrontend.seen} == {"GET", "POST"}
    assert all(1 <= len(body["items"]) <= 3 for method, _, body in StubFrontend.seen if method == "POST")


def test_unreachable_frontend_fails_the_job(capsys):
    assert traffic.main(["--frontend", "http://127.0.0.1:9", "--requests", "2", "--rate", "0"]) == 1
    assert traffic.main(["--frontend", "http://127.0.0.1:9", "--wait", "0.1"]) == 1
    assert "not ready" in capsys.readouterr().err
