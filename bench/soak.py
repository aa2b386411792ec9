"""Many concurrent writers against gunicorn: nothing fails, nothing acknowledged is lost.

50 threads log side effects through the real form for a bounded time against a fresh database
(SQLite by default; PostgreSQL with --database-url). Each write carries a unique name, so after
the run every 302 the server acknowledged must be a row in the database. Exit code 1 on any 5xx,
any "database is locked" in the server log, or any acknowledged write missing.

    .venv/bin/python bench/soak.py [--writers 50] [--seconds 60] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import HOST, ROOT, bench_env, free_port, prepare_database, start_gunicorn, stop  # noqa: E402

_COUNT_SCRIPT = """
import json, sys
import django
django.setup()
from diary.models import SymptomEntry
rows = SymptomEntry.objects.filter(custom_symptom__startswith="soak-")
print(json.dumps(sorted(set(rows.values_list("custom_symptom", flat=True)))))
"""


def writer(
    number: int,
    deadline: float,
    port: int,
    cookie: str,
    csrf: str,
    path: str,
    acked: list,
    statuses: Counter,
    lock: threading.Lock,
) -> None:
    sent = 0
    conn = None
    onset = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    while time.monotonic() < deadline:
        name = f"soak-{number}-{sent}"
        body = urlencode(
            {
                "symptom": "other",
                "custom_symptom": name,
                "severity": str(sent % 11),
                "onset": onset,
                "still_going": "on",
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        }
        try:
            conn = conn or http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except OSError:
            status = 0  # connection error: counted, never acknowledged
            conn = None
        with lock:
            statuses[status] += 1
            if status == 302:
                acked.append(name)
        sent += 1


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database named in `url` (a throw-away one, like the SQLite file)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--database-url", default="", help="a throw-away PostgreSQL database (dropped, recreated)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    with tempfile.TemporaryDirectory(prefix="soak-", ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        env = bench_env(tmp)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        print("soak: migrating and seeding a fresh database ...", flush=True)
        if args.database_url:
            fresh_postgres_database(args.database_url)
        login = prepare_database(env)
        port = free_port()
        log = tmp / "gunicorn.log"
        server = start_gunicorn(env, port, log)
        acked: list[str] = []
        statuses: Counter = Counter()
        lock = threading.Lock()
        csrf = secrets.token_hex(16)
        path = f"/p/{login['patient']}/diary/side-effects/new/"
        try:
            deadline = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=writer,
                    args=(
                        n,
                        deadline,
                        port,
                        login["session_key"],
                        csrf,
                        path,
                        acked,
                        statuses,
                        lock,
                    ),
                )
                for n in range(args.writers)
            ]
            print(f"soak: {args.writers} writers for {args.seconds:g} s ...", flush=True)
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 60)
        finally:
            stop(server)
            server_log = log.read_text(errors="replace")
        stored = set(
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", _COUNT_SCRIPT],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
        )

    lost = [name for name in acked if name not in stored]
    server_errors = sum(count for status, count in statuses.items() if status >= 500 or status == 0)
    locked = server_log.count("database is locked")
    print(f"soak: {sum(statuses.values())} writes, statuses {dict(sorted(statuses.items()))}")
    print(
        f"soak: {len(acked)} acknowledged, {len(stored)} stored, {len(lost)} lost, "
        f"{locked} 'database is locked'"
    )
    failed = bool(lost or server_errors or locked or not acked)
    if failed:
        print("soak: FAIL")
        print("\n".join(server_log.splitlines()[-30:]))
        return 1
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
