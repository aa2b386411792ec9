"""Throughput of our pages as a ratio to a bare Django view, served by real gunicorn workers.

The machine that runs this is shared and noisy, so absolute requests/s mean little from one run
to the next; the ratio to a bare view measured in the same run (and the same gunicorn settings)
does not drift with the machine. See "Speed" in quality.md for the targets.

Run it with ``make bench``. It builds a throw-away SQLite database with the demo data, signs the
demo user in through a database session, starts gunicorn on 127.0.0.1, drives each target with
N connections from two client processes (so the client does not stall on one GIL), prints a
table and exits 1 when a target misses its ratio or any request failed (an answer other than
the target's expected status).

Every page is measured twice (quality.md): as first rendered, the way a patient sees it right
after logging something (each fragment cached under the diary's data version is built again and
stored, as after any write: the request carries ``X-Bench-Render: first``, which
``bench/settings.py`` honours), and as served again from the cache.

The noise comes in bursts (someone else's test run), so the targets take turns in short rounds:
bare view, every page, ..., bare view. A page's ratio in a round is against the mean of the two
bare-view slices around it, and the ratio reported is the median over the rounds, so one burst
moves it little.

Then, with nothing else in flight, the server time of the five-year report and trends pages
(``SERVER_TIMES``: p50 and p95 of requests one at a time, as first rendered and served again) and
the time ``reports.jobs.run`` (what the background task runs) takes to make the five-year report
PDF over the five years (``PDF_SECONDS``); a miss fails the run like a ratio does.

To add a page, add one ``page(...)`` line to ``TARGETS``. Paths may use ``{patient}`` (the demo
diary), ``{five_years}`` (the demo user's diary of five years, ``reports.bench_data``),
``{write_patient}`` (a diary for writes) and ``{today}``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import itertools
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NotRequired, TypedDict
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
_TIMEOUT = 10  # seconds; a request that takes longer is an error, and the run stays bounded


class Target(TypedDict):
    """One URL to load. ``path`` and ``data`` values may use ``{patient}`` and ``{today}``."""

    name: str
    path: str
    method: NotRequired[str]  # GET (default) or POST
    logged_in: NotRequired[bool]  # send the demo user's session cookie
    # The least requests/s as a multiple of the bare view's (quality.md "Speed"). With ``first``
    # the target is measured as first rendered (after a change: every fragment cached under the
    # diary's data version built again), with ``again`` as served again from the cache; with
    # neither it is measured once, for information.
    first: NotRequired[float | None]  # None: measured, with no target
    again: NotRequired[float | None]
    data: NotRequired[dict[str, str]]  # form fields for a POST, url-encoded
    headers: NotRequired[dict[str, str]]  # e.g. {"HX-Request": "true"} for an htmx partial
    # The status every response must have; anything else counts as an error, so a page that
    # quietly redirects to the sign-in page cannot pass as fast.
    status: NotRequired[int]
    baseline: NotRequired[bool]  # the bare view every ratio is taken against (exactly one)


def page(name: str, path: str, *, first: float | None, again: float | None) -> Target:
    """A signed-in page, measured as first rendered and as served again: one line per page
    (a target of None: measured and shown, judged by nothing)."""
    return {"name": name, "path": path, "logged_in": True, "first": first, "again": again}


TARGETS: list[Target] = [
    {"name": "bare view", "path": "/healthz", "baseline": True},
    {"name": "landing page", "path": "/"},
    # The targets of quality.md "Speed".
    page("today page", "/p/{patient}/", first=0.10, again=0.20),
    page("diary list", "/p/{patient}/diary/", first=0.10, again=0.15),
    page("infusion list", "/p/{patient}/infusions/", first=0.10, again=0.15),
    page("measures", "/p/{patient}/diary/measures/", first=0.10, again=0.15),
    page("trends", "/p/{patient}/trends/", first=0.10, again=0.15),
    # The five-year diary's trends, measured and shown with no ratio target: the rows above are
    # quality.md's pages on the demo diary; for five years issue 9 sets trends a server time
    # (p50 <= 150 ms, in SERVER_TIMES below). docs/decisions.md, "Eighth session", says why,
    # and how it fares against quality.md's 0.10 if that row is read as holding for five years.
    page("trends, five years", "/p/{five_years}/trends/", first=None, again=None),
    {
        # As htmx sends it, answered with the quick-log panel and the lists it changed.
        "name": "quick log",
        "method": "POST",
        "path": "/p/{write_patient}/diary/quick/",
        "logged_in": True,
        "headers": {"HX-Request": "true"},
        # After the first, the headache is still going: each save answers the "same one?"
        # question with "same", which adds a timed reading to the open entry.
        "data": {"symptom": "headache", "severity": "2", "episode": "same"},
        "first": 0.10,
    },
]


class Timed(TypedDict):
    """A page timed one request at a time (quality.md: "server time p50")."""

    name: str
    path: str
    p50_ms: float  # the most the median may take, as first rendered and as served again


# Server time of the doctor's report and the trends page on five years of data, one request at a
# time: for the period each page opens with, and for the whole five years (every part of the
# report, as a diary that never chose has them).
_WHOLE = "custom&custom_from={five_years_since}&custom_to={today}" + "".join(
    f"&parts={code}"
    for code in ("cycles", "infusions", "side_effects", "notes", "answered_questions")
)
SERVER_TIMES: list[Timed] = [
    {"name": "report, five years", "path": "/p/{five_years}/report/", "p50_ms": 150},
    {
        "name": "report, five years, all of them",
        "path": "/p/{five_years}/report/?period=" + _WHOLE,
        "p50_ms": 150,
    },
    {"name": "trends, five years", "path": "/p/{five_years}/trends/", "p50_ms": 150},
    {
        "name": "trends, five years, all of them",
        "path": "/p/{five_years}/trends/?period=all",
        "p50_ms": 150,
    },
]
PDF_SECONDS = 2.0  # each report PDF of the five-year diary (quality.md), see PDFS

# Settings variables that would change what is measured (production mode, TLS redirects, another
# database); the bench builds its environment without them whatever the shell has exported.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")

_SESSION_SCRIPT = """
import json
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from patients.demo import DEMO_EMAIL
from patients.models import Membership, Patient, User
from patients.sessions import SessionStore
from reports import bench_data

user = User.objects.get(email=DEMO_EMAIL)
membership = Membership.objects.select_related("patient").get(user=user, is_self=True)
session = SessionStore()
session[SESSION_KEY] = user._meta.pk.value_to_string(user)
session[BACKEND_SESSION_KEY] = "patients.auth.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.set_expiry(timedelta(days=30))  # "keep me signed in": no idle timeout
session.create()
# Writes go to a second diary of the same user, so that the pages measured keep showing the demo
# data rather than the thousands of entries the write targets add.
scratch = Patient.objects.create(name="Bench writes", time_zone="Europe/London", conditions=["mg"])
Membership.objects.create(user=user, patient=scratch, role=Membership.Role.OWNER)
# 65 courses, 5,000 side-effect entries, 1,500 measures: what issue 9 measures the report with.
five_years = bench_data.create_diary(user, "Five years", years=5)
first_course = five_years.courses.order_by("start_date").values_list("start_date", flat=True)[0]
print(
    json.dumps(
        {
            "session_key": session.session_key,
            "patient": membership.patient.public_id,
            "write_patient": scratch.public_id,
            "five_years": five_years.public_id,
            "five_years_since": first_course.isoformat(),
        }
    )
)
"""


# The five-year diary's report as a PDF, made by what the background task runs
# (reports.tasks.render_report_pdf -> reports.jobs.run), in a process of its own like a worker.
# Each run is a new queued job, as request_pdf writes it (the diary's paper): for the period and
# parts the report opens with ("opens"), or over the whole five years with every part.
_PDF_SCRIPT = """
import datetime as dt
import json
import sys
import time

import django

django.setup()

from patients.demo import DEMO_EMAIL
from patients.models import Patient, User
from reports import jobs, preferences, sections
from reports.models import ReportPdfJob
from reports.views_report import _saved_choice

patient = Patient.objects.get(public_id=sys.argv[1])
user = User.objects.get(email=DEMO_EMAIL)
if sys.argv[2] == "opens":
    _saved, _period, since, until, parts = _saved_choice(patient, preferences.local_today(patient))
else:
    since, until = dt.date.fromisoformat(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
    parts = list(sections.CODES)
# As the task worker does when its first task starts (reports.apps -> jobs.settle_worker).
jobs.settle_worker()
seconds = []
for _ in range(int(sys.argv[4])):
    job = ReportPdfJob.objects.create(
        patient=patient,
        requested_by=user,
        since=since,
        until=until,
        sections=parts,
        paper=patient.report_paper_size,
    )
    started = time.perf_counter()
    done = jobs.run(job.pk)
    seconds.append(time.perf_counter() - started)
    if done["status"] != ReportPdfJob.Status.DONE:
        sys.exit(f"the PDF was not made: {done}")
found = {"seconds": seconds, "bytes": done["bytes"], "since": str(since), "until": str(until)}
print(json.dumps(found))
"""


@dataclass
class Job:
    """What one client process runs: its share of the connections for one target."""

    client: str  # "raw" or "http.client"
    port: int
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    status: int
    threads: int
    start_at: float  # wall clock; requests that finish before it are warm-up, not counted
    end_at: float


@dataclass
class Tally:
    """What one client process measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    bad_statuses: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0


class RawConnection:
    """HTTP/1.1 over a bare socket with a request prepared once: the cheapest client we can have.

    The client shares the 2 CPUs with gunicorn. http.client parses every response's headers with
    the email package and costs about 2.5 times the CPU per request; measured here it held the
    bare view back by a quarter (2,000 instead of 2,700 req/s) and so flattered the today page's
    ratio by 40% (0.11 instead of 0.078), enough for a naive page to pass. Keep-alive is kept
    when the server offers it; gunicorn's sync workers close after every response.
    """

    def __init__(self, job: Job) -> None:
        self.port = job.port
        head = [f"{job.method} {job.path} HTTP/1.1", f"Host: {HOST}:{job.port}"]
        head += [f"{name}: {value}" for name, value in job.headers.items()]
        if job.method != "GET":
            head.append(f"Content-Length: {len(job.body)}")
        self.payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + job.body
        self.sock: socket.socket | None = None
        self.buffer = b""

    def send(self) -> int:
        """One request and its whole response; returns the status."""
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=_TIMEOUT)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(self.payload)
        lines = self._read_until(b"\r\n\r\n").split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if status in (204, 304):
            pass
        elif b"content-length" in headers:
            self._read_exactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
                self._read_exactly(size + 2)
            while self._read_until(b"\r\n"):  # trailers, then the empty line
                pass
        else:  # the body runs to the end of the connection
            while self._fill():
                pass
            headers[b"connection"] = b"close"
        if headers.get(b"connection") == b"close":
            self.close()
        return status

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _fill(self) -> bool:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def _read_until(self, separator: bytes) -> bytes:
        while (end := self.buffer.find(separator)) < 0:
            if not self._fill():
                raise ConnectionError("connection closed mid-response")
        data, self.buffer = self.buffer[:end], self.buffer[end + len(separator) :]
        return data

    def _read_exactly(self, size: int) -> None:
        while len(self.buffer) < size:
            if not self._fill():
                raise ConnectionError("connection closed mid-body")
        self.buffer = self.buffer[size:]


class StdlibConnection:
    """The same through http.client, to compare (``--client http.client``)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.conn = http.client.HTTPConnection(HOST, job.port, timeout=_TIMEOUT)

    def send(self) -> int:
        job = self.job
        body = job.body if job.method != "GET" else None
        self.conn.request(job.method, job.path, body=body, headers=job.headers)
        response = self.conn.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.conn.close()


def _connection_loop(job: Job, tally: Tally, lock: threading.Lock) -> None:
    """One client connection: request after request until the end of the window."""
    latencies: list[float] = []
    errors = 0
    bad: dict[str, int] = {}
    conn = RawConnection(job) if job.client == "raw" else StdlibConnection(job)
    while time.time() < job.end_at:
        started = time.perf_counter()
        try:
            outcome: int | str = conn.send()
        except (OSError, ValueError, IndexError, http.client.HTTPException) as exc:
            conn.close()
            outcome = type(exc).__name__
        finished = time.time()
        if outcome == job.status:
            if job.start_at <= finished <= job.end_at:
                latencies.append((time.perf_counter() - started) * 1000)
        else:  # also after the window: a page that hangs or fails must not go unseen
            errors += 1
            bad[str(outcome)] = bad.get(str(outcome), 0) + 1
    conn.close()
    with lock:
        tally.latencies_ms.extend(latencies)
        tally.errors += errors
        for key, count in bad.items():
            tally.bad_statuses[key] = tally.bad_statuses.get(key, 0) + count


def run_job(job: Job) -> Tally:
    """Entry point of a client process: ``job.threads`` connections in threads."""
    tally, lock = Tally(), threading.Lock()
    cpu_before = time.process_time()
    threads = [
        threading.Thread(target=_connection_loop, args=(job, tally, lock))
        for _ in range(job.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.cpu_seconds = time.process_time() - cpu_before
    return tally


def bench_env(tmp: Path) -> dict[str, str]:
    """Development settings (with the first-render switch of bench/settings.py), DEBUG off, the
    throw-away database, nothing from the shell."""
    env = {key: os.environ[key] for key in _ENV_KEPT if key in os.environ}
    env.update(
        SQLITE_PATH=str(tmp / "bench.sqlite3"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _run(label: str, args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"bench: {label} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_database(env: dict[str, str]) -> dict[str, str]:
    """Migrate, seed and sign the demo user in; returns the session key and the diaries' ids."""
    python = sys.executable
    _run("migrate", [python, "manage.py", "migrate", "--no-input"], env)
    _run("seed_demo", [python, "manage.py", "seed_demo"], env)
    out = _run("signing the demo user in", [python, "-c", _SESSION_SCRIPT], env)
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Two sync workers, no access log, the same for every target (and the baseline)."""
    args = [str(VENV_BIN / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"{HOST}:{port}"]
    # No control socket: gunicorn 27 would otherwise make one in ~/.gunicorn, shared with any
    # other gunicorn on the machine.
    args += ["--graceful-timeout", "5", "--no-control-socket"]
    # Django logs errors to stderr; into the log file with them, or a failing page buries the
    # table under thousands of tracebacks.
    with log.open("ab") as out:
        server = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"bench: gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    sys.exit(f"bench: gunicorn did not answer /healthz in 30 s:\n{log.read_text()}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return round(sorted_values[index], 2)


@dataclass
class Plan:
    """How every target is loaded in this run (the same for the baseline and the pages)."""

    client: str
    port: int
    context: dict[str, str]  # what {patient} and {today} stand for
    cookies: dict[str, str]  # the signed-in session
    csrf_token: str
    processes: int
    connections: int


@dataclass
class Result:
    """One target's measurements in one mode, pooled over the rounds."""

    target: Target
    mode: str | None  # FIRST, AGAIN, or None for a target measured once
    method: str
    path: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    bad_statuses: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    rounds_rps: list[float] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    ratio: float | None = None
    passed: bool | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def min_ratio(self) -> float | None:
        if self.mode == FIRST:
            return self.target.get("first")
        if self.mode == AGAIN:
            return self.target.get("again")
        return None

    @property
    def label(self) -> str:
        return self.target["name"] + (f" ({MODE_NAMES[self.mode]})" if self.mode else "")

    def add(self, tallies: list[Tally], seconds: float, wall_seconds: float) -> None:
        counted = sum(len(tally.latencies_ms) for tally in tallies)
        self.requests += counted
        self.seconds += seconds
        if seconds:
            self.rounds_rps.append(counted / seconds)
        for tally in tallies:
            self.latencies_ms.extend(tally.latencies_ms)
            self.errors += tally.errors
            self.client_cpu_seconds += tally.cpu_seconds
            for key, count in tally.bad_statuses.items():
                self.bad_statuses[key] = self.bad_statuses.get(key, 0) + count
        self.wall_seconds += wall_seconds

    def summary(self) -> dict[str, object]:
        latencies = sorted(self.latencies_ms)
        return {
            "name": self.target["name"],
            "render": self.mode,
            "method": self.method,
            "path": self.path,
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "min_ratio": self.min_ratio,
            "passed": self.passed,
            "p50_ms": _percentile(latencies, 0.50),
            "p95_ms": _percentile(latencies, 0.95),
            "rounds_rps": [round(rps, 1) for rps in self.rounds_rps],
            "errors": self.errors,
            "bad_statuses": self.bad_statuses,
            "client_cpu_cores": round(self.client_cpu_seconds / self.wall_seconds, 2)
            if self.wall_seconds
            else None,
        }


FIRST, AGAIN = "first", "again"
MODE_NAMES = {FIRST: "first render", AGAIN: "served again"}


def modes(target: Target) -> list[str | None]:
    """How a target is measured: first rendered, served again, both, or once (no target)."""
    return [mode for mode in (FIRST, AGAIN) if mode in target] or [None]


def request_for(
    target: Target, plan: Plan, mode: str | None = None
) -> tuple[str, str, bytes, dict[str, str]]:
    """Method, path, body and headers of a target, with the session and CSRF cookies."""
    method = target.get("method", "GET").upper()
    path = target["path"].format(**plan.context)
    headers = dict(target.get("headers", {}))
    if mode == FIRST:
        headers["X-Bench-Render"] = "first"  # bench/settings.py: build every fragment again
    # A csrftoken cookie with the same value in X-CSRFToken passes Django's CSRF check.
    cookies = {"csrftoken": plan.csrf_token}
    if target.get("logged_in", False):
        cookies.update(plan.cookies)
    body = b""
    if method != "GET":
        headers.setdefault("X-CSRFToken", plan.csrf_token)
        fields = target.get("data", {})
        body = urlencode({key: value.format(**plan.context) for key, value in fields.items()})
        body = body.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in cookies.items())
    return method, path, body, headers


_SLACK = 0.1  # seconds for the jobs to reach the idle client processes
_RAMP = 0.25  # unmeasured seconds at the start of every slice, while connections open


def load(
    pool: concurrent.futures.Executor,
    plan: Plan,
    result: Result,
    *,
    ramp: float,
    seconds: float,
) -> None:
    """Load one target for ``ramp + seconds``; requests count only in the last ``seconds``."""
    target = result.target
    method, path, body, headers = request_for(target, plan, result.mode)
    start_at = time.time() + _SLACK + ramp
    n, extra = divmod(plan.connections, plan.processes)
    jobs = [
        Job(
            plan.client,
            plan.port,
            method,
            path,
            body,
            headers,
            target.get("status", 200),
            threads,
            start_at,
            start_at + seconds,
        )
        for threads in [n + (i < extra) for i in range(plan.processes)]
        if threads
    ]
    launched = time.time()
    tallies = list(pool.map(run_job, jobs))
    result.add(tallies, seconds, time.time() - launched)


def judge(results: list[Result], baseline: Result) -> None:
    """Ratios and verdicts; the baseline has one more slice than the rounds (it closes them)."""
    around = [statistics.mean(pair) for pair in itertools.pairwise(baseline.rounds_rps)]
    for result in results:
        if result is baseline:
            result.ratio = 1.0
        else:
            ratios = [
                rps / base for rps, base in zip(result.rounds_rps, around, strict=True) if base
            ]
            result.ratio = statistics.median(ratios) if ratios else None
        min_ratio = result.min_ratio
        if min_ratio is not None:
            result.passed = result.ratio is not None and result.ratio >= min_ratio
        if result.errors:
            result.passed = False


def _ms(value: object) -> str:
    return "-" if value is None else f"{value:.1f}"


@dataclass
class ServerTime:
    """One page timed one request at a time, in one mode."""

    timed: Timed
    mode: str
    path: str
    latencies_ms: list[float] = field(default_factory=list)
    bad_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def p50(self) -> float | None:
        return _percentile(sorted(self.latencies_ms), 0.50)

    @property
    def passed(self) -> bool:
        return not self.bad_statuses and self.p50 is not None and self.p50 <= self.timed["p50_ms"]

    @property
    def label(self) -> str:
        return f"{self.timed['name']} ({MODE_NAMES[self.mode]}, server time)"

    def summary(self) -> dict[str, object]:
        latencies = sorted(self.latencies_ms)
        return {
            "name": self.timed["name"],
            "render": self.mode,
            "path": self.path,
            "requests": len(latencies),
            "p50_ms": _percentile(latencies, 0.50),
            "p95_ms": _percentile(latencies, 0.95),
            "max_p50_ms": self.timed["p50_ms"],
            "passed": self.passed,
            "bad_statuses": self.bad_statuses,
        }


def time_pages(plan: Plan, requests: int, warmup: int = 2) -> list[ServerTime]:
    """Each of SERVER_TIMES, ``requests`` times in a row (after ``warmup`` unmeasured ones),
    as first rendered and as served again: from sending the request to the last byte of the
    answer, nothing else in flight."""
    results = []
    cookies = "; ".join(f"{key}={value}" for key, value in plan.cookies.items())
    for timed in SERVER_TIMES:
        path = timed["path"].format(**plan.context)
        for mode in (FIRST, AGAIN):
            result = ServerTime(timed, mode, path)
            headers = {"Cookie": cookies}
            if mode == FIRST:
                headers["X-Bench-Render"] = "first"
            conn = http.client.HTTPConnection(HOST, plan.port, timeout=60)
            for i in range(warmup + requests):
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    outcome: int | str = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    outcome = type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                if outcome != 200:
                    result.bad_statuses[str(outcome)] = result.bad_statuses.get(str(outcome), 0) + 1
                elif i >= warmup:
                    result.latencies_ms.append(elapsed)
            conn.close()
            results.append(result)
    return results


@dataclass
class PdfTime:
    name: str
    seconds: list[float]  # each run; the first one imports WeasyPrint and loads the fonts
    size: int
    since: str = ""
    until: str = ""
    error: str = ""

    @property
    def warm(self) -> float | None:
        """The median of the runs after the first: a worker makes PDFs one after another."""
        runs = self.seconds[1:] or self.seconds
        return statistics.median(runs) if runs else None

    @property
    def passed(self) -> bool:
        return not self.error and self.warm is not None and self.warm <= PDF_SECONDS


# The PDFs timed: the five-year diary's report as it opens (its saved period and parts: since the
# last report made, else 3 months, every part) and over the whole five years with every part.
PDFS = [
    ("report PDF, five-year diary, as the report opens", ("opens", "")),
    ("report PDF, five-year diary, the whole five years", ("{five_years_since}", "{today}")),
]


def time_pdf(env: dict[str, str], plan: Plan, runs: int) -> list[PdfTime]:
    """Each of PDFS made ``runs`` times in a row by reports.jobs.run, in a process of its own."""
    made = []
    for name, period in PDFS:
        since, until = (value.format(**plan.context) for value in period)
        args = [sys.executable, "-c", _PDF_SCRIPT, plan.context["five_years"], since, until]
        done = subprocess.run(
            [*args, str(runs)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120 + 60 * runs,
        )
        if done.returncode != 0:
            error = (done.stderr or done.stdout).strip().splitlines()[-1:][0]
            made.append(PdfTime(name, [], 0, error=error))
            continue
        found = json.loads(done.stdout.strip().splitlines()[-1])
        made.append(PdfTime(name, found["seconds"], found["bytes"], found["since"], found["until"]))
    return made


def print_server_times(times: list[ServerTime], made: list[PdfTime]) -> None:
    header = ["page", "render", "requests", "p50 ms", "p95 ms", "target", "result"]
    rows = [header]
    for one in times:
        summary = one.summary()
        rows.append(
            [
                one.timed["name"],
                MODE_NAMES[one.mode],
                str(summary["requests"]),
                _ms(summary["p50_ms"]),
                _ms(summary["p95_ms"]),
                f"p50 <= {one.timed['p50_ms']}",
                "PASS" if one.passed else "FAIL",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print("\nserver time: one request at a time, nothing else in flight")
    for i, row in enumerate(rows):
        cells = [
            cell.ljust(width) if j == 0 else cell.rjust(width)
            for j, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))
    for one in times:
        if one.bad_statuses:
            print(f"{one.label}: unexpected answers {one.bad_statuses} (GET {one.path})")
    for pdf in made:
        if pdf.error:
            print(f"\n{pdf.name}: not made ({pdf.error})  FAIL")
            continue
        runs = ", ".join(f"{s:.2f}" for s in pdf.seconds)
        verdict = "PASS" if pdf.passed else "FAIL"
        print(
            f"\n{pdf.name} ({pdf.since} to {pdf.until}, {pdf.size:,} bytes), made by "
            f"reports.jobs.run: {pdf.warm:.2f} s (median after the first run; runs: {runs} s), "
            f"target <= {PDF_SECONDS:g} s  {verdict}"
        )


def print_table(results: list[Result]) -> None:
    header = ["page", "render", "req/s", "ratio", "p50 ms", "p95 ms", "errors", "target", "result"]
    rows = [header]
    for result in results:
        summary = result.summary()
        min_ratio = result.min_ratio
        rows.append(
            [
                result.target["name"],
                MODE_NAMES.get(result.mode, "-"),
                f"{result.rps:,.0f}",
                "-" if result.ratio is None else f"{result.ratio:.3f}",
                _ms(summary["p50_ms"]),
                _ms(summary["p95_ms"]),
                str(result.errors),
                "-" if min_ratio is None else f">= {min_ratio:.2f}",
                {True: "PASS", False: "FAIL", None: ""}[result.passed],
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [
            cell.ljust(width) if j == 0 else cell.rjust(width)
            for j, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))
    for result in results:
        if result.bad_statuses:
            print(
                f"{result.label}: unexpected answers {result.bad_statuses} "
                f"({result.method} {result.path})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured seconds per target and render"
    )
    parser.add_argument("--rounds", type=int, default=5, help="turns the seconds are split into")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per target")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--client",
        choices=["raw", "http.client"],
        default="raw",
        help="the load generator's HTTP code (http.client costs more CPU; see RawConnection)",
    )
    parser.add_argument("--only", nargs="*", default=[], help="names of the targets to run")
    parser.add_argument(
        "--server-requests",
        type=int,
        default=15,
        help="requests per page and render for the server times (0: none)",
    )
    parser.add_argument(
        "--pdf-runs", type=int, default=3, help="each of PDFS made so many times (0: none)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    baselines = [t for t in TARGETS if t.get("baseline")]
    if len(baselines) != 1:
        parser.error("exactly one target must be the baseline")
    pages = [t for t in TARGETS if not t.get("baseline")]
    if unknown := set(args.only) - {t["name"] for t in pages}:
        parser.error(f"no such target: {', '.join(sorted(unknown))}")
    if args.only:
        pages = [t for t in pages if t["name"] in args.only]
    targets = [*baselines, *pages]
    slice_seconds = args.seconds / args.rounds
    # A CI timeout or `kill` sends SIGTERM: exit through the finally blocks, so that gunicorn
    # stops and the temporary directory goes.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    with tempfile.TemporaryDirectory(prefix="bench-", ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        env = bench_env(tmp)
        print("bench: migrating and seeding a fresh database ...", flush=True)
        login = prepare_database(env)
        plan = Plan(
            client=args.client,
            port=free_port(),
            context={
                "patient": login["patient"],
                "write_patient": login["write_patient"],
                "five_years": login["five_years"],
                "five_years_since": login["five_years_since"],
                "today": date.today().isoformat(),
            },
            cookies={"sessionid": login["session_key"]},
            csrf_token=secrets.token_hex(16),  # 32 characters, the length of Django's secret
            processes=args.processes,
            connections=args.connections,
        )
        results = []
        for target in targets:
            method, path, _, _ = request_for(target, plan)
            results += [Result(target, mode, method, path) for mode in modes(target)]
        log = tmp / "gunicorn.log"
        server = start_gunicorn(env, plan.port, log)
        try:
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(args.processes, mp_context=spawn) as pool:
                print("bench: warming up (both workers, every target) ...", flush=True)
                for result in results:
                    load(pool, plan, result, ramp=args.warmup, seconds=0)
                for round_ in range(args.rounds):
                    print(f"bench: round {round_ + 1} of {args.rounds} ...", flush=True)
                    # Pages forwards, then backwards: on average each sits mid-round, where
                    # the mean of the bare-view slices around it is the fairest baseline.
                    order = results[1:] if round_ % 2 == 0 else results[:0:-1]
                    for result in [results[0], *order]:
                        load(pool, plan, result, ramp=_RAMP, seconds=slice_seconds)
                load(pool, plan, results[0], ramp=_RAMP, seconds=slice_seconds)
            times = []
            if args.server_requests > 0:
                print("bench: server time, one request at a time ...", flush=True)
                times = time_pages(plan, args.server_requests)
        finally:
            stop(server)
            server_log = log.read_text(errors="replace")
        made = []
        if args.pdf_runs > 0:
            print("bench: the five-year diary's report PDFs ...", flush=True)
            made = time_pdf(env, plan, args.pdf_runs)

    baseline = results[0]
    judge(results, baseline)
    print()
    print_table(results)
    spread = baseline.rounds_rps
    slices = ", ".join(f"{rps:,.0f}" for rps in spread)
    print(
        f"\nratio: the median over {args.rounds} round(s) of req/s over the bare view's around it "
        f"(bare-view slices: {slices} req/s)\n{args.connections} connections, "
        f"{args.seconds:g} s per target, {os.cpu_count()} CPUs shared with the load generator "
        f"(which used {baseline.summary()['client_cpu_cores']} of them on the bare view)"
    )
    if spread and min(spread) and max(spread) / min(spread) > 1.25:
        print(
            "the machine was noisy (bare-view slices differ by over 25%): "
            "rerun before trusting a near miss"
        )
    if times or made:
        print_server_times(times, made)
    if any(result.errors for result in results) or any(one.bad_statuses for one in times):
        print("\ngunicorn log (tail):\n" + "\n".join(server_log.splitlines()[-30:]))

    if args.json:
        report = {
            "baseline_rps": round(baseline.rps, 1),
            "seconds": args.seconds,
            "rounds": args.rounds,
            "connections": args.connections,
            "client": args.client,
            "cpus": os.cpu_count(),
            "targets": [result.summary() for result in results],
            "server_time": [one.summary() for one in times],
            "pdf": [
                {
                    "name": pdf.name,
                    "since": pdf.since,
                    "until": pdf.until,
                    "seconds": pdf.seconds,
                    "warm_seconds": pdf.warm,
                    "bytes": pdf.size,
                    "max_seconds": PDF_SECONDS,
                    "passed": pdf.passed,
                    "error": pdf.error,
                }
                for pdf in made
            ],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    failed = [result.label for result in results if result.passed is False]
    failed += [one.label for one in times if not one.passed]
    failed += [pdf.name for pdf in made if not pdf.passed]
    if failed:
        print(f"\nFAIL: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
