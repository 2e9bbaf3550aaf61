# The two commands: `make run` and `make test`. Both install what is missing first.
.PHONY: run test setup e2e pg-start pg-stop

## Serve the app at http://127.0.0.1:3000 on its embedded default (SQLite + demo data): the
## release build of scripts/build-release.sh (the same bundle the tests and the image use),
## served by the binary itself.
run:
	scripts/setup.sh run
	scripts/build-release.sh
	exec target/release/secrets-console

## Every check and test; ends with "summary: N passed, N failed".
test:
	scripts/test.sh

## Install what is missing, and nothing else.
setup:
	scripts/setup.sh test

## Only the Playwright suite (needs `scripts/build-release.sh` first).
e2e:
	cd end2end && npx playwright test

pg-start:
	scripts/pg.sh start

pg-stop:
	scripts/pg.sh stop
