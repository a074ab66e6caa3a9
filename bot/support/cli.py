"""Command line for support staff:
`kc-support list [--all] | show REF | close REF | delete REF | purge --closed-days N`."""

from __future__ import annotations

import argparse
import sys

from bot.support.store import SupportRequest, SupportStore


def _line(req: SupportRequest) -> str:
    question = req.question.replace("\n", " ")
    if len(question) > 70:
        question = question[:67] + "..."
    contact = "contact" if req.contact else "no contact"
    return f"{req.ref}  {req.created_at}  {req.status:<6}  {contact:<10}  {question}"


def _details(req: SupportRequest) -> str:
    lines = [
        f"Reference: {req.ref}",
        f"Created:   {req.created_at} (UTC)",
        f"Status:    {req.status}" + (f" (closed {req.closed_at})" if req.closed_at else ""),
        f"Contact:   {req.contact or '-'}",
        f"Question:  {req.question}",
        "Last turns:",
    ]
    lines += [f"  {t['role']:>4}: {t['text']}" for t in req.transcript] or ["  (none stored)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kc-support", description="Support requests from the assistant.")
    parser.add_argument("--db", help="SQLite file (default: env KC_SUPPORT_DB or var/support.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list open requests")
    p_list.add_argument("--all", action="store_true", help="include closed requests")
    for name, text in (("show", "show one request"), ("close", "close a request"),
                       ("delete", "delete a request and its conversation excerpt")):
        sub.add_parser(name, help=text).add_argument("ref", help="reference, e.g. KC-2026-000123")
    p_purge = sub.add_parser("purge", help="delete requests closed more than N days ago (retention)")
    p_purge.add_argument("--closed-days", type=int, required=True, metavar="N",
                         help="retention period in days for closed requests")
    args = parser.parse_args(argv)

    store = SupportStore(args.db)
    if args.command == "list":
        requests = store.list(include_closed=args.all)
        for listed in requests:
            print(_line(listed))
        print(f"{len(requests)} request(s)" + ("" if args.all else " open"))
        return 0
    if args.command == "purge":
        if args.closed_days < 0:
            print("error: --closed-days must be 0 or more", file=sys.stderr)
            return 2
        count = store.purge_closed(args.closed_days)
        print(f"{count} closed request(s) older than {args.closed_days} day(s) deleted")
        return 0
    if args.command == "delete":
        if store.delete(args.ref):
            print(f"{args.ref.upper()} deleted")
            return 0
        print(f"error: unknown reference {args.ref}", file=sys.stderr)
        return 1
    req = store.close(args.ref) if args.command == "close" else store.get(args.ref)
    if req is None:
        print(f"error: unknown reference {args.ref}", file=sys.stderr)
        return 1
    print(_details(req) if args.command == "show" else f"{req.ref} is now {req.status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
