#!/usr/bin/env python3
"""Checks that each of the tables with one owner is written only by that module: the rows of
`assignments` by `server/secrets/assignment_rows.rs`, their status columns by
`server/secrets/status.rs`, `work_items` by `server/work_queue.rs`, `secret_values` by
`server/secrets/values.rs` (and the key rotation, which re-wraps every row), `sessions` by
`server/db/session_store.rs`, `secret_selectors` by `server/secrets/selector_rows.rs`,
`api_tokens` by `server/auth/tokens.rs`. Prints each write found elsewhere and exits 1; exits 0 with a
summary otherwise.

The benchmark's seeding (`src/bench/harness.rs`) writes rows in bulk on a database of its
own, before the app starts on it; it is the one exception and is named here.

Usage: scripts/table-owners.py [SRC_DIR]   (default: src)
"""

import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "src"
EXCEPT = {os.path.join(src, "bench", "harness.rs")}

STATUS_COLUMNS = ("status", "reason", "applied_generation", "last_warning", "last_sync", "updated_at")

# (table, what, owners, test on the statement)
RULES = [
    ("assignments", "rows", {"server/secrets/assignment_rows.rs"},
     lambda stmt: not stmt.upper().startswith("UPDATE")),
    ("assignments", "status columns", {"server/secrets/status.rs"},
     lambda stmt: stmt.upper().startswith("UPDATE")
     and any(re.search(rf"\bSET\b.*\b{c}\s*=", stmt, re.S | re.I) for c in STATUS_COLUMNS)),
    ("assignments", "other columns", {"server/secrets/assignment_rows.rs"},
     lambda stmt: stmt.upper().startswith("UPDATE")
     and not any(re.search(rf"\bSET\b.*\b{c}\s*=", stmt, re.S | re.I) for c in STATUS_COLUMNS)),
    ("work_items", "rows", {"server/work_queue.rs"}, lambda stmt: True),
    ("secret_values", "rows", {"server/secrets/values.rs", "server/key_rotation.rs"},
     lambda stmt: True),
    ("sessions", "rows", {"server/db/session_store.rs"}, lambda stmt: True),
    ("api_tokens", "rows", {"server/auth/tokens.rs"}, lambda stmt: True),
    ("secret_selectors", "rows", {"server/secrets/selector_rows.rs"}, lambda stmt: True),
]

WRITE = re.compile(
    r"(INSERT\s+INTO\s+(\w+)|UPDATE\s+(\w+)\s+SET|DELETE\s+FROM\s+(\w+))", re.I
)

problems, counted = [], 0
for root, _, names in os.walk(src):
    for name in names:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(root, name)
        if path in EXCEPT:
            continue
        text = open(path, encoding="utf-8").read()
        # Tests may set up or inspect anything.
        cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
        if cut:
            text = text[: cut.start()]
        rel = os.path.relpath(path, src)
        for match in WRITE.finditer(text):
            table = next(t for t in match.groups()[1:] if t)
            statement = text[match.start(): match.start() + 400].split('"')[0]
            statement = re.sub(r"\\\s*\n\s*", " ", statement)
            for rule_table, what, owners, applies in RULES:
                if rule_table == table and applies(statement):
                    counted += 1
                    if rel not in owners:
                        line = text[: match.start()].count("\n") + 1
                        problems.append(
                            f"{rel}:{line}: writes {table} ({what}), owned by {', '.join(sorted(owners))}"
                        )

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"every write to an owned table ({counted} statements) is in its owner")
