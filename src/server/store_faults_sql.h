/*
 * store_faults_sql.h - the schema and the statements of fault injection
 * (store_faults.c), which store_schema.c puts in sql_migrations[] and
 * sql_queries[]: kept apart so that the schema file stays readable.
 */
#ifndef KSEFD_STORE_FAULTS_SQL_H
#define KSEFD_STORE_FAULTS_SQL_H

/* fault_plan: the plan in force, one row whose version each change bumps
 * (a running ksefd compares it to the one it holds). fault_counts: how
 * often each rule of a version fired. IF NOT EXISTS: a store taken back
 * to an older version by dropping that version's additions keeps these. */
#define SQL_FAULTS_MIGRATION \
	"CREATE TABLE IF NOT EXISTS fault_plan (" \
	"  id INTEGER PRIMARY KEY CHECK (id = 1)," \
	"  version INTEGER NOT NULL," \
	"  plan TEXT);" \
	"INSERT OR IGNORE INTO fault_plan VALUES (1, 0, NULL);" \
	"CREATE TABLE IF NOT EXISTS fault_counts (" \
	"  version INTEGER NOT NULL," \
	"  rule TEXT NOT NULL," \
	"  fired INTEGER NOT NULL," \
	"  PRIMARY KEY (version, rule));"

#define SQL_FAULT_PLAN_SET \
	"UPDATE fault_plan SET version = version + 1, plan = ?1 WHERE id = 1"
#define SQL_FAULT_PLAN_GET \
	"SELECT version, plan FROM fault_plan WHERE id = 1"
#define SQL_FAULT_VERSION \
	"SELECT version FROM fault_plan WHERE id = 1"
#define SQL_FAULT_COUNTS_CLEAR \
	"DELETE FROM fault_counts"
/* Counts may be reported out of order by two threads: keep the highest. */
#define SQL_FAULT_COUNT_SET \
	"INSERT INTO fault_counts (version, rule, fired) VALUES (?1, ?2, ?3)" \
	" ON CONFLICT (version, rule) DO UPDATE SET" \
	" fired = max(fired, excluded.fired)"
#define SQL_FAULT_COUNTS \
	"SELECT rule, fired FROM fault_counts WHERE version = ?1 ORDER BY rule"

#endif
