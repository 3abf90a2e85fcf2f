package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB v1.24's SQLite backend creates each collection's unique _id index on the expression
// _ferretdb_sjson->"_id", but its queries and updates by _id filter on _ferretdb_sjson->'$._id': SQLite only
// uses an index on the very expression of the query, so every find, update or delete by _id scanned the whole
// table (measured: a findOne by _id 6.7 ms in a collection of 5,000 documents, an updateOne 75 ms; the cost of a
// statement's reconciliation grew with the instalments collection). idIndexer adds, beside FerretDB's own, a plain
// index on the expression the queries use, to every collection table of every database in the data directory,
// checking for new collections at each tick. FerretDB does not know of these indexes (it reads its own metadata
// table), and they go with their table when a collection is dropped.
//
// With it (same machine, 5,000 documents of 1 KB): findOne by _id 0.35 ms, updateOne by _id 1.0 ms.
const idIndexSuffix = "_entraide_id"

// idIndexInterval is how often the data directory is checked for collections without the index.
const idIndexInterval = 500 * time.Millisecond

// indexIDs loops until ctx ends, indexing the collections of the SQLite databases in dir.
func indexIDs(ctx context.Context, dir string) {
	t := time.NewTicker(idIndexInterval)
	defer t.Stop()
	for {
		_, _ = IndexSQLiteIDs(ctx, dir)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// IndexSQLiteIDs adds the _id index FerretDB's queries can use to every collection of the FerretDB SQLite
// databases in dir that lacks it, and reports how many it created. StartMongo runs it twice a second; a benchmark
// that has just created its collections may call it to be sure they are indexed.
func IndexSQLiteIDs(ctx context.Context, dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return 0, err
	}
	created := 0
	for _, f := range files {
		n, err := indexDatabase(ctx, f)
		created += n
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// indexDatabase indexes the collection tables of one database file. The file is opened read-write without
// creating it: a database FerretDB has just dropped is not brought back.
func indexDatabase(ctx context.Context, file string) (int, error) {
	q := url.Values{}
	q.Set("mode", "rw")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM "_ferretdb_collections" c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`, idIndexSuffix)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "unable to open") {
			return 0, nil // not (or no longer) a FerretDB database with collections
		}
		return 0, fmt.Errorf("embedded mongo: list collections of %s: %w", filepath.Base(file), err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			_ = rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	created := 0
	for _, t := range tables {
		stmt := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			if strings.Contains(err.Error(), "no such table") {
				continue // dropped meanwhile
			}
			return created, fmt.Errorf("embedded mongo: index %s: %w", t, err)
		}
		created++
	}
	return created, nil
}
