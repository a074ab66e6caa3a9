"""Our own Rasa input channels and the guards they share (registered in credentials.yml by class path).

- ``widget``: the intranet widget's channel (signed tokens, allowed origins, history, offer cards).
- ``loopback_rest``: Rasa's REST channel, answering only clients on this machine (terminal chat, tests).
- ``teams``: Microsoft Teams (Bot Framework tokens, Adaptive Cards); ``teams_*`` its parts.
- ``guards``: channel-neutral rate limits and message length limit with German replies.
"""
