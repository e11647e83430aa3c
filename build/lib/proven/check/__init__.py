"""`proven check`: the site's proofs, run against any team's app that speaks HTTP.

The command starts the app as the proofs start the examples: a real process,
run by a shell in a clean environment, in a fresh copy of its code folder,
with a free port in `PORT` and the backing services the team names by URL or
asks the kit to start. It then restarts it, runs a second copy, kills it,
stops it and sends it malformed bodies, and says for each behaviour whether
it held, with what it observed in numbers and the page that explains it.

- `proven.check.target`: what to run and how (options or `proven.toml`).
- `proven.check.checks`: the checks, one function each, registered by a decorator.
- `proven.check.isolation`: a private disk outside the app's folder for each copy.
- `proven.check.report`: the Markdown and JSON reports.
- `proven.check.cli`: the command line.
"""
