"""The Slack bot: `bot` (listeners, Bolt app, Socket Mode, HTTP mount) and `blocks` (Block Kit formatting)."""
