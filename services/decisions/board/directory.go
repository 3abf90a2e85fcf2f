package board

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/services/decisions/projection"
)

// CollDirectory is the board's packed copy of the tenant's open files (number, applicant, assignee, team).
const CollDirectory = "board_files"

// FileInfo is what the board shows of a file and needs for a worker's view.
type FileInfo struct {
	ID, Number, PersonID, Assignee, TeamID string
}

// Directory keeps, per tenant, the open files of the projection packed in a few documents (see packed): the board
// reads them in one query instead of the files one by one (a query on projected_files by ids or by worker
// returns every file of the tenant to FerretDB's Go filter: about 1 s at 20,000 files). The projection calls
// FileChanged after each change of a file (projection.Repository.OnFile); a tenant without a directory yet is
// built from projected_files on first read.
type Directory struct {
	idx  packed
	proj *projection.Repository
	db   *mongo.Database

	mu     sync.Mutex
	parsed map[string]parsedFiles // by tenant

	scanned func() // tests: called after a rebuild's scan
}

type parsedFiles struct {
	versions Versions
	files    *Files
}

// Files are a tenant's open files as the directory holds them, by shard. Shared between readers: never changed.
type Files struct {
	shards [Shards]map[string]FileInfo
}

// Get finds a file by id.
func (f *Files) Get(id string) (FileInfo, bool) {
	fi, ok := f.shards[shardOf(id)][id]
	return fi, ok
}

// Len counts the files.
func (f *Files) Len() int {
	n := 0
	for _, m := range f.shards {
		n += len(m)
	}
	return n
}

// NewDirectory works on db.
func NewDirectory(db *mongo.Database, proj *projection.Repository) *Directory {
	return &Directory{idx: newPacked(db, CollDirectory), proj: proj, db: db, parsed: map[string]parsedFiles{}}
}

func fileLine(f projection.File) string {
	return strings.Join([]string{f.ID, clean(f.Number), f.PersonID, clean(f.Assignee), clean(f.TeamID)}, "\t")
}

// clean keeps a field from breaking the line format.
func clean(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }

// FileChanged records the file as the projection now holds it (a closed file leaves the directory). Idempotent.
func (d *Directory) FileChanged(ctx context.Context, f projection.File) error {
	if f.ID == "" || strings.ContainsAny(f.ID, "\t\n") {
		return fmt.Errorf("board: file id %q", f.ID)
	}
	if !f.Open {
		return d.idx.set(ctx, f.Tenant, f.ID, "")
	}
	return d.idx.set(ctx, f.Tenant, f.ID, fileLine(f))
}

// Rebuild writes tenant's directory from the projection (a scan of the tenant's files); a FileChanged made during
// the scan is kept (see packed.replace).
func (d *Directory) Rebuild(ctx context.Context, tenant string) error {
	return d.idx.replace(ctx, tenant, func(ctx context.Context) (map[string]string, error) {
		cur, err := d.db.Collection(projection.CollFiles).Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "open", Value: true}})
		if err != nil {
			return nil, fmt.Errorf("board: files of a tenant: %w", err)
		}
		var fs []projection.File
		if err := cur.All(ctx, &fs); err != nil {
			return nil, err
		}
		lines := make(map[string]string, len(fs))
		for _, f := range fs {
			lines[f.ID] = fileLine(f)
		}
		if d.scanned != nil {
			d.scanned()
		}
		return lines, nil
	})
}

// Files reads the tenant's open files (built from the projection when the tenant has no directory yet). Only
// the shards that changed since the last read are parsed again.
func (d *Directory) Files(ctx context.Context, tenant string) (*Files, error) {
	snap, err := d.idx.load(ctx, tenant)
	if errors.Is(err, errNotBuilt) {
		if err := d.Rebuild(ctx, tenant); err != nil {
			return nil, err
		}
		snap, err = d.idx.load(ctx, tenant)
	}
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	p, ok := d.parsed[tenant]
	d.mu.Unlock()
	if ok && p.versions == snap.versions {
		return p.files, nil
	}
	out := &Files{}
	for i, ls := range snap.lines {
		if ok && p.versions[i] == snap.versions[i] {
			out.shards[i] = p.files.shards[i]
			continue
		}
		m := make(map[string]FileInfo, len(ls))
		for _, l := range ls {
			f := strings.Split(l, "\t")
			if len(f) != 5 {
				continue
			}
			m[f[0]] = FileInfo{ID: f[0], Number: f[1], PersonID: f[2], Assignee: f[3], TeamID: f[4]}
		}
		out.shards[i] = m
	}
	d.mu.Lock()
	if len(d.parsed) >= cacheTenants {
		clear(d.parsed)
	}
	d.parsed[tenant] = parsedFiles{versions: snap.versions, files: out}
	d.mu.Unlock()
	return out, nil
}

// Lookup returns the files of ids missing from files (closed files), read one by one from the projection.
func (d *Directory) Lookup(ctx context.Context, tenant string, files *Files, ids []string) (map[string]FileInfo, error) {
	out := map[string]FileInfo{}
	for _, id := range ids {
		if _, ok := files.Get(id); ok || id == "" {
			continue
		}
		if _, ok := out[id]; ok {
			continue
		}
		f, err := d.proj.File(ctx, tenant, id)
		if errors.Is(err, projection.ErrNotFound) {
			out[id] = FileInfo{ID: id}
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = FileInfo{ID: f.ID, Number: f.Number, PersonID: f.PersonID, Assignee: f.Assignee, TeamID: f.TeamID}
	}
	return out, nil
}

// Visible lists the ids of the open files user sees: assigned to them or to one of teams.
func Visible(files *Files, user string, teams []string) []string {
	out := []string{}
	for _, m := range files.shards {
		for id, f := range m {
			if (f.Assignee != "" && f.Assignee == user) || (f.TeamID != "" && slices.Contains(teams, f.TeamID)) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}
