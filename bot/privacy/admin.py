"""``kc-admin``: the operator's data protection commands.

- ``kc-admin purge`` deletes conversations idle for more than ``--idle-days`` (``KC_RETENTION_DAYS``,
  default 30) from the tracker store and support requests closed more than ``--closed-days`` ago
  (``KC_SUPPORT_RETENTION_DAYS``, default 30; the same deletion as ``kc-support purge``). Open support
  requests are never purged. Made for cron; prints counts only, never ids or texts.
- ``kc-admin export SENDER [--out FILE]`` writes everything stored for one sender id as JSON (DSGVO Art. 15):
  all tracker events of every session and the support requests of that conversation. A Teams user's sender id
  is a keyed hash; ``--teams-user TENANT_ID OBJECT_ID`` computes it with ``KC_TEAMS_HASH_SALT``.

Databases: ``KC_TRACKER_DB`` (SQLite file or SQLAlchemy URL, default var/tracker.db) and ``KC_SUPPORT_DB``
(default var/support.db), or ``--tracker-db`` / ``--support-db``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.privacy import tracker_db
from bot.support import store as support

DEFAULT_RETENTION_DAYS = 30
RETENTION_ENV = "KC_RETENTION_DAYS"
SUPPORT_RETENTION_ENV = "KC_SUPPORT_RETENTION_DAYS"


class AdminError(RuntimeError):
    """A problem the operator must fix; one English line."""


def days_setting(value: int | None, env: Mapping[str, str], name: str) -> int:
    """The command line value, else the environment variable ``name``, else the default; never negative."""
    if value is None:
        raw = env.get(name, "").strip()
        if not raw:
            return DEFAULT_RETENTION_DAYS
        if not raw.isdigit():
            raise AdminError(f"{name}={raw!r}: expected a whole number of days (0 or more).")
        value = int(raw)
    if value < 0:
        raise AdminError("a retention period must be 0 days or more")
    return value


def tracker_db_setting(raw: str | None, env: Mapping[str, str]) -> str:
    return raw or env.get(tracker_db.DB_ENV) or str(tracker_db.DEFAULT_DB)


def support_db_path(raw: str | None, env: Mapping[str, str]) -> Path:
    return Path(raw or env.get(support.DB_ENV) or support.DEFAULT_DB)


def purge(args: argparse.Namespace, env: Mapping[str, str]) -> list[str]:
    idle_days = days_setting(args.idle_days, env, RETENTION_ENV)
    closed_days = days_setting(args.closed_days, env, SUPPORT_RETENTION_ENV)
    lines = []
    where = tracker_db_setting(args.tracker_db, env)
    db_url = tracker_db.tracker_db_url(where)
    if db_url is None:
        lines.append(f"No tracker database at {where}; no conversations to purge.")
    else:
        conversations, events = tracker_db.purge_idle(db_url, idle_days)
        lines.append(
            f"Deleted {conversations} conversation(s) idle for more than {idle_days} day(s) "
            f"({events} stored events)."
        )
    support_db = support_db_path(args.support_db, env)
    if not support_db.is_file():
        lines.append(f"No support database at {support_db}; no support requests to purge.")
    else:
        count = support.SupportStore(support_db).purge_closed(closed_days)
        lines.append(f"Deleted {count} support request(s) closed more than {closed_days} day(s) ago.")
    return lines


def sender_of(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """The sender id to export: given, or the Teams channel's hash of tenant and Entra object id."""
    if (args.sender is None) == (args.teams_user is None):
        raise AdminError("name either a sender id or --teams-user TENANT_ID OBJECT_ID")
    if args.sender is not None:
        return str(args.sender)
    from bot.channels.teams_activity import sender_id

    salt = env.get("KC_TEAMS_HASH_SALT", "").strip()
    if not salt:
        raise AdminError("--teams-user needs KC_TEAMS_HASH_SALT, the same secret the Teams channel uses")
    tenant, object_id = args.teams_user
    return sender_id(salt, tenant, object_id)


def export(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    args.sender = sender_of(args, env)
    db_url = tracker_db.tracker_db_url(tracker_db_setting(args.tracker_db, env))
    events = tracker_db.sender_events(db_url, args.sender) if db_url else []
    support_db = support_db_path(args.support_db, env)
    requests = support.SupportStore(support_db).requests_of(args.sender) if support_db.is_file() else []
    return {
        "sender_id": args.sender,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "conversation": {
            "description": "Every stored event of this conversation (Rasa tracker store), oldest first.",
            "events": events,
        },
        "support_requests": {
            "description": "Requests handed over to the support team from this conversation.",
            "requests": [request.to_dict() for request in requests],
        },
    }


def write_export(data: dict[str, Any], out: str | None) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None or out == "-":
        sys.stdout.write(text)
        return ""
    path = Path(out)
    if path.exists():
        raise AdminError(f"{path} exists; choose a new file for the export.")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: owner only
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    conversation, requests = data["conversation"]["events"], data["support_requests"]["requests"]
    return f"Wrote {len(conversation)} event(s) and {len(requests)} support request(s) to {path}."


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    databases = argparse.ArgumentParser(add_help=False)
    databases.add_argument("--tracker-db", help="SQLite file or SQLAlchemy URL (default: $KC_TRACKER_DB)")
    databases.add_argument("--support-db", help="support requests SQLite file (default: $KC_SUPPORT_DB)")
    parser = argparse.ArgumentParser(prog="kc-admin", description="Retention and access requests (DSGVO).")
    sub = parser.add_subparsers(dest="command", required=True)
    p_purge = sub.add_parser(
        "purge", parents=[databases], help="delete idle conversations and long-closed support requests"
    )
    p_purge.add_argument("--idle-days", type=int, metavar="N", help=f"default: ${RETENTION_ENV} or 30")
    p_purge.add_argument(
        "--closed-days", type=int, metavar="N", help=f"default: ${SUPPORT_RETENTION_ENV} or 30"
    )
    p_export = sub.add_parser(
        "export", parents=[databases], help="write everything stored for one sender id as JSON"
    )
    p_export.add_argument("sender", nargs="?", help="the conversation's sender id (widget: the token's sub)")
    p_export.add_argument(
        "--teams-user", nargs=2, metavar=("TENANT_ID", "OBJECT_ID"), help="a Teams user, not a sender id"
    )
    p_export.add_argument("--out", help="file to create (mode 600); default: standard output")
    args = parser.parse_args(argv)
    try:
        if args.command == "purge":
            for line in purge(args, env):
                print(line)
            return 0
        note = write_export(export(args, env), args.out)
        if note:
            print(note)
        return 0
    except AdminError as error:
        print(f"kc-admin: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
