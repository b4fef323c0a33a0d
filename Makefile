# One command per chore; CI runs the same ones.
.PHONY: setup run run-production test unit lint types bench

setup:          ## both environments (idempotent)
	scripts/setup.sh

run: setup      ## the whole product on embedded defaults (SQLite, local index, Rasa + app)
	.venv/bin/firstline run

run-production: setup  ## several app workers + Rasa servers on PostgreSQL + Redis (DATABASE_URL, REDIS_URL, FIRSTLINE_SECRET_KEY)
	.venv/bin/firstline run --production

test:           ## the whole suite from a fresh clone (what .ci/run calls)
	scripts/test.sh

unit: setup     ## the fast tests only
	.venv/bin/python -m pytest -m "not e2e and not browser"

lint: setup
	.venv/bin/ruff check .

types: setup
	.venv/bin/mypy

bench: setup    ## benchmarks: print figures with the machine
	.venv/bin/python -m bench
