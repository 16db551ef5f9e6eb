"""The interfaces: parse input, call the service, format output; nothing else.

- `cli`     the `kompetens` command
- `api`     the FastAPI app, its routes and schemas, and the web page's files in `web/`
- `slack`   the Slack bot
"""
