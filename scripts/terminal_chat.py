"""Chat with the assistant in the terminal (`make chat`).

Talks to a running assistant (`make run` in another terminal), or starts one just for this chat with the
supervisor in stack.py and stops it afterwards. Buttons are numbered; typing a number presses one.
Standard library only, like stack.py.
"""

from __future__ import annotations

import os
import sys
import urllib.error

from stack import Stack, StackConfig, StackError, http_json


def rasa_is_running(config: StackConfig) -> bool:
    try:
        status, _ = http_json(f"{config.rasa_url}/webhooks/rest/", timeout=2)
    except (urllib.error.URLError, OSError):
        return False
    return status == 200


def chat(config: StackConfig) -> int:
    """A chat in the terminal against a running stack, or one started just for this chat."""
    stack = Stack(config)
    own = False
    try:
        if not rasa_is_running(config):
            print("Starting the assistant for this chat ...", flush=True)
            stack.start()
            own = True
        sender = f"terminal-{os.getpid()}"
        print("Chat with the assistant. Type a button's number to press it. End with Ctrl-D or /exit.\n")
        buttons: list[dict] = []
        while True:
            try:
                text = input("Sie: ").strip()
            except EOFError:
                break
            if text in {"/exit", "/quit"}:
                break
            if not text:
                continue
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1].get("payload") or buttons[int(text) - 1].get("title", "")
            buttons = []
            for reply in stack.say(sender, text):
                if reply.get("text"):
                    print(f"Assistent: {reply['text']}")
                for button in reply.get("buttons") or []:
                    buttons.append(button)
                    print(f"   [{len(buttons)}] {button.get('title')}")
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print()
    finally:
        if own:
            stack.stop()
    return 0


def main() -> int:
    try:
        config = StackConfig.from_env()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return chat(config)


if __name__ == "__main__":
    sys.exit(main())
