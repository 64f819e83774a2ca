#!/usr/bin/python3
"""Proves every cell of README's table of roles (between <!-- roles … --> and <!-- /roles -->)
on a real, populated database: each operation is tried as each role (SET ROLE, in a
transaction that is rolled back), and must be refused where the cell does not name it and
work — on every row the superuser sees — where it does.

  r  SELECT the row's columns: allowed = every row comes back; refused = permission denied,
     or no row although rows exist (row-level security)
  a  INSERT … DEFAULT VALUES: allowed = anything but permission denied (the defaults break
     NOT NULL: that error comes after the privilege and RLS checks); refused = 42501
  w  UPDATE … SET col = col: allowed = every row updated; refused = 42501 or no row updated
  d  DELETE: allowed = every row deleted, or an error other than 42501 (a foreign key);
     refused = 42501 or no row deleted
An attempt that is not refused also needs the grant (has_*_privilege), so that an error that
comes before the privilege check (a view that cannot take an INSERT) is not read as "allowed".

usage: security_matrix.py README.md   (PGHOST, PGPORT, PGDATABASE set; runs psql as postgres)
prints ok/FAIL lines and "matrix: N passed, N failed".
"""
import os
import re
import subprocess
import sys

ROLES = ["defectd_daemon", "defectd_maintainer", "defectd_reader", "defectd_personal"]

# README row label -> (relations as (table, column[, the operations tried on it, if not all]),
# the operations the row speaks of)
ROWS = {
    "`defects`": ([("defects", "ref")], "rawd"),
    "`records`": ([("records", "fields")], "rawd"),
    "`repairs`, `part_events`": ([("repairs", "reported_on"), ("part_events", "kind")], "rawd"),
    "`messages` without `raw` (headers, parse result without personal fields)":
        ([("messages", "subject"), ("messages", "parse_json")], "rawd"),
    # deleting is a row's business (the rows above and below); here: the column
    "raw mail: `messages.raw`, `quarantine.raw`": ([("messages", "raw"), ("quarantine", "raw")], "raw"),
    "`quarantine` without `raw`": ([("quarantine", "reason")], "rawd"),
    "`personal_data` without `value` (which fields a defect has)":
        ([("personal_data", "field", "rad"), ("personal_data", "current")], "rawd"),
    "personal values: `personal_data.value`": ([("personal_data", "value")], "rawd"),
    "`mailboxes`, `mailbox_items`": ([("mailboxes", "name"), ("mailbox_items", "state")], "rawd"),
    "`defect_numbers`": ([("defect_numbers", "last")], "rawd"),
    "`audit_log`": ([("audit_log", "action")], "rawd"),
    "views `defect_list`, `message_list`, `field_values`":
        ([("defect_list", "ref"), ("message_list", "subject"), ("field_values", "value")], "rawd"),
    "`schema_migrations`": ([("schema_migrations", "name")], "rawd"),
}

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   - " + msg)


def bad(msg, detail=""):
    global failed
    failed += 1
    print("FAIL - " + msg)
    if detail:
        print("       " + detail.strip().replace("\n", "\n       "))


def psql(sql):
    """(stdout, sqlstate or None) of one psql run as postgres"""
    p = subprocess.run(["psql", "-X", "-U", "postgres", "-tA", "-v", "VERBOSITY=sqlstate",
                        "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True)
    m = re.search(r"ERROR:\s+([0-9A-Z]{5})", p.stderr)
    if p.returncode != 0 and not m:
        raise RuntimeError(p.stderr)
    return p.stdout.strip(), (m.group(1) if m else None)


def as_role(role, stmt):
    # one transaction, always rolled back; the statement's command tag or error is the answer
    p = subprocess.run(["psql", "-X", "-U", "postgres", "-tA", "-v", "VERBOSITY=sqlstate"],
                       input=f"BEGIN;\nSET LOCAL ROLE {role};\n\\set ON_ERROR_STOP 1\n{stmt};\n",
                       capture_output=True, text=True)
    m = re.search(r"ERROR:\s+([0-9A-Z]{5})", p.stderr)
    return p.stdout.strip().splitlines(), (m.group(1) if m else None)


def readme_table(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"<!-- roles[^>]*-->\n(.*?)<!-- /roles -->", text, re.S)
    if not m:
        raise SystemExit("README: no <!-- roles --> table")
    lines = [l for l in m.group(1).splitlines() if l.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for l in lines[2:]:
        cells = [c.strip() for c in l.strip("|").split("|")]
        rows[cells[0]] = dict(zip(head[1:], cells[1:]))
    return head[1:], rows


def total(rel):
    return int(psql(f"SELECT count(*) FROM defectd.{rel}")[0])


def privilege(role, rel, col, op):
    what = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}[op]
    if col and op in "rw":
        q = f"SELECT has_column_privilege('{role}', 'defectd.{rel}', '{col}', '{what}')"
    else:
        q = f"SELECT has_table_privilege('{role}', 'defectd.{rel}', '{what}')"
    return psql(q)[0] == "t"


def attempt(role, rel, col, op, rows):
    """True allowed, False refused, or a string saying what was odd"""
    stmt = {"r": f"SELECT count(*) FROM (SELECT {col} FROM defectd.{rel}) s",
            "a": f"INSERT INTO defectd.{rel} DEFAULT VALUES",
            "w": f"UPDATE defectd.{rel} SET {col} = {col}",
            "d": f"DELETE FROM defectd.{rel}"}[op]
    out, state = as_role(role, stmt)
    if state == "42501":
        return False
    granted = privilege(role, rel, col, op)
    if state and not granted:
        return False  # stopped before its privilege check (a view that takes no INSERT)
    if op == "a":
        return True if granted else f"no grant, yet {stmt} worked"
    if state:
        if op == "d":
            return True  # a foreign key stopped it, after the privilege and RLS checks
        return f"{stmt}: error {state}"
    n = out[-1] if out else ""
    n = int(n.split()[-1]) if op != "r" else int(n or "0")
    if n == 0:
        return False  # RLS: no row for this role
    if n != rows:
        return f"{stmt}: {n} of {rows} rows"
    return True if granted else f"{stmt} worked without a grant"


def main():
    roles, table = readme_table(sys.argv[1])
    if roles != ROLES:
        bad("README's table has the columns " + ", ".join(ROLES), "got " + ", ".join(roles))
    for label in table:
        if label not in ROWS:
            bad(f"README row {label} is known to this test")
    for label in ROWS:
        if label not in table:
            bad(f"README has the row {label}")
    for label, (rels, ops) in ROWS.items():
        if label not in table:
            continue
        for role in ROLES:
            cell = table[label].get(role, "")
            want = set(cell.split()) - {"—"}
            problems = []
            if want - set(ops):
                problems.append(f"cell names {''.join(sorted(want - set(ops)))}, which this row does not test")
            for rel, col, *only in rels:
                rows = total(rel)
                if rows == 0:
                    problems.append(f"{rel} is empty: nothing to prove")
                    continue
                for op in (o for o in ops if not only or o in only[0]):
                    got = attempt(role, rel, col, op, rows)
                    if isinstance(got, str):
                        problems.append(got)
                    elif got != (op in want):
                        problems.append(f"{op} on {rel}.{col}: "
                                        f"{'allowed' if got else 'refused'}, README says "
                                        f"{'yes' if op in want else 'no'}")
            if problems:
                bad(f"{role} on {label}: {cell}", "\n".join(problems))
            else:
                ok(f"{role} on {label}: {cell}")
    print(f"matrix: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
